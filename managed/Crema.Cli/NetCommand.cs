using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text;
using Crema.Core;
using Crema.Fillers;
using Crema.IO;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Cli;

/// <summary>What <c>crema net</c> was asked to do.</summary>
/// <param name="Model">--model: the NetParameter text-format file.</param>
/// <param name="Phase">--phase.</param>
/// <param name="Engine">--engine.</param>
/// <param name="Double">--dtype float64 (otherwise float32).</param>
/// <param name="Seed">--seed: the fillers' seed, or null for the default.</param>
/// <param name="ForwardOnly">--forward-only: no Backward.</param>
/// <param name="Dump">--dump: the folder for the blobs and params as .npy files, or null.</param>
/// <param name="Weights">--weights: a binary .caffemodel copied into the net (by layer name) before Forward, or null.</param>
/// <param name="DebugInfo">--debug-info: Caffe's per-layer debug lines (and the params' norms after Backward) on stdout.</param>
internal sealed record NetOptions(
    string Model,
    Phase Phase,
    ComputeEngine Engine,
    bool Double,
    ulong? Seed,
    bool ForwardOnly,
    string? Dump,
    string? Weights = null,
    bool DebugInfo = false);

/// <summary>
/// <c>crema net</c>: builds a net from a text-format file, runs Forward and (unless --forward-only) Backward once,
/// prints <c>loss: &lt;value&gt;</c> with round-trip precision, and with --dump writes every blob's data and diff and
/// every learnable param's data and diff as .npy files. Bad input is exit code 2 with one <c>crema: </c> line on
/// stderr (file:line:column for a malformed model, the layer and blob for a wiring error); an unusable GPU is exit code 3.
/// </summary>
internal static class NetCommand
{
    internal static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "The net: a NetParameter in Caffe's text format (.prototxt)",
            HelpName = "FILE",
            Required = true,
        };
        var phase = CommonOptions.Phase();
        var engine = CommonOptions.Engine();
        var dtype = CommonOptions.DType("The element type of the run and of the files written");
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the fillers' generator", HelpName = "N" };
        var forwardOnly = new Option<bool>("--forward-only") { Description = "Run Forward only (no Backward)" };
        var dump = new Option<string?>("--dump")
        {
            Description = "Folder for blob_<name>_data.npy/_diff.npy and param_<layer>_<index>_data.npy/_diff.npy (created if missing)",
            HelpName = "DIR",
        };

        var weights = new Option<string?>("--weights")
        {
            Description = "Trained weights: a binary Caffe .caffemodel, copied into the layers with the same names before Forward",
            HelpName = "FILE",
        };

        var debugInfo = new Option<bool>("--debug-info")
        {
            Description = "Print Caffe's debug info: each layer's top data, bottom and param diffs (mean absolute values) and the params' L1/L2 norms",
        };

        var command = new Command("net", "Build a net from a text-format file, run Forward (and Backward) once and print the loss")
        {
            model, phase, engine, dtype, seed, weights, forwardOnly, debugInfo, dump,
        };
        command.SetAction(parse => Run(
            new NetOptions(
                parse.GetValue(model)!,
                CommonOptions.ParsePhase(parse.GetValue(phase)),
                parse.GetValue(engine),
                parse.GetValue(dtype) == "float64",
                parse.GetValue(seed),
                parse.GetValue(forwardOnly),
                parse.GetValue(dump),
                parse.GetValue(weights),
                parse.GetValue(debugInfo)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(NetOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CommandRunner.Run(() => options.Double ? Run<double>(options, output) : Run<float>(options, output), error);
    }

    private static int Run<T>(NetOptions options, TextWriter output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var param = InputFiles.ReadNet("--model", options.Model);
        var trained = options.Weights is null ? null : InputFiles.ReadWeights("--weights", options.Weights);

        // After reading (bad input first) and before the blobs exist (their host memory is pinned on the GPU engine).
        Engine.Use(options.Engine);
        if (options.Seed is { } seed)
        {
            SeededRandom.SetGlobalSeed(seed);
        }

        using var net = UserStep(() => new Net<T>(param, options.Phase));
        if (options.DebugInfo)
        {
            net.Logger = new TextWriterLogger(output);
            net.DebugInfo = true;
        }

        if (trained is not null)
        {
            UserStep(() => NetWeights.CopyFrom(net, trained));
        }

        if (options.Dump is not null)
        {
            // Before running: two names that sanitise to the same file would silently overwrite one another.
            CheckDumpNames(net);
        }

        var loss = UserStep(net.Forward);
        if (!options.ForwardOnly)
        {
            UserStep(net.Backward);
        }

        output.WriteLine($"loss: {loss.ToString("R", CultureInfo.InvariantCulture)}");
        if (options.Dump is not null)
        {
            foreach (string line in Dump(options.Dump, net))
            {
                output.WriteLine(line);
            }
        }

        return ExitCodes.Ok;
    }

    private static List<string> Dump<T>(string folder, Net<T> net)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var lines = new List<string>();
        try
        {
            Directory.CreateDirectory(folder);
            foreach (var (stem, _, blob) in DumpStems(net))
            {
                lines.Add(Write(folder, $"{stem}_data.npy", blob, diff: false));
                lines.Add(Write(folder, $"{stem}_diff.npy", blob, diff: true));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"--dump {folder}: cannot write: {LayerCommand.OneLine(e)}");
        }

        return lines;
    }

    // The file stems --dump writes, each with the blob or param it stands for.
    private static IEnumerable<(string Stem, string What, Blob<T> Blob)> DumpStems<T>(Net<T> net)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < net.Blobs.Count; i++)
        {
            yield return ($"blob_{SafeName(net.BlobNames[i])}", $"blob '{net.BlobNames[i]}'", net.Blobs[i]);
        }

        var learnable = new HashSet<Blob<T>>(net.LearnableParams, ReferenceEqualityComparer.Instance);
        for (int l = 0; l < net.Layers.Count; l++)
        {
            var blobs = net.Layers[l].Blobs;
            for (int p = 0; p < blobs.Count; p++)
            {
                if (learnable.Contains(blobs[p]))
                {
                    yield return ($"param_{SafeName(net.LayerNames[l])}_{p}", $"layer '{net.LayerNames[l]}' param {p}", blobs[p]);
                }
            }
        }
    }

    private static void CheckDumpNames<T>(Net<T> net)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (stem, what, _) in DumpStems(net))
        {
            if (!seen.TryAdd(stem, what))
            {
                throw new BadInputException(
                    $"--dump: {seen[stem]} and {what} would both be written as {stem}_data.npy (characters outside [A-Za-z0-9_.-] become _); rename one");
            }
        }
    }

    private static string Write<T>(string folder, string name, Blob<T> blob, bool diff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string path = Path.Combine(folder, name);
        Npy.Write(path, blob, diff);
        return $"wrote {path}: shape {NpyHeader.FormatShape([.. blob.Shape])}";
    }

    /// <summary>The name with every character outside [A-Za-z0-9_.-] replaced by <c>_</c>.</summary>
    internal static string SafeName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Builds or runs a net; what it refuses (wiring, shapes, parameters, labels) is the user's input.</summary>
    internal static TResult UserStep<TResult>(Func<TResult> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or NotSupportedException
                                      or FileNotFoundException or DirectoryNotFoundException)
        {
            // A missing file here is one a layer names (a data layer's images or labels); its message says where
            // it looked and how to get the data.
            throw new BadInputException(LayerCommand.OneLine(e));
        }
    }

    /// <summary>The same, for an action.</summary>
    internal static void UserStep(Action action) => UserStep(() =>
    {
        action();
        return 0;
    });
}
