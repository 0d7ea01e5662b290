using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using Crema.Core;
using Crema.IO;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Cli;

/// <summary>What <c>crema layer</c> was asked to do.</summary>
/// <param name="Type">--type: the layer type, or null to take <c>type:</c> from <paramref name="Param"/>.</param>
/// <param name="Param">--param: the body of a LayerParameter in text format, or null.</param>
/// <param name="Bottoms">--bottom: one .npy file per bottom, in order.</param>
/// <param name="TopDiffs">--top-diff: one .npy file per top, or none.</param>
/// <param name="PropagateDown">--propagate-down: e.g. "1,0", or null.</param>
/// <param name="Engine">--engine.</param>
/// <param name="Double">--dtype float64 (otherwise float32).</param>
/// <param name="Out">--out: the output folder.</param>
/// <param name="Tops">--tops: how many tops to give the layer, or null for the least it takes.</param>
internal sealed record LayerOptions(
    string? Type,
    string? Param,
    IReadOnlyList<string> Bottoms,
    IReadOnlyList<string> TopDiffs,
    string? PropagateDown,
    ComputeEngine Engine,
    bool Double,
    string Out,
    int? Tops = null);

/// <summary>
/// <c>crema layer</c>: runs one layer on bottoms read from .npy files (SetUp, Forward, then Backward when there is a
/// loss or top diffs are given) and writes its tops and bottom diffs as .npy files, to cross-check Crema against numpy
/// or PyTorch. Bad input is exit code 2 with one <c>crema: </c> line on stderr; an unusable GPU is exit code 3.
/// </summary>
internal static partial class LayerCommand
{
    internal static Command Create()
    {
        var type = new Option<string?>("--type") { Description = "Layer type, e.g. SoftmaxWithLoss (or give type: in --param)", HelpName = "TYPE" };
        var param = new Option<string?>("--param")
        {
            Description = "The LayerParameter body in Caffe's text format, e.g. 'loss_weight: 3 loss_param { ignore_label: 0 }'",
            HelpName = "TEXT",
        };
        var bottom = new Option<string[]>("--bottom")
        {
            Description = "An .npy file per bottom, in order (float32, float64, int32 or int64; converted to --dtype)",
            HelpName = "FILE.npy",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var topDiff = new Option<string[]>("--top-diff")
        {
            Description = "An .npy file per top: the top diffs to back-propagate (default for a loss layer: its loss weights)",
            HelpName = "FILE.npy",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var propagateDown = new Option<string?>("--propagate-down")
        {
            Description = "Which bottoms get a diff, one entry per bottom, e.g. 1,0 (default: propagate_down in --param, " +
                          "else every bottom the layer allows, so never labels)",
            HelpName = "LIST",
        };
        var engine = CommonOptions.Engine();
        var dtype = CommonOptions.DType("The element type of the run and of the files written");
        var tops = new Option<int?>("--tops")
        {
            Description = "Number of tops (default: the exact number the layer takes, else its least, e.g. 2 for " +
                          "SoftmaxWithLoss's probabilities)",
            HelpName = "N",
        };
        var output = new Option<string>("--out")
        {
            Description = "Folder for top_<i>.npy and bottom_diff_<i>.npy (created if missing)",
            HelpName = "DIR",
            Required = true,
        };

        var command = new Command("layer", "Run one layer forward (and backward) on .npy inputs and write its tops and bottom diffs")
        {
            type, param, bottom, topDiff, propagateDown, engine, dtype, tops, output,
        };
        command.SetAction(parse => Run(
            new LayerOptions(
                parse.GetValue(type),
                parse.GetValue(param),
                parse.GetValue(bottom) ?? [],
                parse.GetValue(topDiff) ?? [],
                parse.GetValue(propagateDown),
                parse.GetValue(engine),
                parse.GetValue(dtype) == "float64",
                parse.GetValue(output)!,
                parse.GetValue(tops)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(LayerOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CommandRunner.Run(() => options.Double ? Run<double>(options, output) : Run<float>(options, output), error);
    }

    private static int Run<T>(LayerOptions options, TextWriter output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var param = ReadParameter(options);
        if (options.Tops is < 1)
        {
            throw new BadInputException($"--tops must be at least 1, got {options.Tops}");
        }

        bool[]? requestedPropagation = options.PropagateDown is null ? null : ParsePropagateDown(options.PropagateDown);
        using var layer = UserStep(() => LayerRegistry<T>.Create(param));
        var bottomArrays = options.Bottoms.Select(path => ReadArray<T>("--bottom", path)).ToList();
        var topDiffArrays = options.TopDiffs.Select(path => ReadArray<T>("--top-diff", path)).ToList();
        var propagate = ChoosePropagation(layer, param, requestedPropagation, bottomArrays.Count);

        // After reading (bad input first) and before the blobs exist (their host memory is pinned on the GPU engine).
        Engine.Use(options.Engine);

        var bottoms = new List<Blob<T>>();
        var tops = new List<Blob<T>>();
        try
        {
            foreach (var array in bottomArrays)
            {
                var blob = new Blob<T>(array.Shape);
                bottoms.Add(blob);
                blob.SetData(array.Values);
            }

            int topCount = options.Tops ?? DefaultTopCount(layer, bottoms.Count);
            for (int i = 0; i < topCount; i++)
            {
                tops.Add(new Blob<T>());
            }

            UserStep(() => layer.SetUp(bottoms, tops));
            var loss = UserStep(() => layer.Forward(bottoms, tops));

            bool backward = topDiffArrays.Count > 0 || layer.HasLoss;
            if (topDiffArrays.Count > 0)
            {
                SetTopDiffs(options.TopDiffs, topDiffArrays, tops);
            }
            else if (!layer.HasLoss && options.PropagateDown is not null)
            {
                throw new BadInputException($"--propagate-down needs a backward pass, but {layer} has no loss: give --top-diff (one file per top)");
            }

            if (backward && propagate.Contains(true))
            {
                UserStep(() => layer.Backward(tops, propagate, bottoms));
            }

            var written = WriteOutputs(options.Out, tops, bottoms, backward ? propagate : new bool[bottoms.Count]);
            output.WriteLine($"loss: {loss.ToString("R", CultureInfo.InvariantCulture)}");
            foreach (string line in written)
            {
                output.WriteLine(line);
            }

            return ExitCodes.Ok;
        }
        finally
        {
            bottoms.ForEach(b => b.Dispose());
            tops.ForEach(t => t.Dispose());
        }
    }

    private static LayerParameter ReadParameter(LayerOptions options)
    {
        LayerParameter param;
        try
        {
            param = options.Param is null ? new LayerParameter() : LayerParameter.Parse(options.Param, "--param");
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            // TextFormatException: "--param:line:column: what".
            throw new BadInputException(OneLine(e));
        }

        if (!string.IsNullOrEmpty(options.Type))
        {
            if (param.Type.Length > 0 && param.Type != options.Type)
            {
                throw new BadInputException($"--type {options.Type} conflicts with type: \"{param.Type}\" in --param");
            }

            param.Type = options.Type;
        }

        if (param.Type.Length == 0)
        {
            throw new BadInputException($"no layer type: give --type or type: in --param (known types: {string.Join(", ", LayerRegistry<float>.Types)})");
        }

        return param;
    }

    private static bool[] ParsePropagateDown(string text)
    {
        string[] entries = text.Split(',', StringSplitOptions.TrimEntries);
        var result = new bool[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            result[i] = entries[i].ToUpperInvariant() switch
            {
                "1" or "TRUE" => true,
                "0" or "FALSE" => false,
                _ => throw new BadInputException(
                    $"--propagate-down '{text}': entry {i + 1} is '{entries[i]}'; expected a comma-separated list of 1 or 0 (or true/false), one per bottom"),
            };
        }

        return result;
    }

    private static bool[] ChoosePropagation<T>(Layer<T> layer, LayerParameter param, bool[]? requested, int bottomCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (requested is not null)
        {
            return requested.Length == bottomCount
                ? requested
                : throw new BadInputException($"--propagate-down has {requested.Length} entries but there are {bottomCount} bottoms (--bottom)");
        }

        if (param.PropagateDown.Count > 0)
        {
            return param.PropagateDown.Count == bottomCount
                ? [.. param.PropagateDown]
                : throw new BadInputException($"propagate_down in --param has {param.PropagateDown.Count} entries but there are {bottomCount} bottoms (--bottom)");
        }

        return [.. Enumerable.Range(0, bottomCount).Select(layer.AllowForceBackward)];
    }

    private static int DefaultTopCount<T>(Layer<T> layer, int bottomCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (layer.ExactNumTopBlobs >= 0)
        {
            return layer.ExactNumTopBlobs;
        }

        return layer.EqualNumBottomTopBlobs ? bottomCount : Math.Max(1, layer.MinTopBlobs);
    }

    private static NpyArray<T> ReadArray<T>(string option, string path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Directory.Exists(path))
        {
            throw new BadInputException($"{option} {path}: is a folder, not an .npy file");
        }

        NpyArray<T> array;
        try
        {
            array = Npy.Read<T>(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BadInputException($"{option} {path}: no such file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new BadInputException($"{option} {path}: permission denied");
        }
        catch (InvalidDataException e)
        {
            // Npy's message starts with the path.
            throw new BadInputException($"{option} {OneLine(e)}");
        }
        catch (IOException e)
        {
            throw new BadInputException($"{option} {path}: cannot read: {OneLine(e)}");
        }

        if (array.Shape.Length > Blob<T>.MaxAxes)
        {
            throw new BadInputException($"{option} {path}: shape {array.ShapeText} has {array.Shape.Length} axes; a blob has at most {Blob<T>.MaxAxes}");
        }

        return array;
    }

    private static void SetTopDiffs<T>(IReadOnlyList<string> paths, List<NpyArray<T>> arrays, List<Blob<T>> tops)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (arrays.Count != tops.Count)
        {
            throw new BadInputException($"--top-diff was given {arrays.Count} time(s) but the layer has {tops.Count} top(s); give one file per top");
        }

        for (int i = 0; i < tops.Count; i++)
        {
            if (!arrays[i].Shape.AsSpan().SequenceEqual(tops[i].Shape.ToArray()))
            {
                throw new BadInputException(
                    $"--top-diff {paths[i]} has shape {arrays[i].ShapeText} but top {i} has shape {NpyHeader.FormatShape([.. tops[i].Shape])}");
            }

            tops[i].SetDiff(arrays[i].Values);
        }
    }

    private static List<string> WriteOutputs<T>(string folder, List<Blob<T>> tops, List<Blob<T>> bottoms, bool[] withDiff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var lines = new List<string>();
        var written = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            Directory.CreateDirectory(folder);
            for (int i = 0; i < tops.Count; i++)
            {
                lines.Add(Write(folder, $"top_{i}.npy", tops[i], diff: false, written));
            }

            for (int i = 0; i < bottoms.Count; i++)
            {
                if (withDiff[i])
                {
                    lines.Add(Write(folder, $"bottom_diff_{i}.npy", bottoms[i], diff: true, written));
                }
            }

            // Outputs of an earlier run that this run did not write would be mistaken for this run's.
            foreach (string stale in Directory.EnumerateFiles(folder, "*.npy"))
            {
                string name = Path.GetFileName(stale);
                if (OutputName().IsMatch(name) && !written.Contains(name))
                {
                    File.Delete(stale);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"--out {folder}: cannot write: {OneLine(e)}");
        }

        return lines;
    }

    private static string Write<T>(string folder, string name, Blob<T> blob, bool diff, HashSet<string> written)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string path = Path.Combine(folder, name);
        Npy.Write(path, blob, diff);
        written.Add(name);
        return $"wrote {path}: shape {NpyHeader.FormatShape([.. blob.Shape])}";
    }

    // Runs a step of the layer; what the layer refuses (shapes, labels, parameters) is the user's input.
    private static TResult UserStep<TResult>(Func<TResult> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsBadInput(e))
        {
            throw new BadInputException(OneLine(e));
        }
    }

    private static void UserStep(Action action) => UserStep(() =>
    {
        action();
        return 0;
    });

    private static bool IsBadInput(Exception e) => e is ArgumentException or FormatException or InvalidDataException;

    /// <summary>The exception's message on one line, without the "(Parameter 'x')" suffix argument exceptions add.</summary>
    internal static string OneLine(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } name })
        {
            message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        }

        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (e is ArgumentOutOfRangeException)
        {
            // "Actual value was N." repeats what our messages already say.
            lines = [.. lines.Where(l => !l.StartsWith("Actual value was", StringComparison.Ordinal))];
        }

        return string.Join(' ', lines);
    }

    [GeneratedRegex(@"^(top|bottom_diff)_\d+\.npy$")]
    private static partial Regex OutputName();
}

/// <summary>The user's input was rejected; the message says why (one line, without the "crema: " prefix).</summary>
internal sealed class BadInputException(string message) : Exception(message);
