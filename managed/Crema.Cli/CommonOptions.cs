using System.CommandLine;
using Crema.Parameters;

namespace Crema.Cli;

/// <summary>Options that several commands share, made the same way everywhere.</summary>
internal static class CommonOptions
{
    /// <summary>--phase TRAIN|TEST (default TRAIN).</summary>
    internal static Option<string> Phase()
    {
        var phase = new Option<string>("--phase")
        {
            Description = "The phase the net is built for (selects layers by include/exclude)",
            DefaultValueFactory = _ => "TRAIN",
        };
        phase.AcceptOnlyFromAmong("TRAIN", "TEST");
        return phase;
    }

    /// <summary>The phase --phase names.</summary>
    internal static Phase ParsePhase(string? value) => value == "TEST" ? Parameters.Phase.Test : Parameters.Phase.Train;

    /// <summary>The name --phase uses for <paramref name="phase"/>.</summary>
    internal static string PhaseName(Phase phase) => phase == Parameters.Phase.Test ? "TEST" : "TRAIN";

    /// <summary>--dtype float32|float64 (default float32).</summary>
    internal static Option<string> DType(string description = "The element type of the run")
    {
        var dtype = new Option<string>("--dtype")
        {
            Description = description,
            DefaultValueFactory = _ => "float32",
        };
        dtype.AcceptOnlyFromAmong("float32", "float64");
        return dtype;
    }

    /// <summary>--engine Cpu|Gpu (default Cpu).</summary>
    internal static Option<ComputeEngine> Engine(
        string description = "Cpu or Gpu (Gpu fails with exit code 3 and the reason when unusable)") => new("--engine")
        {
            Description = description,
            DefaultValueFactory = _ => ComputeEngine.Cpu,
        };

    /// <summary>--device N (default 0): the GPU ordinal.</summary>
    internal static Option<int> Device()
    {
        var device = new Option<int>("--device")
        {
            Description = "The GPU device ordinal",
            HelpName = "N",
            DefaultValueFactory = _ => 0,
        };
        device.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError($"--device must be 0 or more, got {result.GetValueOrDefault<int>()}");
            }
        });
        return device;
    }

    /// <summary>--format auto|table|plain (and caffe where <paramref name="withCaffe"/>).</summary>
    internal static Option<TableFormat> Format(bool withCaffe = false)
    {
        var format = new Option<TableFormat>("--format")
        {
            Description = withCaffe
                ? "auto (a table on a terminal, plain text otherwise), table, plain, or caffe (Caffe's log lines)"
                : "auto (a table on a terminal, plain text otherwise), table or plain",
            DefaultValueFactory = _ => TableFormat.Auto,
        };
        if (withCaffe)
        {
            format.AcceptOnlyFromAmong("auto", "table", "plain", "caffe", "Auto", "Table", "Plain", "Caffe");
        }
        else
        {
            format.AcceptOnlyFromAmong("auto", "table", "plain", "Auto", "Table", "Plain");
        }

        return format;
    }
}
