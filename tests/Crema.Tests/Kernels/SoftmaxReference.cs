using System.Numerics;
using System.Runtime.InteropServices;
using Crema.Kernels;
using Crema.Parameters;

namespace Crema.Tests.Kernels;

/// <summary>An (outer, channels, inner) view, as the kernels take it.</summary>
public sealed record SoftmaxShape(long Outer, long Channels, long Inner)
{
    internal long Count => Outer * Channels * Inner;

    internal long Positions => Outer * Inner;

    internal long Index(long i, long c, long j) => (((i * Channels) + c) * Inner) + j;

    /// <summary>Short form for test names, e.g. <c>64x1000x1</c>.</summary>
    public override string ToString() => $"{Outer}x{Channels}x{Inner}";
}

/// <summary>What one loss call produces, in float64.</summary>
internal sealed record LossResult(double[] Lse, double[] Prob, double Loss, double Normalizer, long BadLabel, double[] Grad);

/// <summary>
/// Plain float64 loops straight from SPEC §4.1 and docs/softmax-loss-semantics.md, written for obviousness, that
/// the kernels are checked against: the two-pass max-shifted definitions (so NaN, ±inf behave as the definition
/// says), labels classified as the document says, the loss and normalizer summed in order.
/// </summary>
internal static class SoftmaxReference
{
    /// <summary>−ln(FLT_MIN), Caffe's clamp.</summary>
    internal const double NllClamp = 87.336544750553;

    /// <summary>
    /// Every regime of the kernels: tile (inner 1, C ≤ 32), warp row (C ≤ 1024 floats), block row (wider; 40000
    /// floats exceeds the register cache so part of each row is read twice), column (inner &gt; 1, cached for C ≤ 32 or
    /// not), with odd sizes so scalar and vector paths and partial tiles all run.
    /// </summary>
    internal static readonly SoftmaxShape[] Shapes =
    [
        new(1, 1, 1), new(1000, 1, 1), new(300, 2, 1), new(517, 10, 1), new(129, 17, 1), new(333, 32, 1),
        new(77, 33, 1), new(64, 1000, 1), new(37, 1023, 1), new(5, 2049, 1), new(9, 4096, 1), new(3, 32000, 1),
        new(2, 40000, 1), new(2, 100003, 1),
        new(1, 1, 7), new(4, 3, 2), new(2, 21, 37), new(3, 8, 1000), new(2, 40, 100), new(2, 9, 33),
    ];

    internal static double[] Softmax(double[] x, SoftmaxShape s)
    {
        var y = new double[x.Length];
        for (long i = 0; i < s.Outer; i++)
        {
            for (long j = 0; j < s.Inner; j++)
            {
                double m = double.NegativeInfinity;
                for (long c = 0; c < s.Channels; c++)
                {
                    m = x[s.Index(i, c, j)] > m ? x[s.Index(i, c, j)] : m;
                }

                double sum = 0;
                for (long c = 0; c < s.Channels; c++)
                {
                    sum += Math.Exp(x[s.Index(i, c, j)] - m);
                }

                for (long c = 0; c < s.Channels; c++)
                {
                    y[s.Index(i, c, j)] = Math.Exp(x[s.Index(i, c, j)] - m) / sum;
                }
            }
        }

        return y;
    }

    /// <summary>dx = y ⊙ (dy − Σ_c dy·y); <paramref name="scale"/> gets y·(|dy| + Σ|dy·y|), the size of each term.</summary>
    internal static double[] SoftmaxBackward(double[] y, double[] dy, SoftmaxShape s, out double[] scale)
    {
        var dx = new double[y.Length];
        scale = new double[y.Length];
        for (long i = 0; i < s.Outer; i++)
        {
            for (long j = 0; j < s.Inner; j++)
            {
                double dot = 0, magnitude = 0;
                for (long c = 0; c < s.Channels; c++)
                {
                    long k = s.Index(i, c, j);
                    dot += dy[k] * y[k];
                    magnitude += Math.Abs(dy[k] * y[k]);
                }

                for (long c = 0; c < s.Channels; c++)
                {
                    long k = s.Index(i, c, j);
                    dx[k] = y[k] * (dy[k] - dot);
                    scale[k] = Math.Abs(y[k]) * (Math.Abs(dy[k]) + magnitude);
                }
            }
        }

        return dx;
    }

    /// <summary>The class a label selects; −1 ignored, −2 invalid.</summary>
    internal static long Classify(double label, long channels, int? ignoreLabel)
    {
        if (ignoreLabel is int ignore && label == ignore)
        {
            return -1;
        }

        if (!(label >= 0) || !(label < channels) || label != Math.Floor(label))
        {
            return -2;
        }

        return (long)label;
    }

    internal static double Clamp(double nll) => nll > NllClamp ? NllClamp : nll;

