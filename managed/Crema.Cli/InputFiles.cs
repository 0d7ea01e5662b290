using Crema.IO.Caffe;
using Crema.Parameters;

namespace Crema.Cli;

/// <summary>
/// Reading the files the commands are given, with the failures turned into <see cref="BadInputException"/>s that name
/// the option (or the solver field) and the file: missing, a folder, unreadable, or malformed (file:line:column).
/// </summary>
internal static class InputFiles
{
    /// <summary>A net in Caffe's text format, named by <paramref name="option"/> (e.g. <c>--model</c>).</summary>
    internal static NetParameter ReadNet(string option, string path) =>
        Read(option, path, "net file", NetParameter.ParseFile);

    /// <summary>A solver in Caffe's text format, named by <paramref name="option"/> (e.g. <c>--solver</c>).</summary>
    internal static SolverParameter ReadSolver(string option, string path) =>
        Read(option, path, "solver file", SolverParameter.ParseFile);

    /// <summary>A binary .caffemodel, named by <paramref name="option"/> (e.g. <c>--weights</c>).</summary>
    internal static CaffeModel ReadWeights(string option, string path) =>
        Read(option, path, ".caffemodel file", CaffeModel.Read);

    /// <summary>Refuses <paramref name="path"/> unless it is an existing file (before a reader that would say less).</summary>
    internal static void RequireFile(string option, string path, string kind)
    {
        if (Directory.Exists(path))
        {
            throw new BadInputException($"{option} {path}: is a folder, not a {kind}");
        }

        if (!File.Exists(path))
        {
            throw new BadInputException($"{option} {path}: no such file");
        }
    }

    private static T Read<T>(string option, string path, string kind, Func<string, T> parse)
    {
        if (Directory.Exists(path))
        {
            throw new BadInputException($"{option} {path}: is a folder, not a {kind}");
        }

        try
        {
            return parse(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BadInputException($"{option} {path}: no such file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new BadInputException($"{option} {path}: permission denied");
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidDataException)
        {
            // TextFormatException: "path:line:column: what".
            throw new BadInputException(LayerCommand.OneLine(e));
        }
        catch (IOException e)
        {
            throw new BadInputException($"{option} {path}: cannot read: {LayerCommand.OneLine(e)}");
        }
    }
}
