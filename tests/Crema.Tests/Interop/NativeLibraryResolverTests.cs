using Crema.Interop;

namespace Crema.Tests.Interop;

public class NativeLibraryResolverTests
{
    private string folder = "";

    [SetUp]
    public void MakeFolder() => folder = Directory.CreateTempSubdirectory("crema-resolver-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    [Test]
    public void Failure_ListsEveryPlaceTried_WithItsReason()
    {
        string missing = Path.Combine(folder, "missing", NativeLibraryResolver.FileName);
        string corrupt = Path.Combine(folder, NativeLibraryResolver.FileName);
        File.WriteAllText(corrupt, "this is not a shared library");

        nint handle = NativeLibraryResolver.TryLoadFrom(
            [("override", missing), ("assembly folder", corrupt)], tryDefaultSearch: false, out string? loaded, out string report);

        Assert.That(handle, Is.EqualTo(nint.Zero));
        Assert.That(loaded, Is.Null);
        Assert.That(report, Does.Contain("could not be loaded"));
        Assert.That(report, Does.Contain($"1. override: {missing}: not found"));
        Assert.That(report, Does.Contain($"2. assembly folder: {corrupt}: "));
        Assert.That(report, Does.Not.Contain("3."));
    }

    [Test]
    public void Candidates_PutTheEnvironmentOverrideFirst_AndAcceptAFolder()
    {
        string? saved = Environment.GetEnvironmentVariable(Libraries.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(Libraries.PathVariable, folder);
            var candidates = NativeLibraryResolver.Candidates().ToList();

            Assert.That(candidates[0].Path, Is.EqualTo(Path.Combine(folder, NativeLibraryResolver.FileName)));
            Assert.That(candidates[0].Source, Does.Contain(Libraries.PathVariable));
            Assert.That(candidates.Select(c => c.Source), Does.Contain("assembly folder").And.Contain("runtimes folder"));
            Assert.That(candidates.Any(c => c.Path.Contains(Path.Combine("runtimes", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "native"), StringComparison.Ordinal)), Is.True);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Libraries.PathVariable, saved);
        }
    }

    [Test]
    public void Candidates_TryEachPlaceOnce()
    {
        string? saved = Environment.GetEnvironmentVariable(Libraries.PathVariable);
        try
        {
            // Here AppContext.BaseDirectory (with a trailing separator) and the assembly's folder are the same folder.
            Environment.SetEnvironmentVariable(Libraries.PathVariable, null);
            var paths = NativeLibraryResolver.Candidates().Select(c => c.Path).ToList();

            Assert.That(paths, Is.Unique);
            Assert.That(paths, Has.Count.EqualTo(2));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Libraries.PathVariable, saved);
        }
    }

    [Test]
    public void Candidates_WithoutOverride_StartAtTheAssemblyFolder()
    {
        string? saved = Environment.GetEnvironmentVariable(Libraries.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(Libraries.PathVariable, null);
            var first = NativeLibraryResolver.Candidates().First();
            Assert.That(first.Source, Is.EqualTo("assembly folder"));
            Assert.That(Path.GetDirectoryName(first.Path), Is.EqualTo(Path.GetFullPath(AppContext.BaseDirectory).TrimEnd('/', '\\')));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Libraries.PathVariable, saved);
        }
    }
}
