using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>The loss settings of <see cref="SoftmaxLossReference"/>, as the layer sees them (floats widened to double).</summary>
/// <param name="IgnoreLabel">Positions with this label are ignored; null for none.</param>
/// <param name="Normalization">The normalizer mode in effect.</param>
/// <param name="LabelSmoothing">ε; 0 is off.</param>
/// <param name="ClassWeights">One weight per class; null means all 1.</param>
internal sealed record SoftmaxLossSettings(
    int? IgnoreLabel = null,
    NormalizationMode Normalization = NormalizationMode.Valid,
    double LabelSmoothing = 0,
    double[]? ClassWeights = null)
{
    /// <summary>The settings a layer made from <paramref name="param"/> uses.</summary>
    internal static SoftmaxLossSettings From(LossParameter param) => new(
        param.IgnoreLabel,
        param.EffectiveNormalization,
        param.LabelSmoothing,
        param.Weight.Count > 0 ? [.. param.Weight.Select(w => (double)w)] : null);
}

/// <summary>What <see cref="SoftmaxLossReference.Compute"/> gives.</summary>
/// <param name="Loss">Σ over valid positions of the per-position loss, divided by the normalizer (top[0].data).</param>
/// <param name="Normalizer">The normalizer after the guard.</param>
/// <param name="Gradient">∂loss/∂logits · topDiff.</param>
/// <param name="Probabilities">The softmax of the logits (the optional second top).</param>
/// <param name="FirstInvalid">The least flat position of an invalid label, or -1.</param>
internal sealed record SoftmaxLossResult(double Loss, double Normalizer, double[] Gradient, double[] Probabilities, long FirstInvalid);

/// <summary>
/// A plain, loop-by-loop float64 implementation of docs/softmax-loss-semantics.md, written independently of the layer:
/// the property tests and the hand-made cases compare the layer with it. Softmax and its backward pass are here too.
/// </summary>
internal static class SoftmaxLossReference
{
    /// <summary>−ln(FLT_MIN): Caffe's clamp on the per-class negative log-likelihood.</summary>
    internal const double Clamp = 87.336544750553;

    /// <summary>
    /// The loss, gradient and probabilities for logits viewed as (outer, C, inner) with one label per position;
    /// <paramref name="topDiff"/> is top[0].diff[0] (the loss weight in a net).
    /// </summary>
    internal static SoftmaxLossResult Compute(
        double[] logits, double[] labels, int outer, int channels, int inner, SoftmaxLossSettings settings, double topDiff)
    {
        long positions = (long)outer * inner;
        if (logits.Length != positions * channels || labels.Length != positions)
        {
            throw new ArgumentException($"reference: {logits.Length} logits and {labels.Length} labels for ({outer}, {channels}, {inner})");
        }

        double epsilon = settings.LabelSmoothing;
        double[] weights = settings.ClassWeights ?? Enumerable.Repeat(1.0, channels).ToArray();
        double weightSum = 0;
        foreach (double w in weights)
        {
            weightSum += w;
        }

        var probabilities = new double[logits.Length];
        var lse = new double[positions];
        var status = new Kind[positions];
        long firstInvalid = -1;
        double lossSum = 0;
        double validCount = 0;
        double validWeight = 0;
        for (int i = 0; i < outer; i++)
        {
            for (int j = 0; j < inner; j++)
            {
                long p = ((long)i * inner) + j;
                double rowLse = LogSumExp(logits, i, j, channels, inner);
                lse[p] = rowLse;
                for (int c = 0; c < channels; c++)
                {
                    long at = Index(i, c, j, channels, inner);
                    probabilities[at] = Math.Exp(logits[at] - rowLse);
                }

                double y = labels[p];
                if (settings.IgnoreLabel is int ignore && y == ignore)
                {
                    status[p] = Kind.Ignored;
                    continue;
                }

                if (double.IsNaN(y) || y != Math.Floor(y) || y < 0 || y >= channels)
                {
                    status[p] = Kind.Invalid;
                    if (firstInvalid < 0)
                    {
                        firstInvalid = p;
                    }

                    continue;
                }

                status[p] = Kind.Valid;
                int label = (int)y;
                double perPosition = (1 - epsilon) * weights[label] * Nll(logits, i, label, j, channels, inner, rowLse);
                if (epsilon != 0)
                {
                    double smooth = 0;
                    for (int c = 0; c < channels; c++)
                    {
                        smooth += weights[c] * Nll(logits, i, c, j, channels, inner, rowLse);
                    }

                    perPosition += epsilon / channels * smooth;
                }

                lossSum += perPosition;
                validCount += 1;
                validWeight += weights[label];
            }
        }

        double normalizer = settings.Normalization switch
        {
            NormalizationMode.Full => positions,
            NormalizationMode.Valid => settings.ClassWeights is null ? validCount : validWeight,
            NormalizationMode.BatchSize => outer,
            NormalizationMode.None => 1,
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Normalization, "normalization"),
        };
        if (normalizer <= 0)
        {
            normalizer = 1;
        }

