using System.CommandLine;
using Crema.Cli;

var root = new RootCommand("crema: a Caffe-style training core for .NET (CPU reference path, CUDA kernels)")
{
    InfoCommand.Create(),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // Bad input is exit code 2 with one line per problem on stderr (System.CommandLine's default is 1 plus help).
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"crema: {error.Message}");
    }

    return ExitCodes.BadInput;
}

return parse.Invoke();
