using System.Numerics;
using Crema.Cuda;
using Crema.Kernels;
using Crema.Parameters;
using static Crema.Tests.Kernels.SoftmaxReference;

namespace Crema.Tests.Kernels;

/// <summary>How a loss test drives the kernels.</summary>
public enum LossMode
{
    /// <summary>Forward only (no gradient).</summary>
    ForwardOnly,

    /// <summary>Forward, then Backward as a separate call (Caffe's two calls).</summary>
    Separate,

    /// <summary>Forward writes the gradient too (training mode).</summary>
    Fused,
}

/// <summary>
/// <see cref="SoftmaxLossKernels"/> against the float64 definition (docs/softmax-loss-semantics.md), in float and
/// double: every regime and normalization, separate and fused gradients, ignore label, label smoothing, class
/// weights, NaN and infinities, invalid labels, empty shapes, unaligned spans and run-to-run reproducibility.
/// Skipped, with the reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SoftmaxLossKernelTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Ignore = -1;

    private static readonly double Tolerance = typeof(T) == typeof(float) ? 2e-5 : 1e-11;
    private static readonly double Floor = typeof(T) == typeof(float) ? 1e-30 : 1e-300;

    /// <summary>One shape of each regime (and both row variants), for the tests that do not need all of them.</summary>
    internal static readonly SoftmaxShape[] RegimeShapes =
    [
        new(517, 10, 1), new(77, 33, 1), new(64, 1000, 1), new(5, 2049, 1), new(2, 40000, 1), new(2, 21, 37), new(2, 40, 100),
    ];

    internal static readonly NormalizationMode[] Modes =
        [NormalizationMode.Full, NormalizationMode.Valid, NormalizationMode.BatchSize, NormalizationMode.None];

    [Test]
    public void Forward_WithProbabilities_MatchesReference(
        [ValueSource(typeof(SoftmaxReference), nameof(Shapes))] SoftmaxShape shape, [ValueSource(nameof(Modes))] NormalizationMode mode)
    {
        var c = Case(shape, new(Ignore, mode, 0), seed: 1);
        var gpu = Run(c, LossMode.ForwardOnly, prob: true);
        Check(gpu, c, "forward");
    }

    [Test]
    public void Separate_MatchesReference(
        [ValueSource(typeof(SoftmaxReference), nameof(Shapes))] SoftmaxShape shape, [ValueSource(nameof(Modes))] NormalizationMode mode)
    {
        var c = Case(shape, new(Ignore, mode, 0), seed: 2) with { TopDiff = 0.75 };
        Check(Run(c, LossMode.Separate), c, "forward + backward");
    }

    [Test]
    public void Fused_MatchesReferenceAndTheSeparateCallsBitwise(
        [ValueSource(typeof(SoftmaxReference), nameof(Shapes))] SoftmaxShape shape, [ValueSource(nameof(Modes))] NormalizationMode mode)
    {
        var c = Case(shape, new(Ignore, mode, 0), seed: 3) with { TopDiff = 1.5 };
        var fused = Run(c, LossMode.Fused, prob: true);
        var separate = Run(c, LossMode.Separate);

        Check(fused, c, "fused");
        Assert.Multiple(() =>
        {
            Assert.That(Bits(fused.Grad!), Is.EqualTo(Bits(separate.Grad!)), "fused and separate gradients");
            Assert.That(Bits(fused.Lse), Is.EqualTo(Bits(separate.Lse)), "lse");
            Assert.That(fused.Loss, Is.EqualTo(separate.Loss), "loss");
            Assert.That(fused.Normalizer, Is.EqualTo(separate.Normalizer), "normalizer");
        });
    }

    [Test]
    public void SmoothingAndClassWeights_MatchReference(
        [ValueSource(nameof(RegimeShapes))] SoftmaxShape shape,
        [Values(0.0, 0.1, 0.25)] double smoothing,
        [Values] bool weighted,
        [Values(NormalizationMode.Valid, NormalizationMode.Full)] NormalizationMode mode,
        [Values(LossMode.Separate, LossMode.Fused)] LossMode run)
    {
        var c = Case(shape, new(Ignore, mode, smoothing), seed: 4, weighted: weighted) with { TopDiff = 2 };
        Check(Run(c, run, prob: run == LossMode.Fused), c, $"smoothing {smoothing}, weighted {weighted}");
    }

    [Test]
    public void IgnoredPositions_GetExactlyZeroGradient([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape,
        [Values(LossMode.Separate, LossMode.Fused)] LossMode run)
    {
        var c = Case(shape, new(255, NormalizationMode.Valid, 0.1), seed: 5, ignored: 0.3, ignoreLabel: 255);
        var gpu = Run(c, run);
        Check(gpu, c, "ignore label 255");
        for (long p = 0; p < shape.Positions; p++)
        {
            if (c.Labels[p] != T.CreateTruncating(255))
            {
                continue;
            }

            long i = p / shape.Inner, j = p % shape.Inner;
            for (long k = 0; k < shape.Channels; k++)
            {
                T g = gpu.Grad![shape.Index(i, k, j)];
                if (g != T.Zero || T.IsNegative(g))
                {
                    Assert.Fail($"grad at ignored position {p}, class {k} is {g}, not +0");
                }
            }
        }
    }

    [Test]
    public void AllIgnored_GivesLossZeroNormalizerOneAndZeroGradient([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape,
        [Values(LossMode.Separate, LossMode.Fused)] LossMode run)
    {
        var c = Case(shape, new(Ignore, NormalizationMode.Valid, 0), seed: 6, ignored: 1.0);
        var gpu = Run(c, run);

        Assert.Multiple(() =>
        {
            Assert.That(gpu.Loss, Is.Zero, "loss");
            Assert.That(gpu.Normalizer, Is.EqualTo(1), "normalizer");
            Assert.That(gpu.BadLabel, Is.EqualTo(SoftmaxLossKernels.NoBadLabel), "bad label");
            Assert.That(gpu.Grad, Has.All.EqualTo(T.Zero), "gradient");
        });
    }

    [Test]
    public void EmptyBatch_GivesLossZeroNormalizerOne([ValueSource(nameof(Modes))] NormalizationMode mode,
        [Values(LossMode.ForwardOnly, LossMode.Separate, LossMode.Fused)] LossMode run, [Values(1L, 10L, 1000L)] long channels,
        [Values(1L, 5L)] long inner)
    {
        var c = Case(new SoftmaxShape(0, channels, inner), new(Ignore, mode, 0.1), seed: 7);
        var gpu = Run(c, run, prob: true);

        Assert.Multiple(() =>
        {
            Assert.That(gpu.Loss, Is.Zero, "loss");
            Assert.That(gpu.Normalizer, Is.EqualTo(1), "normalizer");
            Assert.That(gpu.BadLabel, Is.EqualTo(SoftmaxLossKernels.NoBadLabel), "bad label");
        });
    }

    [Test]
    public void NoPositionsButSomeOuter_FollowsTheNormalizerDefinition([ValueSource(nameof(Modes))] NormalizationMode mode)
    {
        // inner == 0: M == 0 but outer == 4, so BATCH_SIZE divides by 4 (the definition), the others by 1.
        var c = Case(new SoftmaxShape(4, 3, 0), new(null, mode, 0), seed: 8);
        var gpu = Run(c, LossMode.Fused);

        Assert.That(gpu.Loss, Is.Zero, "loss");
        Assert.That(gpu.Normalizer, Is.EqualTo(mode == NormalizationMode.BatchSize ? 4 : 1), "normalizer");
    }

    [Test]
    public void NoChannels_MakesEveryLabelInvalid([Values(1L, 6L)] long inner, [Values(LossMode.ForwardOnly, LossMode.Fused)] LossMode run)
    {
        var shape = new SoftmaxShape(3, 0, inner);
        var c = Case(shape, new(Ignore, NormalizationMode.Valid, 0), seed: 9);
        c.Labels[0] = T.CreateTruncating(Ignore);
        c.Labels[1] = T.Zero;
        var gpu = Run(c, run);

        Assert.Multiple(() =>
        {
            Assert.That(gpu.BadLabel, Is.EqualTo(1), "the first label that is not ignored");
            Assert.That(gpu.Loss, Is.Zero, "loss");
            Assert.That(gpu.Normalizer, Is.EqualTo(1), "normalizer");
            Assert.That(gpu.Lse, Has.All.EqualTo(T.NegativeInfinity), "lse of an empty sum");
        });
    }

    [Test]
    public void NaNInARow_MakesTheLossNaN([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape)
    {
        var c = Case(shape, new(Ignore, NormalizationMode.Valid, 0), seed: 10, ignored: 0);
        long p = shape.Positions / 2;
        c.Logits[shape.Index(p / shape.Inner, shape.Channels - 1, p % shape.Inner)] = T.NaN;
        var gpu = Run(c, LossMode.Fused, prob: true);

        Check(gpu, c, "NaN logit");
        Assert.Multiple(() =>
        {
            Assert.That(double.IsNaN(gpu.Loss), $"loss {gpu.Loss} is NaN");
            Assert.That(T.IsNaN(gpu.Lse[p]), "lse of the NaN row");
            Assert.That(T.IsNaN(gpu.Lse[0]), Is.False, "lse of another row");
        });
    }

    [Test]
    public void NegativeInfinityOffTheLabel_StaysFinite([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape, [Values(0.0, 0.2)] double smoothing)
    {
        var c = Case(shape, new(null, NormalizationMode.Valid, smoothing), seed: 11, ignored: 0);
        for (long p = 0; p < shape.Positions; p += 3)
        {
            long i = p / shape.Inner, j = p % shape.Inner;
            long label = long.CreateTruncating(c.Labels[p]);
            for (long k = 0; k < shape.Channels; k += 2)
            {
                if (k != label)
                {
                    c.Logits[shape.Index(i, k, j)] = T.NegativeInfinity;
                }
            }
        }

        var gpu = Run(c, LossMode.Fused, prob: true);
        Check(gpu, c, "-inf logits");
        Assert.Multiple(() =>
        {
            Assert.That(double.IsFinite(gpu.Loss), $"loss {gpu.Loss} is finite");
            Assert.That(gpu.Grad, Has.All.Matches<T>(T.IsFinite), "gradient");
            Assert.That(gpu.Prob, Has.All.Matches<T>(T.IsFinite), "probabilities");
        });
    }

    [Test]
    public void PositiveInfinity_MakesTheLossNaN([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape)
    {
        var c = Case(shape, new(null, NormalizationMode.Valid, 0), seed: 12, ignored: 0);
        c.Logits[shape.Index(0, 0, 0)] = T.PositiveInfinity;
        var gpu = Run(c, LossMode.Fused);

        Check(gpu, c, "+inf logit");
        Assert.That(double.IsNaN(gpu.Loss), $"loss {gpu.Loss}: lse is exp(inf - inf) = NaN by the definition");
    }

    [Test]
    public void VeryUnlikelyLabel_IsClampedAtMinusLnFltMin([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape)
    {
        var c = Case(shape, new(null, NormalizationMode.None, 0), seed: 13, ignored: 0);
        Array.Fill(c.Logits, T.Zero);
        for (long p = 0; p < shape.Positions; p++)
        {
            long label = long.CreateTruncating(c.Labels[p]);
            c.Logits[shape.Index(p / shape.Inner, label, p % shape.Inner)] = T.CreateTruncating(-200.0);
        }

        var gpu = Run(c, LossMode.Separate);
        Check(gpu, c, "clamped");
        AssertClose(gpu.Loss, NllClamp * shape.Positions, Tolerance, "loss: every position clamped");
    }

    [Test]
    public void InvalidLabels_AreReportedAtTheLeastPositionAndCountAsIgnored([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape,
        [Values(2.5, -3.0, double.NaN, 1e30)] double bad, [Values(LossMode.ForwardOnly, LossMode.Fused)] LossMode run)
    {
        var c = Case(shape, new(Ignore, NormalizationMode.Valid, 0.1), seed: 14, ignored: 0.2);
        long m = shape.Positions;
        long first = Math.Min(m - 1, 3 + (m / 3));
        c.Labels[m - 1] = T.CreateTruncating(bad);
        c.Labels[first] = T.CreateTruncating(shape.Channels);   // == C: out of range
        if (first > 1)
        {
            c.Labels[first - 1] = T.CreateTruncating(Ignore); // an ignored label is not an error
        }

        var gpu = Run(c, run);
        Check(gpu, c, $"invalid labels {bad} and {shape.Channels}");
        Assert.That(gpu.BadLabel, Is.EqualTo(first), "the least offending position");
    }

    [Test]
    public void OneInvalidLabel_IsFoundWherever([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape, [Values(0, 1, 2)] int where)
    {
        var c = Case(shape, new(null, NormalizationMode.Valid, 0), seed: 15, ignored: 0);
        long p = where switch { 0 => 0, 1 => shape.Positions / 2, _ => shape.Positions - 1 };
        c.Labels[p] = T.CreateTruncating(-1);
        var gpu = Run(c, LossMode.Fused);

        Check(gpu, c, "one invalid label");
        Assert.That(gpu.BadLabel, Is.EqualTo(p));
    }

    [Test]
    public void UnalignedSpans_MatchReference([ValueSource(nameof(RegimeShapes))] SoftmaxShape shape,
        [Values(LossMode.Separate, LossMode.Fused)] LossMode run)
    {
        var c = Case(shape, new(Ignore, NormalizationMode.Valid, 0.1), seed: 16, weighted: true);
        Check(Run(c, run, prob: true, offset: 1), c, "offset by one element");
    }

    [Test]
    public void Results_AreBitwiseReproducibleOver20Runs(
        [Values("4096x10x1", "512x1000x1", "16x5000x1", "4x40000x1", "4x21x4096")] string shapeText,
        [Values(LossMode.Separate, LossMode.Fused)] LossMode run)
    {
        long[] parts = [.. shapeText.Split('x').Select(long.Parse)];
        var shape = new SoftmaxShape(parts[0], parts[1], parts[2]);
        var c = Case(shape, new(Ignore, NormalizationMode.Valid, 0.1), seed: 17, weighted: true);
        var first = Run(c, run);
        for (int k = 1; k < 20; k++)
        {
            var again = Run(c, run);
            Assert.That(BitConverter.DoubleToInt64Bits(again.Loss), Is.EqualTo(BitConverter.DoubleToInt64Bits(first.Loss)), $"loss, run {k}");
            Assert.That(Bits(again.Lse), Is.EqualTo(Bits(first.Lse)), $"lse, run {k}");
            Assert.That(Bits(again.Grad!), Is.EqualTo(Bits(first.Grad!)), $"grad, run {k}");
        }
    }

    [Test]
    public void MisusedSpans_ThrowNamingTheValue()
    {
        var shape = new SoftmaxShape(2, 3, 2);
        var options = new SoftmaxLossOptions(null, NormalizationMode.Valid, 0);
        using var logits = Context.Allocate<T>(12);
        using var labels = Context.Allocate<T>(4);
        using var shortLabels = Context.Allocate<T>(3);
        using var scalar = Context.Allocate<T>(1);
        using var empty = Context.Allocate<T>(0);
        using var bad = Context.Allocate<long>(1);
        using var weights = Context.Allocate<T>(2);
        using var other = new CudaContext(Context.Device);
        using var elsewhere = other.Allocate<T>(4);
        var (x, y, ys, s, e, b, w, el) = (logits.Span, labels.Span, shortLabels.Span, scalar.Span, empty.Span, bad.Span, weights.Span, elsewhere.Span);

        Assert.Multiple(() =>
        {
            Assert.That(() => SoftmaxLossKernels.Forward(2, 3, 2, options, x, ys, null, y, null, s, s, b, null, null),
                Throws.ArgumentException.With.Message.Contains("labels has 3 elements, expected 4 (outer·inner"));
            Assert.That(() => SoftmaxLossKernels.Forward(2, 3, 2, options, x, y, w, y, null, s, s, b, null, null),
                Throws.ArgumentException.With.Message.Contains("classWeights has 2 elements, expected 3"));
            Assert.That(() => SoftmaxLossKernels.Forward(2, 3, 2, options, x, y, null, y, null, s, s, b, s, null),
                Throws.ArgumentException.With.Message.Contains("gradScale without grad"));
            Assert.That(() => SoftmaxLossKernels.Forward(2, 3, 2, options, x, y, null, y, null, s, s, b, null, x),
                Throws.ArgumentException.With.Message.Contains("grad without gradScale"));
            Assert.That(() => SoftmaxLossKernels.Forward(2, 3, 2, options, x, y, null, y, null, e, s, b, null, null),
                Throws.ArgumentException.With.Message.Contains("loss must have room for one element"));
            Assert.That(() => SoftmaxLossKernels.Forward(2, 3, 2, options, x, el, null, y, null, s, s, b, null, null),
                Throws.ArgumentException.With.Message.Contains("another CUDA context"));
            Assert.That(() => SoftmaxLossKernels.Forward(2, 3, 2, options, x, y, null, y, y, s, s, b, null, null),
                Throws.ArgumentException.With.Message.Contains("prob has 4 elements, expected 12"));
            Assert.That(() => SoftmaxLossKernels.Backward(2, 3, 2, options, x, y, null, y, s, s, y),
                Throws.ArgumentException.With.Message.Contains("grad has 4 elements, expected 12"));
            Assert.That(() => SoftmaxLossKernels.Backward(2, 3, 2, options, x, y, null, y, e, s, x),
                Throws.ArgumentException.With.Message.Contains("topDiff must have room for one element"));
        });
        _ = shape;
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /// <summary>One loss problem: the inputs (as T) and what the reference says about them.</summary>
    internal sealed record LossCase(SoftmaxShape Shape, SoftmaxLossOptions Options, T[] Logits, T[] Labels, T[]? Weights)
    {
        internal double TopDiff { get; init; } = 1.0;
    }

    private static LossCase Case(SoftmaxShape shape, SoftmaxLossOptions options, int seed, bool weighted = false,
        double ignored = 0.1, int ignoreLabel = Ignore)
    {
        var logits = Uniform<T>(shape.Count, seed);
        var labels = Labels<T>(shape.Positions, shape.Channels, seed + 1, options.IgnoreLabel is null ? null : ignoreLabel, ignored);
        var weights = weighted ? Uniform<T>(shape.Channels, seed + 2, 0.5, 2.0) : null;
        return new LossCase(shape, options, logits, labels, weights);
    }

    private sealed record GpuLoss(T[] Lse, T[]? Prob, double Loss, double Normalizer, long BadLabel, T[]? Grad);

    /// <summary>Runs the kernels on copies of the case's inputs, every span offset by <paramref name="offset"/> elements.</summary>
    private GpuLoss Run(LossCase c, LossMode mode, bool prob = false, int offset = 0)
    {
        var s = c.Shape;
        var owned = new List<IDisposable>();
        try
        {
            DeviceSpan<TElement> Put<TElement>(TElement[] host)
                where TElement : unmanaged
            {
                var buffer = Context.Allocate<TElement>(host.Length + offset);
                owned.Add(buffer);
                var span = buffer.Slice(offset, host.Length);
                span.CopyFrom(host);
                return span;
            }

            var sentinel = T.CreateTruncating(-12345.5);
            var logits = Put(c.Logits);
            var labels = Put(c.Labels);
            DeviceSpan<T>? weights = c.Weights is null ? null : Put(c.Weights);
            var lse = Put(Enumerable.Repeat(sentinel, (int)s.Positions).ToArray());
            DeviceSpan<T>? probs = prob ? Put(new T[s.Count]) : null;
            var loss = Put(new[] { sentinel });
            var normalizer = Put(new[] { sentinel });
            var badLabel = Put(new[] { 42L });
            var top = Put(new[] { T.CreateTruncating(c.TopDiff) });
            var grad = mode == LossMode.ForwardOnly ? (DeviceSpan<T>?)null : Put(Enumerable.Repeat(sentinel, (int)s.Count).ToArray());

            SoftmaxLossKernels.Forward(s.Outer, s.Channels, s.Inner, c.Options, logits, labels, weights, lse, probs, loss, normalizer,
                badLabel, mode == LossMode.Fused ? top : null, mode == LossMode.Fused ? grad : null);
            if (mode == LossMode.Separate)
            {
                SoftmaxLossKernels.Backward(s.Outer, s.Channels, s.Inner, c.Options, logits, labels, weights, lse, top, normalizer, grad!.Value);
            }

            return new GpuLoss(lse.ToArray(), probs?.ToArray(), double.CreateTruncating(loss.ToArray()[0]),
                double.CreateTruncating(normalizer.ToArray()[0]), badLabel.ToArray()[0], grad?.ToArray());
        }
        finally
        {
            foreach (var d in owned)
            {
                d.Dispose();
            }
        }
    }

    /// <summary>Everything the run produced against the reference.</summary>
    private static void Check(GpuLoss gpu, LossCase c, string what)
    {
        var r = Loss(ToDouble(c.Logits), ToDouble(c.Labels), c.Shape, c.Options, c.Weights is null ? null : ToDouble(c.Weights), c.TopDiff);
        string name = $"{what}, {c.Shape}, {c.Options}";
        Assert.That(gpu.BadLabel, Is.EqualTo(r.BadLabel), $"bad label: {name}");
        AssertClose(gpu.Normalizer, r.Normalizer, Tolerance, $"normalizer: {name}");
        AssertClose(gpu.Loss, r.Loss, Tolerance, $"loss: {name}");
        AssertClose(gpu.Lse, r.Lse, Tolerance, $"lse: {name}", scalar: 1);
        if (gpu.Prob is not null)
        {
            AssertClose(gpu.Prob, r.Prob, Tolerance, $"prob: {name}", floor: Floor);
        }

        if (gpu.Grad is not null)
        {
            // Every gradient term is s·w·(p or 1): the error scales with s·max(1, w), not with each (tiny) value.
            double wmax = c.Weights is null ? 1 : Math.Max(1, ToDouble(c.Weights).Max());
            double scale = Math.Abs(c.TopDiff / r.Normalizer) * wmax;
            AssertClose(gpu.Grad, r.Grad, Tolerance, $"grad: {name}", scalar: scale, floor: Floor);
        }
    }
}