        var gradient = new double[logits.Length];
        double scale = topDiff / normalizer;
        for (int i = 0; i < outer; i++)
        {
            for (int j = 0; j < inner; j++)
            {
                long p = ((long)i * inner) + j;
                if (status[p] != Kind.Valid)
                {
                    continue; // ignored and invalid positions: exactly 0
                }

                int label = (int)labels[p];
                for (int c = 0; c < channels; c++)
                {
                    long at = Index(i, c, j, channels, inner);
                    double prob = probabilities[at];
                    double hard = (1 - epsilon) * weights[label] * (prob - (c == label ? 1 : 0));
                    double soft = epsilon == 0 ? 0 : epsilon / channels * ((weightSum * prob) - weights[c]);
                    gradient[at] = scale * (hard + soft);
                }
            }
        }

        return new SoftmaxLossResult(lossSum / normalizer, normalizer, gradient, probabilities, firstInvalid);
    }

    /// <summary>Softmax along the class axis of (outer, C, inner): exp(x − max) / Σ exp(x − max).</summary>
    internal static double[] Softmax(double[] x, int outer, int channels, int inner)
    {
        var y = new double[x.Length];
        for (int i = 0; i < outer; i++)
        {
            for (int j = 0; j < inner; j++)
            {
                double max = double.NegativeInfinity;
                for (int c = 0; c < channels; c++)
                {
                    max = Math.Max(max, x[Index(i, c, j, channels, inner)]);
                }

                double sum = 0;
                for (int c = 0; c < channels; c++)
                {
                    sum += Math.Exp(x[Index(i, c, j, channels, inner)] - max);
                }

                for (int c = 0; c < channels; c++)
                {
                    long at = Index(i, c, j, channels, inner);
                    y[at] = Math.Exp(x[at] - max) / sum;
                }
            }
        }

        return y;
    }

    /// <summary>Softmax's backward pass: dx = y ⊙ (dy − Σ_c dy·y).</summary>
    internal static double[] SoftmaxBackward(double[] y, double[] dy, int outer, int channels, int inner)
    {
        var dx = new double[y.Length];
        for (int i = 0; i < outer; i++)
        {
            for (int j = 0; j < inner; j++)
            {
                double dot = 0;
                for (int c = 0; c < channels; c++)
                {
                    long at = Index(i, c, j, channels, inner);
                    dot += dy[at] * y[at];
                }

                for (int c = 0; c < channels; c++)
                {
                    long at = Index(i, c, j, channels, inner);
                    dx[at] = y[at] * (dy[at] - dot);
                }
            }
        }

        return dx;
    }

    /// <summary>(outer, C, inner) of <paramref name="shape"/> split at <paramref name="axis"/> (negative counts from the end).</summary>
    internal static (int Outer, int Channels, int Inner) Split(IReadOnlyList<int> shape, int axis)
    {
        int a = axis < 0 ? axis + shape.Count : axis;
        int outer = 1;
        int inner = 1;
        for (int k = 0; k < a; k++)
        {
            outer *= shape[k];
        }

        for (int k = a + 1; k < shape.Count; k++)
        {
            inner *= shape[k];
        }

        return (outer, shape[a], inner);
    }

    private static long Index(int i, int c, int j, int channels, int inner) => (((long)i * channels) + c) * inner + j;

    // Max-shifted; NaN anywhere gives NaN (Math.Max propagates it), so do all −inf logits and any +inf logit.
    private static double LogSumExp(double[] x, int i, int j, int channels, int inner)
    {
        double max = double.NegativeInfinity;
        bool sawNaN = false;
        for (int c = 0; c < channels; c++)
        {
            double v = x[Index(i, c, j, channels, inner)];
            sawNaN |= double.IsNaN(v);
            max = Math.Max(max, v);
        }

        if (sawNaN)
        {
            return double.NaN;
        }

        double sum = 0;
        for (int c = 0; c < channels; c++)
        {
            sum += Math.Exp(x[Index(i, c, j, channels, inner)] - max);
        }

        return max + Math.Log(sum);
    }

    // lse − x_c, clamped from above only when greater (NaN stays NaN).
    private static double Nll(double[] x, int i, int c, int j, int channels, int inner, double lse)
    {
        double value = lse - x[Index(i, c, j, channels, inner)];
        return value > Clamp ? Clamp : value;
    }

    private enum Kind : byte
    {
        Valid,
        Ignored,
        Invalid,
    }
}
