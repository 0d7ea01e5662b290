using Crema.Cli;
using Crema.IO;
using Crema.Tests.IO;

namespace Crema.Tests.Cli;

/// <summary>
/// What the <c>crema layer</c> tests share (the CPU fixture and the GPU one, which derives from GpuTestBase): a
/// temporary folder with input files, running the command line in process (parsing included, as Program.cs does),
/// and float64 references written from docs/softmax-loss-semantics.md and SPEC §4.1 without any of Crema's layer code.
/// </summary>
internal sealed class LayerCommandWorkspace : IDisposable
{
    /// <summary>Logits shape of the end-to-end cases: N=4, C=5, H=2, W=3 (outer 4, inner 6: 24 positions).</summary>
    internal static readonly int[] LogitsShape = [4, 5, 2, 3];

    /// <summary>Label shape: one per position.</summary>
    internal static readonly int[] LabelShape = [4, 2, 3];

    /// <summary>Labels with every class, including several 0s (the ignore_label of some cases).</summary>
    internal static readonly int[] Labels = [0, 1, 2, 3, 4, 0, 4, 3, 2, 1, 0, 0, 1, 1, 2, 3, 4, 4, 0, 2, 3, 1, 0, 4];

    /// <summary>Caffe's clamp of the per-position loss, −ln(FLT_MIN).</summary>
    internal const double LossClamp = 87.336544750553;

    /// <summary>The temporary folder (deleted on Dispose).</summary>
    internal string Folder { get; } = Directory.CreateTempSubdirectory("crema-layer-").FullName;

