namespace Crema.IO;

/// <summary>Where a data root in <see cref="DataLocation.Resolve"/> came from.</summary>
public enum DataRootSource
{
    /// <summary>The path was absolute: no root was used.</summary>
    AbsolutePath,

    /// <summary>The layer's own root (<c>idx_data_param.root</c>).</summary>
    Layer,

    /// <summary>The process-wide <see cref="DataLocation.Root"/> (the CLI's <c>--data DIR</c>).</summary>
    Process,

    /// <summary>The <c>CREMA_DATA</c> environment variable.</summary>
    Environment,

    /// <summary>The folder the Debian package <c>dataset-fashion-mnist</c> installs.</summary>
    Default,
}

/// <summary>
/// A data file's path after <see cref="DataLocation.Resolve"/>: the path to open, the path as given, and the root it was
/// resolved against.
/// </summary>
/// <param name="FullPath">The path to open.</param>
/// <param name="Given">The path as the caller gave it.</param>
/// <param name="Root">The root a relative path was joined to; null for an absolute path.</param>
/// <param name="Source">Where <paramref name="Root"/> came from.</param>
public sealed record DataPath(string FullPath, string Given, string? Root, DataRootSource Source)
{
    /// <summary>How the path was found, for messages: <c>"train.gz" under CREMA_DATA=/data</c>.</summary>
    public string Describe() => Source switch
    {
        DataRootSource.AbsolutePath => $"\"{Given}\" (an absolute path)",
        DataRootSource.Layer => $"\"{Given}\" under idx_data_param.root \"{Root}\"",
        DataRootSource.Process => $"\"{Given}\" under the data folder \"{Root}\" (--data / DataLocation.Root)",
        DataRootSource.Environment => $"\"{Given}\" under {DataLocation.EnvironmentVariable}=\"{Root}\"",
        _ => $"\"{Given}\" under the default data folder \"{Root}\"",
    };
}

/// <summary>
/// Where data files are found. A relative path resolves against the first root that is set, in this order: the layer's
/// own root (<c>idx_data_param.root</c>), the process-wide <see cref="Root"/> (set by the CLI's <c>--data DIR</c>), the
/// <c>CREMA_DATA</c> environment variable, and <see cref="DefaultRoot"/>, where the Debian package
/// <c>dataset-fashion-mnist</c> installs Fashion-MNIST. Roots are not searched one after another: the first one set
/// decides, so a file missing there is reported as missing rather than silently read from elsewhere. An absolute path
/// is used as it is. A relative root is relative to the working directory.
/// </summary>
public static class DataLocation
{
    /// <summary>The folder the Debian package <c>dataset-fashion-mnist</c> installs the IDX files into.</summary>
    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist";

    /// <summary>The environment variable that names a data folder.</summary>
    public const string EnvironmentVariable = "CREMA_DATA";

    /// <summary>The Debian package that installs Fashion-MNIST into <see cref="DefaultRoot"/>.</summary>
    public const string DebianPackage = "dataset-fashion-mnist";

    private static volatile string? root;

    /// <summary>
    /// The process-wide data folder (the CLI's <c>--data DIR</c>); null (the default) leaves the choice to
    /// <c>CREMA_DATA</c> and <see cref="DefaultRoot"/>. Blank text is taken as null.
    /// </summary>
    public static string? Root
    {
        get => root;
        set => root = string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>
    /// Resolves <paramref name="path"/>: an absolute path as it is, a relative one against the first root set among
    /// <paramref name="layerRoot"/>, <see cref="Root"/>, <c>CREMA_DATA</c> and <see cref="DefaultRoot"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public static DataPath Resolve(string path, string? layerRoot = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Path.IsPathRooted(path))
        {
            return new DataPath(path, path, null, DataRootSource.AbsolutePath);
        }

        var (folder, source) = ChooseRoot(layerRoot);
        return new DataPath(Path.Combine(folder, path), path, folder, source);
    }

    /// <summary>The root a relative path would resolve against, and where it came from.</summary>
    public static (string Root, DataRootSource Source) ChooseRoot(string? layerRoot = null)
    {
        if (!string.IsNullOrWhiteSpace(layerRoot))
        {
            return (layerRoot, DataRootSource.Layer);
        }

        if (Root is string process)
        {
            return (process, DataRootSource.Process);
        }

        string? environment = System.Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(environment))
        {
            return (environment, DataRootSource.Environment);
        }

        return (DefaultRoot, DataRootSource.Default);
    }

    /// <summary>What to say when the data file at <paramref name="path"/> does not exist: how to get the data.</summary>
    public static string MissingDataMessage(string path) =>
        $"{path} not found. {HowToGetTheData}";

    /// <summary>What to say when a resolved data file does not exist: where it was looked for, and how to get the data.</summary>
    public static string MissingDataMessage(DataPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return $"{path.FullPath} not found ({path.Describe()}). {HowToGetTheData}";
    }

    /// <summary>The advice the missing-data messages end with.</summary>
    public static string HowToGetTheData =>
        $"Install the Debian package {DebianPackage} (sudo apt install {DebianPackage}), or point --data / " +
        $"{EnvironmentVariable} / idx_data_param.root at a folder holding the IDX files.";
}