    /// <summary>The whole loss: forward values and the gradient for <paramref name="topDiff"/>.</summary>
    internal static LossResult Loss(double[] x, double[] labels, SoftmaxShape s, SoftmaxLossOptions options, double[]? weights, double topDiff)
    {
        long channels = s.Channels;
        double eps = options.LabelSmoothing;
        double Weight(long c) => weights is null ? 1.0 : weights[c];
        double wsum = 0;
        for (long c = 0; c < channels; c++)
        {
            wsum += Weight(c);
        }

        var lse = new double[s.Positions];
        var prob = new double[x.Length];
        var grad = new double[x.Length];
        var classes = new long[s.Positions];
        double total = 0, valid = 0;
        long bad = SoftmaxLossKernels.NoBadLabel;
        for (long i = 0; i < s.Outer; i++)
        {
            for (long j = 0; j < s.Inner; j++)
            {
                long p = (i * s.Inner) + j;
                double m = double.NegativeInfinity, sum = 0;
                for (long c = 0; c < channels; c++)
                {
                    m = x[s.Index(i, c, j)] > m ? x[s.Index(i, c, j)] : m;
                }

                for (long c = 0; c < channels; c++)
                {
                    sum += Math.Exp(x[s.Index(i, c, j)] - m);
                }

                lse[p] = channels == 0 ? double.NegativeInfinity : m + Math.Log(sum);
                for (long c = 0; c < channels; c++)
                {
                    prob[s.Index(i, c, j)] = Math.Exp(x[s.Index(i, c, j)] - lse[p]);
                }

                long y = Classify(labels[p], channels, options.IgnoreLabel);
                classes[p] = y;
                if (y == -2)
                {
                    bad = Math.Min(bad, p);
                }

                if (y < 0)
                {
                    continue;
                }

                double loss = (1 - eps) * Weight(y) * Clamp(lse[p] - x[s.Index(i, y, j)]);
                if (eps > 0)
                {
                    double smooth = 0;
                    for (long c = 0; c < channels; c++)
                    {
                        smooth += Weight(c) * Clamp(lse[p] - x[s.Index(i, c, j)]);
                    }

                    loss += eps / channels * smooth;
                }

                total += loss;
                valid += Weight(y);
            }
        }

        double n = options.Normalization switch
        {
            NormalizationMode.Full => s.Positions,
            NormalizationMode.Valid => valid,
            NormalizationMode.BatchSize => s.Outer,
            _ => 1,
        };
        n = n <= 0 ? 1 : n;
        double scale = topDiff / n;
        for (long i = 0; i < s.Outer; i++)
        {
            for (long j = 0; j < s.Inner; j++)
            {
                long y = classes[(i * s.Inner) + j];
                if (y < 0)
                {
                    continue;
                }

                for (long c = 0; c < channels; c++)
                {
                    long k = s.Index(i, c, j);
                    double hot = c == y ? 1 : 0;
                    grad[k] = scale * (((1 - eps) * Weight(y) * (prob[k] - hot)) + (eps / channels * ((wsum * prob[k]) - Weight(c))));
                }
            }
        }

        return new LossResult(lse, prob, total / n, n, bad, grad);
    }

    /// <summary>Values of T, seeded, uniform in [low, high).</summary>
    internal static T[] Uniform<T>(long count, int seed, double low = -3, double high = 3)
        where T : IFloatingPointIeee754<T> => TestData.Uniform<T>(checked((int)count), seed, low, high);

    /// <summary>Labels in [0, channels) stored as T, with about <paramref name="ignoredFraction"/> set to <paramref name="ignore"/>.</summary>
    internal static T[] Labels<T>(long positions, long channels, int seed, int? ignore = null, double ignoredFraction = 0.1)
        where T : IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var labels = new T[positions];
        for (long p = 0; p < positions; p++)
        {
            bool ignored = ignore.HasValue && random.NextDouble() < ignoredFraction;
            labels[p] = T.CreateTruncating(ignored ? ignore!.Value : random.NextInt64(Math.Max(1, channels)));
        }

        return labels;
    }

    internal static double[] ToDouble<T>(T[] values)
        where T : IFloatingPointIeee754<T> => TestData.ToDouble<T>(values);

    /// <summary>
    /// |actual − expected| ≤ tolerance · (|expected| + scale[i]) + floor, element by element; NaN matches NaN and
    /// an infinity only itself. The message names the index and the shape.
    /// </summary>
    internal static void AssertClose<T>(T[] actual, double[] expected, double tolerance, string what, double[]? scale = null,
        double scalar = 0, double floor = 0)
        where T : IFloatingPointIeee754<T>
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < actual.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            double bound = (tolerance * (Math.Abs(expected[i]) + (scale?[i] ?? 0) + scalar)) + floor;
            if (!Same(a, expected[i], bound))
            {
                Assert.Fail($"{what}[{i}] = {a:R}, expected {expected[i]:R} (bound {bound:G3}, {actual.Length} elements)");
            }
        }
    }

    internal static void AssertClose(double actual, double expected, double tolerance, string what)
    {
        double bound = tolerance * Math.Max(1, Math.Abs(expected));
        if (!Same(actual, expected, bound))
        {
            Assert.Fail($"{what} = {actual:R}, expected {expected:R} (bound {bound:G3})");
        }
    }

    internal static bool Same(double actual, double expected, double bound) =>
        (double.IsNaN(expected) && double.IsNaN(actual))
        || (double.IsInfinity(expected) && actual == expected)
        || Math.Abs(actual - expected) <= bound;

    /// <summary>The bytes of an array, for bitwise comparisons.</summary>
    internal static byte[] Bits<T>(T[] values)
        where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
