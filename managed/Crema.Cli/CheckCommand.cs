using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Crema.Fillers;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Cli;

/// <summary>What <c>crema check</c> was asked to do.</summary>
/// <param name="Model">--model: the NetParameter text-format file.</param>
/// <param name="Tolerance">--tolerance: the largest relative difference that passes (null: the dtype's default).</param>
/// <param name="Floor">--floor: the floor of the relative difference, as a fraction of each tensor's largest magnitude.</param>
/// <param name="Weights">--weights: a binary .caffemodel copied into the net (by layer name), or null.</param>
/// <param name="Seed">--seed: the fillers' seed.</param>
/// <param name="Phase">--phase.</param>
/// <param name="Double">--dtype float64 (otherwise float32).</param>
/// <param name="Device">--device: the GPU.</param>
/// <param name="Candidate">--candidate: the engine checked against the CPU (the GPU; the CPU checks run-to-run determinism).</param>
/// <param name="ForwardOnly">--forward-only: no Backward, no diffs compared.</param>
/// <param name="Format">--format.</param>
internal sealed record CheckOptions(
    string Model,
    double? Tolerance = null,
    double Floor = RelativeDifference.DefaultFloor,
    string? Weights = null,
    ulong Seed = SeededRandom.DefaultSeed,
    Phase Phase = Phase.Train,
    bool Double = false,
    int Device = 0,
    ComputeEngine Candidate = ComputeEngine.Gpu,
    bool ForwardOnly = false,
    TableFormat Format = TableFormat.Auto)
{
    /// <summary>The default tolerance for float32 runs.</summary>
    internal const double DefaultFloat32Tolerance = 1e-4;

    /// <summary>The default tolerance for float64 runs.</summary>
    internal const double DefaultFloat64Tolerance = 1e-10;

    /// <summary>Called with the candidate net (a <c>Net&lt;float&gt;</c> or <c>Net&lt;double&gt;</c>) before it runs: a test seam.</summary>
    internal Action<object>? PrepareCandidate { get; init; }

    /// <summary>The tolerance in force.</summary>
    internal double EffectiveTolerance => Tolerance ?? (Double ? DefaultFloat64Tolerance : DefaultFloat32Tolerance);
}

