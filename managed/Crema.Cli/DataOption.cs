using System.CommandLine;

namespace Crema.Cli;

/// <summary>
/// <c>--data DIR</c> of <c>crema train</c> and <c>crema test</c>: the folder that data layers read relative paths from.
/// </summary>
internal static class DataOption
{
    internal static Option<string?> Create() => new("--data")
    {
        Description = "The folder data layers read relative paths from (e.g. the Fashion-MNIST IDX files)",
        HelpName = "DIR",
    };

    /// <summary>
    /// Checks that <paramref name="folder"/> exists and makes it the data root, <see cref="Crema.IO.DataLocation.Root"/>,
    /// until the returned scope is disposed (the root is process-wide; in-process callers such as the tests must not
    /// leak it into the next command). Null leaves the root as it is.
    /// </summary>
    internal static IDisposable Apply(string? folder)
    {
        var previous = Crema.IO.DataLocation.Root;
        if (folder is not null)
        {
            if (!Directory.Exists(folder))
            {
                throw new BadInputException(File.Exists(folder)
                    ? $"--data {folder}: is a file, not a folder"
                    : $"--data {folder}: no such folder");
            }

            Crema.IO.DataLocation.Root = Path.GetFullPath(folder);
        }

        return new Restore(previous);
    }

    private sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => Crema.IO.DataLocation.Root = previous;
    }
}
