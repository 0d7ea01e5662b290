using System.CommandLine;

namespace Crema.Cli;

/// <summary>The <c>crema</c> command tree and how a command line runs: shared by Program.cs and the in-process tests.</summary>
internal static class CremaCommandLine
{
    internal static RootCommand CreateRoot() => new("crema: a Caffe-style training core for .NET (CPU reference path, CUDA kernels)")
    {
        InfoCommand.Create(),
        LayerCommand.Create(),
        NetCommand.Create(),
        TimeCommand.Create(),
        DeviceQueryCommand.Create(),
        CheckCommand.Create(),
    };

    /// <summary>Parses and runs <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var parse = CreateRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad input is exit code 2 with one line per problem on stderr (System.CommandLine's default is 1 plus help);
            // a message over several lines (the accepted values of an option) is joined into one.
            foreach (var problem in parse.Errors)
            {
                var parts = problem.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                error.WriteLine($"crema: {string.Join(' ', parts)}");
            }

            return ExitCodes.BadInput;
        }

        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