/// <summary>
/// <c>crema check</c>: runs a net on the CPU (the reference) and on the GPU from the same weights and input, and
/// reports per blob and per param the largest relative difference of data and diff (<see cref="NetComparison"/>).
/// Exit code 1 when a difference is past the tolerance, 2 for bad input, 3 when the GPU cannot be used.
/// </summary>
internal static class CheckCommand
{
    internal static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "The net: a NetParameter in Caffe's text format (.prototxt)",
            HelpName = "FILE",
            Required = true,
        };
        var tolerance = new Option<double?>("--tolerance")
        {
            Description = $"The largest relative difference that passes (default {DefaultText(CheckOptions.DefaultFloat32Tolerance)} for float32, {DefaultText(CheckOptions.DefaultFloat64Tolerance)} for float64)",
            HelpName = "X",
        };
        tolerance.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is { } x && !(double.IsFinite(x) && x >= 0))
            {
                result.AddError($"--tolerance must be a finite number ≥ 0, got {x.ToString(CultureInfo.InvariantCulture)}");
            }
        });
        var floor = new Option<double>("--floor")
        {
            Description = "The relative difference is |a − b| / max(|a|, |b|, floor · the tensor's largest |value|)",
            HelpName = "X",
            DefaultValueFactory = _ => RelativeDifference.DefaultFloor,
        };
        floor.Validators.Add(result =>
        {
            double x = result.GetValueOrDefault<double>();
            if (!(double.IsFinite(x) && x >= 0))
            {
                result.AddError($"--floor must be a finite number ≥ 0, got {x.ToString(CultureInfo.InvariantCulture)}");
            }
        });
        var weights = new Option<string?>("--weights")
        {
            Description = "Trained weights: a binary Caffe .caffemodel, copied into the layers with the same names",
            HelpName = "FILE",
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed of the fillers' generator (the weights without --weights, and random data)",
            HelpName = "N",
            DefaultValueFactory = _ => SeededRandom.DefaultSeed,
        };
        var phase = CommonOptions.Phase();
        var dtype = CommonOptions.DType();
        var device = CommonOptions.Device();
        var candidate = new Option<ComputeEngine>("--candidate")
        {
            Description = "The engine checked against the CPU: Gpu (default), or Cpu (a CPU run against another: determinism)",
            DefaultValueFactory = _ => ComputeEngine.Gpu,
        };
        var forwardOnly = new Option<bool>("--forward-only") { Description = "Run Forward only and compare the data (no diffs)" };
        var format = CommonOptions.Format();

        var command = new Command("check", "Run a net on the CPU and the GPU from the same weights and input and compare every blob and param")
        {
            model, tolerance, floor, weights, seed, phase, dtype, device, candidate, forwardOnly, format,
        };
        command.SetAction(parse => Run(
            new CheckOptions(
                parse.GetValue(model)!,
                parse.GetValue(tolerance),
                parse.GetValue(floor),
                parse.GetValue(weights),
                parse.GetValue(seed),
                CommonOptions.ParsePhase(parse.GetValue(phase)),
                parse.GetValue(dtype) == "float64",
                parse.GetValue(device),
                parse.GetValue(candidate),
                parse.GetValue(forwardOnly),
                parse.GetValue(format)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(CheckOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(error);
        return CommandRunner.Run(() => options.Double ? Run<double>(options, output, error) : Run<float>(options, output, error), error);
    }

    private static int Run<T>(CheckOptions options, TextWriter output, TextWriter error)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double tolerance = options.EffectiveTolerance;
        if (!(double.IsFinite(tolerance) && tolerance >= 0))
        {
            throw new BadInputException($"--tolerance must be a finite number ≥ 0, got {tolerance.ToString(CultureInfo.InvariantCulture)}");
        }

        if (!(double.IsFinite(options.Floor) && options.Floor >= 0))
        {
            throw new BadInputException($"--floor must be a finite number ≥ 0, got {options.Floor.ToString(CultureInfo.InvariantCulture)}");
        }

        var param = InputFiles.ReadNet("--model", options.Model);
        var trained = options.Weights is null ? null : InputFiles.ReadWeights("--weights", options.Weights);

        // Bad input first (exit code 2), then whether the GPU can be used (3), before any work.
        Engine.Use(options.Candidate, options.Device);
        Engine.UseCpu();

        var settings = new NetComparisonSettings
        {
            Reference = ComputeEngine.Cpu,
            Candidate = options.Candidate,
            Device = options.Device,
            Seed = options.Seed,
            Floor = options.Floor,
            ForwardOnly = options.ForwardOnly,
        };
        Action<Net<T>>? initialize = trained is null ? null : net => NetCommand.UserStep(() => NetWeights.CopyFrom(net, trained));
        Action<Net<T>>? prepare = options.PrepareCandidate is { } hook ? net => hook(net) : null;
        var report = NetCommand.UserStep(() => NetComparison.Run(param, options.Phase, settings, initialize, prepare));

        string against = options.Candidate == ComputeEngine.Gpu ? $"GPU (device {options.Device})" : "CPU (a second run)";
        output.WriteLine(
            $"net '{NetName(param, options.Model)}' ({CommonOptions.PhaseName(options.Phase)}, {(options.Double ? "float64" : "float32")}): " +
            $"CPU (reference) against {against}, seed {options.Seed}, {(options.ForwardOnly ? "Forward" : "Forward and Backward")}");
        output.WriteLine(
            $"relative difference = |a - b| / max(|a|, |b|, {DefaultText(options.Floor)} * the tensor's largest |value|); tolerance {DefaultText(tolerance)}");
        output.WriteLine();

        var table = new TextTable("kind", "name", "shape", ">data", ">diff", "result");
        foreach (var entry in report.Entries)
        {
            table.AddRow(
                entry.Kind.ToString().ToLowerInvariant(),
                entry.Name,
                Shape(entry.Shape),
                Relative(entry.Data.MaxRelative),
                entry.Diff is { } diff ? Relative(diff.MaxRelative) : "-",
                entry.MaxRelative > tolerance ? "FAIL" : "ok");
        }

        table.Write(output, options.Format);
        output.WriteLine();
        if (report.Worst is { MaxRelative: > 0 } worst)
        {
            bool inDiff = worst.Diff is { } d && d.MaxRelative > worst.Data.MaxRelative;
            var at = inDiff ? worst.Diff!.Value : worst.Data;
            output.WriteLine(
                $"worst: {worst.Kind.ToString().ToLowerInvariant()} {worst.Name} {(inDiff ? "diff" : "data")} at index {at.Index}: " +
                $"reference {Value(at.Reference)}, candidate {Value(at.Candidate)}, relative {Relative(at.MaxRelative)}");
        }

        var failed = report.PastTolerance(tolerance);
        if (failed.Count == 0)
        {
            output.WriteLine($"PASS: {report.Entries.Count} tensors, the largest relative difference {Relative(report.MaxRelative)} is within the tolerance {DefaultText(tolerance)}");
            return ExitCodes.Ok;
        }

        string list = string.Join(", ", failed.Select(e => $"{e.Kind.ToString().ToLowerInvariant()} {e.Name} ({Relative(e.MaxRelative)})"));
        output.WriteLine($"FAIL: {failed.Count} of {report.Entries.Count} tensors differ by more than the tolerance {DefaultText(tolerance)}: {list}");
        error.WriteLine($"crema: check failed: {failed.Count} of {report.Entries.Count} tensors past the tolerance {DefaultText(tolerance)} (largest {Relative(report.MaxRelative)}: {report.Worst!.Kind.ToString().ToLowerInvariant()} {report.Worst.Name})");
        return ExitCodes.CheckFailed;
    }

    /// <summary>A relative difference as printed: 0 exactly, else three significant digits in exponent form.</summary>
    internal static string Relative(double value) =>
        value == 0 ? "0" : double.IsPositiveInfinity(value) ? "inf" : value.ToString("0.00e+00", CultureInfo.InvariantCulture);

    private static string Shape(IReadOnlyList<int> shape) => shape.Count == 0 ? "scalar" : string.Join('x', shape);

    private static string Value(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string DefaultText(double value) => value.ToString("G", CultureInfo.InvariantCulture);

    private static string NetName(NetParameter param, string path) =>
        string.IsNullOrEmpty(param.Name) ? Path.GetFileNameWithoutExtension(path) : param.Name;
}
