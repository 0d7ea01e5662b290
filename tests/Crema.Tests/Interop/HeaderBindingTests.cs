using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Crema.Interop;

namespace Crema.Tests.Interop;

/// <summary>crema.h is the whole ABI: the hand-written bindings must declare exactly its functions.</summary>
public partial class HeaderBindingTests
{
    internal static IReadOnlyDictionary<string, int> HeaderFunctions()
    {
        string header = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "crema.h"));
        header = CommentPattern().Replace(header, " ");
        var functions = new Dictionary<string, int>();
        foreach (Match match in DeclarationPattern().Matches(header))
        {
            string parameters = match.Groups[2].Value.Trim();
            int count = parameters is "" or "void" ? 0 : parameters.Split(',').Length;
            functions.Add(match.Groups[1].Value, count);
        }

        return functions;
    }

    internal static IReadOnlyDictionary<string, int> BoundFunctions() =>
        typeof(CremaNative)
            .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null)
            .ToDictionary(m => m.GetCustomAttribute<LibraryImportAttribute>()!.EntryPoint ?? m.Name, m => m.GetParameters().Length);

    [Test]
    public void Header_DeclaresTheAbi()
    {
        var header = HeaderFunctions();
        Assert.That(header, Has.Count.GreaterThan(50));
        Assert.That(header.Keys, Has.All.StartWith("crema_"));
        Assert.That(header["crema_sgemm"], Is.EqualTo(11));
        Assert.That(header["crema_get_version"], Is.EqualTo(3));
    }

    [Test]
    public void HeaderAndBindings_DeclareTheSameFunctions()
    {
        var header = HeaderFunctions();
        var bound = BoundFunctions();

        Assert.That(bound.Keys.Except(header.Keys), Is.Empty, "bound but not in crema.h");
        Assert.That(header.Keys.Except(bound.Keys), Is.Empty, "in crema.h but not bound");
    }

    [Test]
    public void HeaderAndBindings_AgreeOnParameterCounts()
    {
        var header = HeaderFunctions();
        var bound = BoundFunctions();

        var mismatches = header.Keys.Intersect(bound.Keys)
            .Where(name => header[name] != bound[name])
            .Select(name => $"{name}: header {header[name]}, binding {bound[name]}");
        Assert.That(mismatches, Is.Empty);
    }

    [Test]
    public void EveryBinding_ReturnsTheInt32Status()
    {
        var wrong = typeof(CremaNative)
            .GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null && m.ReturnType != typeof(int))
            .Select(m => m.Name);
        Assert.That(wrong, Is.Empty);
    }

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"CREMA_API\s+int32_t\s+(crema_\w+)\s*\(([^)]*)\)\s*;", RegexOptions.Singleline)]
    private static partial Regex DeclarationPattern();
}
