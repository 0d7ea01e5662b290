using System.CommandLine;

namespace Crema.Cli;

/// <summary>
/// <c>--data DIR</c> of <c>crema train</c> and <c>crema test</c>: the folder that data layers read relative paths from.
/// </summary>
internal static class DataOption
{
    /// <summary>The folder the last command was given with <c>--data</c> (a full path), or null.</summary>
    /// <remarks>
    /// TODO(data layer): the IdxData layer's branch brings <c>Crema.IO.DataLocation.Root</c>; once it is merged,
    /// <see cref="Apply"/> sets it from here (and this property can go). Until then nothing reads this value.
    /// </remarks>
    internal static string? Root { get; private set; }

    internal static Option<string?> Create() => new("--data")
    {
        Description = "The folder data layers read relative paths from (e.g. the Fashion-MNIST IDX files)",
        HelpName = "DIR",
    };

    /// <summary>Checks that <paramref name="folder"/> exists and makes it the data root (null: leaves it as it is).</summary>
    internal static void Apply(string? folder)
    {
        if (folder is null)
        {
            return;
        }

        if (!Directory.Exists(folder))
        {
            throw new BadInputException(File.Exists(folder)
                ? $"--data {folder}: is a file, not a folder"
                : $"--data {folder}: no such folder");
        }

        Root = Path.GetFullPath(folder);
    }
}
