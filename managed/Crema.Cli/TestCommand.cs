using System.CommandLine;
using System.Globalization;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;
using Crema.Solvers;

namespace Crema.Cli;

/// <summary>What <c>crema test</c> was asked to do.</summary>
/// <param name="Model">--model: the net's text-format file (built in the TEST phase).</param>
/// <param name="Weights">--weights: the trained .caffemodel.</param>
/// <param name="Iterations">--iterations: the forward passes to average.</param>
/// <param name="Engine">--engine.</param>
/// <param name="Data">--data: the folder data layers read from, or null.</param>
internal sealed record TestOptions(string Model, string Weights, int Iterations, ComputeEngine Engine, string? Data = null);

/// <summary>The means <c>crema test</c> computed.</summary>
/// <param name="Loss">The net's weighted loss, averaged over the passes.</param>
/// <param name="Outputs">Each element of each output blob (name, mean, loss weight), in Caffe's order.</param>
internal sealed record TestMeans(double Loss, IReadOnlyList<(string Name, double Mean, double LossWeight)> Outputs);

/// <summary>
/// <c>crema test</c>: Caffe's <c>caffe test</c>. Builds the net in the TEST phase, copies the trained weights, runs
/// <c>--iterations</c> forward passes and prints the mean of each output as Caffe does (<c>accuracy = 0.89</c>,
/// <c>loss = 0.31 (* 1 = 0.31 loss)</c>). Bad input is exit code 2 with one <c>crema: </c> line; an unusable GPU is
/// exit code 3.
/// </summary>
internal static class TestCommand
{
    /// <summary>Caffe's default number of test iterations.</summary>
    internal const int DefaultIterations = 50;

    internal static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "The net: a NetParameter in Caffe's text format (.prototxt), built in the TEST phase",
            HelpName = "FILE",
            Required = true,
        };
        var weights = new Option<string>("--weights")
        {
            Description = "The trained weights: a binary .caffemodel (e.g. a snapshot of crema train)",
            HelpName = "FILE",
            Required = true,
        };
        var iterations = new Option<int>("--iterations")
        {
            Description = "How many forward passes (batches) to average",
            HelpName = "N",
            DefaultValueFactory = _ => DefaultIterations,
        };
        var engine = CommonOptions.Engine();
        var data = DataOption.Create();
        var command = new Command("test", "Score trained weights: run the TEST net --iterations times and print each output's mean")
        {
            model, weights, iterations, engine, data,
        };
        command.SetAction(parse => Run(
            new TestOptions(parse.GetValue(model)!, parse.GetValue(weights)!, parse.GetValue(iterations), parse.GetValue(engine), parse.GetValue(data)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(TestOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CommandRunner.Run(() => Test(options, output), error);
    }

    private static int Test(TestOptions options, TextWriter output)
    {
        if (options.Iterations < 1)
        {
            throw new BadInputException($"--iterations must be at least 1, got {options.Iterations}");
        }

        using var dataRoot = DataOption.Apply(options.Data);
        var param = InputFiles.ReadNet("--model", options.Model);
        var trained = InputFiles.ReadWeights("--weights", options.Weights);

        Engine.Use(options.Engine);
        using var net = NetCommand.UserStep(() => new Net<float>(param, Phase.Test));
        NetCommand.UserStep(() => NetWeights.CopyFrom(net, trained));
        var means = NetCommand.UserStep(() => Means(net, options.Iterations));

        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Tested {(net.Name.Length > 0 ? $"net '{net.Name}'" : options.Model)} with {options.Weights}: {options.Iterations} iterations on the {options.Engine} engine"));
        output.WriteLine($"Loss: {CaffeFormat.Number(means.Loss)}");
        foreach (var (name, mean, weight) in means.Outputs)
        {
            string loss = weight == 0 ? "" : $" (* {CaffeFormat.Number(weight)} = {CaffeFormat.Number(weight * mean)} loss)";
            output.WriteLine($"{name} = {CaffeFormat.Number(mean)}{loss}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> forward passes and averages, in double, the loss and each element of each
    /// output blob (in <see cref="Net{T}.OutputBlobs"/> order, elements in order), as the solver's test does.
    /// </summary>
    internal static TestMeans Means(Net<float> net, int iterations)
    {
        var (loss, scores) = TestPasses.Average(net, iterations);
        return new TestMeans(loss, [.. scores.Select(score => (score.BlobName, score.Value, score.LossWeight))]);
    }
}