    /// <summary>The --out folder of the cases (not created beforehand).</summary>
    internal string OutDir => Path.Combine(Folder, "out");

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    /// <summary>Runs <c>crema</c> with <paramref name="args"/> in process.</summary>
    internal static (int Code, string Stdout, string Stderr) RunCli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CremaCommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Writes random logits (uniform in [−4, 4], rounded to the file's precision) and returns them as float64.</summary>
    internal string WriteLogits(string name, bool asDouble, int seed, out double[] values, int[]? shape = null)
    {
        shape ??= LogitsShape;
        int count = shape.Aggregate(1, (a, b) => a * b);
        string path = Path.Combine(Folder, name);
        if (asDouble)
        {
            values = TestData.Uniform<double>(count, seed, -4, 4);
            Npy.Write(path, shape, values);
        }
        else
        {
            var floats = TestData.Uniform<float>(count, seed, -4, 4);
            Npy.Write(path, shape, floats);
            values = TestData.ToDouble<float>(floats);
        }

        return path;
    }

    /// <summary>Writes the labels as an int32 file.</summary>
    internal string WriteInt32Labels(string name, int[] labels, int[]? shape = null)
    {
        string path = Path.Combine(Folder, name);
        NpyBytes.WriteInt32(path, shape ?? LabelShape, labels);
        return path;
    }

    /// <summary>Writes the labels as a float32 file (Caffe's convention).</summary>
    internal string WriteFloatLabels(string name, float[] labels, int[]? shape = null)
    {
        string path = Path.Combine(Folder, name);
        Npy.Write(path, shape ?? LabelShape, labels);
        return path;
    }

    /// <summary>The file the command wrote, read back as float64, with the element type it was stored in.</summary>
    internal NpyArray<double> Output(string name) => Npy.Read<double>(Path.Combine(OutDir, name));

    /// <summary>
    /// SoftmaxWithLoss along axis 1 with VALID normalization, from docs/softmax-loss-semantics.md: per position
    /// ℓ = min(lse − x_y, 87.336544750553); loss = Σ ℓ / max(1, valid); gradient (p − onehot(y)) · w / max(1, valid).
    /// </summary>
    internal static (double Loss, double[] Gradient, double[] Probabilities) SoftmaxLossReference(
        double[] x, int[] shape, int[] labels, int? ignoreLabel = null, double lossWeight = 1)
    {
        int outer = shape[0], channels = shape[1], inner = shape.Skip(2).Aggregate(1, (a, b) => a * b);
        var gradient = new double[x.Length];
        var probabilities = new double[x.Length];
        double sum = 0;
        int valid = 0;
        var rows = new List<(int Offset, int Label)>();
        for (int i = 0; i < outer; i++)
        {
            for (int j = 0; j < inner; j++)
            {
                int offset = (i * channels * inner) + j;
                double max = double.NegativeInfinity;
                for (int c = 0; c < channels; c++)
                {
                    max = Math.Max(max, x[offset + (c * inner)]);
                }

                double total = 0;
                for (int c = 0; c < channels; c++)
                {
                    total += Math.Exp(x[offset + (c * inner)] - max);
                }

                double lse = max + Math.Log(total);
                for (int c = 0; c < channels; c++)
                {
                    probabilities[offset + (c * inner)] = Math.Exp(x[offset + (c * inner)] - lse);
                }

                int label = labels[(i * inner) + j];
                if (label == ignoreLabel)
                {
                    continue;
                }

                sum += Math.Min(lse - x[offset + (label * inner)], LossClamp);
                valid++;
                rows.Add((offset, label));
            }
        }

        double normalizer = Math.Max(1, valid);
        foreach (var (offset, label) in rows)
        {
            for (int c = 0; c < channels; c++)
            {
                int at = offset + (c * inner);
                gradient[at] = (probabilities[at] - (c == label ? 1 : 0)) * lossWeight / normalizer;
            }
        }

        return (sum / normalizer, gradient, probabilities);
    }

    /// <summary>Softmax along axis 1 and its backward, from SPEC §4.1: y = softmax(x), dx = y ⊙ (dy − Σ_c dy·y).</summary>
    internal static (double[] Top, double[] BottomDiff) SoftmaxReference(double[] x, double[] dy, int[] shape)
    {
        int outer = shape[0], channels = shape[1], inner = shape.Skip(2).Aggregate(1, (a, b) => a * b);
        var y = new double[x.Length];
        var dx = new double[x.Length];
        for (int i = 0; i < outer; i++)
        {
            for (int j = 0; j < inner; j++)
            {
                int offset = (i * channels * inner) + j;
                double max = Enumerable.Range(0, channels).Max(c => x[offset + (c * inner)]);
                double total = Enumerable.Range(0, channels).Sum(c => Math.Exp(x[offset + (c * inner)] - max));
                double dot = 0;
                for (int c = 0; c < channels; c++)
                {
                    int at = offset + (c * inner);
                    y[at] = Math.Exp(x[at] - max) / total;
                    dot += dy[at] * y[at];
                }

                for (int c = 0; c < channels; c++)
                {
                    int at = offset + (c * inner);
                    dx[at] = y[at] * (dy[at] - dot);
                }
            }
        }

        return (y, dx);
    }

    /// <summary>
    /// Each element within <paramref name="relative"/> of the reference, relative to the reference's largest magnitude.
    /// Normwise because a float32 run cannot do better per element: a gradient entry p − 1 with p near 1, or
    /// y·(dy − Σ dy·y) near a cancellation, carries float32's rounding of the larger terms.
    /// </summary>
    internal static void AssertRelative(IReadOnlyList<double> actual, IReadOnlyList<double> expected, double relative, string what)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Count), $"{what}: length");
        double scale = expected.Count == 0 ? 0 : expected.Max(Math.Abs);
        for (int i = 0; i < actual.Count; i++)
        {
            if (!(Math.Abs(actual[i] - expected[i]) <= relative * scale))
            {
                Assert.Fail($"{what}[{i}] = {actual[i]:R}, expected {expected[i]:R} (tolerance {relative} × {scale:R})");
            }
        }
    }

    /// <summary>The tolerance of a run against the float64 reference: 1e-6 for float32, 1e-12 for float64.</summary>
    internal static double Tolerance(string dtype) => dtype == "float64" ? 1e-12 : 1e-6;

    /// <summary>The value of the <c>loss: </c> line, which must be the first line of stdout.</summary>
    internal static string LossText(string stdout)
    {
        string first = stdout.Split('\n')[0];
        Assert.That(first, Does.StartWith("loss: "), $"stdout: {stdout}");
        return first["loss: ".Length..].TrimEnd('\r');
    }

    /// <summary>Exit code 2, exactly one line on stderr starting "crema: " and containing <paramref name="expected"/>,
    /// nothing on stdout and no output folder.</summary>
    internal void AssertBadInput((int Code, string Stdout, string Stderr) result, string expected)
    {
        var (code, stdout, stderr) = result;
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), $"stderr: {stderr}");
        Assert.That(stderr, Does.StartWith("crema: ").And.Contain(expected));
        Assert.That(stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), $"one line: {stderr}");
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(stdout, Is.Empty);
        Assert.That(Directory.Exists(OutDir), Is.False, "nothing written");
    }
}
