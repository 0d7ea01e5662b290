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
        TrainCommand.Create(),
        TestCommand.Create(),
    };

    /// <summary>
    /// Parses and runs <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.
    /// <paramref name="cancellationToken"/> reaches the commands that can stop early (<c>crema train</c>, which also
    /// handles Ctrl+C itself while it trains).
    /// </summary>
    internal static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
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

        // No process-termination handler of System.CommandLine's: it would end a training run 2 s after Ctrl+C,
        // possibly while its snapshot is being written; crema train handles Ctrl+C between iterations instead.
        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        return parse.InvokeAsync(configuration, cancellationToken).GetAwaiter().GetResult();
    }
}
