using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Crema.Fillers;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Cli;

/// <summary>What <c>crema time</c> was asked to do.</summary>
/// <param name="Model">--model: the NetParameter text-format file.</param>
/// <param name="Iterations">--iterations: timed forward-backward iterations after the warm-up.</param>
/// <param name="Engine">--engine.</param>
/// <param name="Device">--device: the GPU for --engine gpu.</param>
/// <param name="Phase">--phase.</param>
/// <param name="Double">--dtype float64 (otherwise float32).</param>
/// <param name="Seed">--seed: the fillers' seed, or null for the default.</param>
/// <param name="Format">--format.</param>
internal sealed record TimeOptions(
    string Model,
    int Iterations = 50,
    ComputeEngine Engine = ComputeEngine.Cpu,
    int Device = 0,
    Phase Phase = Phase.Train,
    bool Double = false,
    ulong? Seed = null,
    TableFormat Format = TableFormat.Auto);

/// <summary>
/// <c>crema time</c>: Caffe's <c>caffe time</c>. One warm-up forward and backward pass, then N timed forward-backward
/// iterations; prints each layer's average forward and backward time and the average forward pass, backward pass and
/// forward-backward iteration (see <see cref="NetTiming"/>), as a table or as Caffe's log lines (--format caffe).
/// </summary>
internal static class TimeCommand
{
    internal static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "The net: a NetParameter in Caffe's text format (.prototxt)",
            HelpName = "FILE",
            Required = true,
        };
        var iterations = new Option<int>("--iterations")
        {
            Description = "Timed forward-backward iterations after one warm-up pass",
            HelpName = "N",
            DefaultValueFactory = _ => 50,
        };
        iterations.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"--iterations must be at least 1, got {result.GetValueOrDefault<int>()}");
            }
        });
        var engine = CommonOptions.Engine("Cpu (Stopwatch) or Gpu (CUDA events; fails with exit code 3 and the reason when unusable)");
        var device = CommonOptions.Device();
        var phase = CommonOptions.Phase();
        var dtype = CommonOptions.DType();
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the fillers' generator", HelpName = "N" };
        var format = CommonOptions.Format(withCaffe: true);

        var command = new Command("time", "Time each layer's forward and backward pass (Caffe's `caffe time`)")
        {
            model, iterations, engine, device, phase, dtype, seed, format,
        };
        command.SetAction(parse => Run(
            new TimeOptions(
                parse.GetValue(model)!,
                parse.GetValue(iterations),
                parse.GetValue(engine),
                parse.GetValue(device),
                CommonOptions.ParsePhase(parse.GetValue(phase)),
                parse.GetValue(dtype) == "float64",
                parse.GetValue(seed),
                parse.GetValue(format)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(TimeOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CommandRunner.Run(() => options.Double ? Run<double>(options, output) : Run<float>(options, output), error);
    }

    private static int Run<T>(TimeOptions options, TextWriter output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (options.Iterations < 1)
        {
            throw new BadInputException($"--iterations must be at least 1, got {options.Iterations}");
        }

        var param = InputFiles.ReadNet("--model", options.Model);
        Engine.Use(options.Engine, options.Device);
        if (options.Seed is { } seed)
        {
            SeededRandom.SetGlobalSeed(seed);
        }

        using var net = NetCommand.UserStep(() => new Net<T>(param, options.Phase));
        var report = NetCommand.UserStep(() => NetTiming.Time(net, options.Iterations));
        Print(report, net.Name, options, output);
        return ExitCodes.Ok;
    }

    internal static void Print(NetTimingReport report, string netName, TimeOptions options, TextWriter output)
    {
        string engine = report.Engine == ComputeEngine.Gpu ? $"GPU (device {options.Device}, CUDA events)" : "CPU (Stopwatch)";
        if (options.Format == TableFormat.Caffe)
        {
            // Caffe's lines (tools/caffe.cpp's `time`), with our names for the engine.
            output.WriteLine($"Timing net '{netName}' ({CommonOptions.PhaseName(options.Phase)}) on {engine}: {report.Iterations} iterations");
            output.WriteLine($"Initial loss: {Number(report.WarmUpLoss)}");
            output.WriteLine("Average time per layer: ");
            foreach (var layer in report.Layers)
            {
                output.WriteLine($"{layer.Name,10}\tforward: {Ms(layer.ForwardMs)} ms.");
                output.WriteLine($"{layer.Name,10}\tbackward: {Ms(layer.BackwardMs)} ms.");
            }

            output.WriteLine($"Average Forward pass: {Ms(report.ForwardMs)} ms.");
            output.WriteLine($"Average Backward pass: {Ms(report.BackwardMs)} ms.");
            output.WriteLine($"Average Forward-Backward: {Ms(report.ForwardBackwardMs)} ms.");
            output.WriteLine($"Total Time: {Ms(report.TotalMs)} ms.");
            return;
        }

        output.WriteLine($"net '{netName}' ({CommonOptions.PhaseName(options.Phase)}, {(options.Double ? "float64" : "float32")}) on {engine}: 1 warm-up pass, {report.Iterations} iterations");
        output.WriteLine($"warm-up loss: {Number(report.WarmUpLoss)}");
        output.WriteLine();
        var table = new TextTable("layer", "type", ">forward ms", ">backward ms");
        foreach (var layer in report.Layers)
        {
            table.AddRow(layer.Name, layer.Type, Ms(layer.ForwardMs), Ms(layer.BackwardMs));
        }

        table.Write(output, options.Format);
        output.WriteLine();
        var totals = new TextTable("average", ">ms");
        totals.AddRow("forward pass", Ms(report.ForwardMs));
        totals.AddRow("backward pass", Ms(report.BackwardMs));
        totals.AddRow("forward-backward", Ms(report.ForwardBackwardMs));
        totals.AddRow($"total ({report.Iterations} iterations)", Ms(report.TotalMs));
        totals.Write(output, options.Format);
    }

    /// <summary>Milliseconds with four decimals (microsecond resolution and a bit).</summary>
    internal static string Ms(double milliseconds) => milliseconds.ToString("F4", CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("G7", CultureInfo.InvariantCulture);
}
