using System.Numerics;
using Crema.Cuda;
using Crema.Kernels;
using static Crema.Tests.Kernels.LayerKernelReference;

namespace Crema.Tests.Kernels;

/// <summary>
/// <see cref="AccuracyKernels"/> in float and double against the CPU layer's definition, exactly (integer counts): both
/// regimes (a thread per position, a warp per row), spatial shapes, top_k 1 to all, ignore_label, ties, truncated
/// labels, the per-class output with the shared-memory and the global histogram, invalid labels (the least position),
/// empty shapes. Skipped, with the reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class AccuracyKernelTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T Sentinel = T.CreateTruncating(7.25);

    // (outer, channels, inner): a thread per position (C ≤ 32 or inner > 1), a warp per row (inner = 1, C > 32), and
    // per-class counts in shared memory (C ≤ 1024) or global (C > 1024).
    private static readonly object[] Shapes =
    [
        new object[] { 100L, 10L, 1L },
        new object[] { 5000L, 32L, 1L },
        new object[] { 64L, 33L, 1L },
        new object[] { 256L, 1000L, 1L },
        new object[] { 7L, 3000L, 1L },
        new object[] { 4L, 21L, 37L },
        new object[] { 3L, 2000L, 5L },
        new object[] { 1L, 1L, 1L },
        new object[] { 100_000L, 10L, 1L },
    ];

    [TestCaseSource(nameof(Shapes))]
    public void Forward_MatchesTheCpuDefinitionExactly(long outer, long channels, long inner)
    {
        foreach (int topK in new[] { 1, 3, (int)channels })
        {
            foreach (int? ignore in new int?[] { null, 0 })
            {
                Check(outer, channels, inner, topK, ignore, seed: (int)(outer + channels + inner + topK));
            }
        }
    }

    [Test]
    public void Ties_CountForTheLabel()
    {
        // Row 0: every score equal (correct for any top_k). Row 1: one class scores higher than the label, one ties
        // with it (top-1 wrong, top-2 right). Row 2: three classes score higher (right only for top-4).
        T[] scores = [.. new double[] { 1, 1, 1, 1, 0, 2, 1, 1, 5, 5, 5, 4 }.Select(T.CreateTruncating)];
        T[] labels = [.. new double[] { 2, 2, 3 }.Select(T.CreateTruncating)];
        Assert.Multiple(() =>
        {
            Assert.That(Run(3, 4, 1, 1, null, scores, labels).Accuracy, Is.EqualTo(T.CreateTruncating(1 / 3.0)));
            Assert.That(Run(3, 4, 1, 2, null, scores, labels).Accuracy, Is.EqualTo(T.CreateTruncating(2 / 3.0)));
            Assert.That(Run(3, 4, 1, 4, null, scores, labels).Accuracy, Is.EqualTo(T.One));
        });
    }

    [Test]
    public void NonIntegralLabels_TruncateTowardZero()
    {
        T[] scores = [.. new double[] { 0, 1, 2, 3, 3, 2, 1, 0 }.Select(T.CreateTruncating)];
        T[] labels = [.. new double[] { 3.9, -0.5 }.Select(T.CreateTruncating)]; // classes 3 and 0: both the best

        var result = Run(2, 4, 1, 1, null, scores, labels);

        Assert.That(result.Accuracy, Is.EqualTo(T.One));
        Assert.That(result.BadLabel, Is.EqualTo(AccuracyKernels.NoBadLabel));
    }

    [TestCase(5.0, false)]
    [TestCase(-1.0, false)]
    [TestCase(double.NaN, false)]
    [TestCase(1e10, false)]
    [TestCase(-1e10, false)]
    [TestCase(300.0, true)]
    [TestCase(-1.0, true)]
    [TestCase(double.NaN, true)]
    public void InvalidLabels_RecordTheLeastPosition_AndAreNotCounted(double bad, bool wideRows)
    {
        long channels = wideRows ? 300 : 5, outer = 40;
        var scores = TestData.Uniform<T>((int)(outer * channels), seed: 11);
        var labels = SoftmaxReference.Labels<T>(outer, channels, seed: 12);
        labels[29] = T.CreateTruncating(bad);
        labels[17] = T.CreateTruncating(bad);
        labels[3] = T.CreateTruncating(-7); // the ignore label: never invalid

        var result = Run(outer, channels, 1, 1, -7, scores, labels, perClass: true);

        var expected = Accuracy(scores, labels, outer, channels, 1, 1, -7);
        Assert.That(expected.BadPosition, Is.EqualTo(17));
        Assert.That(result.BadLabel, Is.EqualTo(17L));
        Assert.That(result.Accuracy, Is.EqualTo(Fraction(expected.Correct, expected.Counted)));
        Assert.That(expected.Counted, Is.EqualTo(outer - 3));
    }

    [Test]
    public void ValidLabels_LeaveTheSlotAtNoBadLabel_EvenAfterABadRun()
    {
        var scores = TestData.Uniform<T>(50, seed: 13);
        var labels = SoftmaxReference.Labels<T>(10, 5, seed: 14);
        var bad = (T[])labels.Clone();
        bad[4] = T.CreateTruncating(9);

        Assert.That(Run(10, 5, 1, 1, null, scores, bad).BadLabel, Is.EqualTo(4L));
        Assert.That(Run(10, 5, 1, 1, null, scores, labels).BadLabel, Is.EqualTo(AccuracyKernels.NoBadLabel));
    }

    [Test]
    public void AllIgnored_GivesZero_AndZeroPerClass()
    {
        var scores = TestData.Uniform<T>(30, seed: 15);
        T[] labels = [.. Enumerable.Repeat(T.CreateTruncating(4), 10)];

        var result = Run(10, 3, 1, 1, 4, scores, labels, perClass: true);

        Assert.That(result.Accuracy, Is.EqualTo(T.Zero));
        Assert.That(result.PerClass, Is.EqualTo(new T[3]));
    }

    [TestCase(0L, 10L, 1L)]
    [TestCase(0L, 10L, 4L)]
    [TestCase(3L, 5L, 0L)]
    public void EmptyShapes_GiveZero(long outer, long channels, long inner)
    {
        var result = Run(outer, channels, inner, 1, null, [], [], perClass: true);

        Assert.That(result.Accuracy, Is.EqualTo(T.Zero));
        Assert.That(result.PerClass, Is.EqualTo(new T[channels]));
        Assert.That(result.BadLabel, Is.EqualTo(AccuracyKernels.NoBadLabel));
    }

    [Test]
    public void Forward_IsRepeatable()
    {
        var scores = TestData.Uniform<T>(200_000 * 10, seed: 16);
        var labels = SoftmaxReference.Labels<T>(200_000, 10, seed: 17);
        var first = Run(200_000, 10, 1, 2, null, scores, labels, perClass: true);
        for (int run = 0; run < 3; run++)
        {
            var again = Run(200_000, 10, 1, 2, null, scores, labels, perClass: true);
            Assert.That(again.Accuracy, Is.EqualTo(first.Accuracy));
            Assert.That(again.PerClass, Is.EqualTo(first.PerClass));
        }
    }

    [Test]
    public void MismatchedSpans_ThrowNamingTheLengths()
    {
        using var scores = Context.Allocate<T>(12);
        using var labels = Context.Allocate<T>(4);
        using var shortLabels = Context.Allocate<T>(3);
        using var scalar = Context.Allocate<T>(1);
        using var bad = Context.Allocate<long>(1);
        using var counts = Context.Allocate<long>(5);
        using var perClass = Context.Allocate<T>(3);
        var options = new AccuracyOptions(1, null);
        var (s, l, sl, a, b, c, pc) = (scores.Span, labels.Span, shortLabels.Span, scalar.Span, bad.Span, counts.Span, perClass.Span);

        Assert.Multiple(() =>
        {
            Assert.That(() => AccuracyKernels.Forward(2, 3, 2, options, s, sl, a, null, null, b),
                Throws.ArgumentException.With.Message.Contains("labels has 3 elements, expected 4"));
            Assert.That(() => AccuracyKernels.Forward(2, 3, 2, options, s, l, a, pc, c, b),
                Throws.ArgumentException.With.Message.Contains("classCounts has 5 elements, expected 6"));
            Assert.That(() => AccuracyKernels.Forward(2, 3, 2, options, s, l, a, a, null, b),
                Throws.ArgumentException.With.Message.Contains("needs both perClass and classCounts"));
        });
    }

    private void Check(long outer, long channels, long inner, int topK, int? ignore, int seed)
    {
        long positions = outer * inner;
        // Scores rounded to a coarse grid so that ties happen.
        T[] scores = [.. TestData.Uniform<T>((int)(outer * channels * inner), seed).Select(v => T.Round(v * T.CreateTruncating(4)))];
        var labels = SoftmaxReference.Labels<T>(positions, channels, seed + 1, ignore, ignoredFraction: 0.2);
        var expected = Accuracy(scores, labels, outer, channels, inner, topK, ignore);

        var result = Run(outer, channels, inner, topK, ignore, scores, labels, perClass: true);
        var withoutPerClass = Run(outer, channels, inner, topK, ignore, scores, labels, perClass: false);

        string what = $"({outer}, {channels}, {inner}), top_k {topK}, ignore {ignore?.ToString() ?? "none"}";
        Assert.That(result.Accuracy, Is.EqualTo(Fraction(expected.Correct, expected.Counted)), $"accuracy of {what}");
        Assert.That(withoutPerClass.Accuracy, Is.EqualTo(result.Accuracy), $"accuracy without per class of {what}");
        T[] perClass = [.. expected.CorrectPerClass.Select((h, c) => Fraction(h, expected.CountPerClass[c]))];
        Assert.That(result.PerClass, Is.EqualTo(perClass), $"per class of {what}");
        Assert.That(result.BadLabel, Is.EqualTo(AccuracyKernels.NoBadLabel), $"bad label of {what}");
    }

    /// <summary>What the CPU layer writes: the fraction in double, rounded to T; 0 when nothing counted.</summary>
    private static T Fraction(long correct, long counted) => counted == 0 ? T.Zero : T.CreateTruncating(correct / (double)counted);

    private (T Accuracy, T[] PerClass, long BadLabel) Run(long outer, long channels, long inner, int topK, int? ignore,
        T[] scores, T[] labels, bool perClass = false)
    {
        using var s = Upload(scores);
        using var l = Upload(labels);
        using var accuracy = Upload([Sentinel]);
        using var pc = Upload([.. Enumerable.Repeat(Sentinel, (int)channels)]);
        using var counts = Context.Allocate<long>(2 * channels);
        using var bad = Context.Allocate<long>(1);

        AccuracyKernels.Forward(outer, channels, inner, new AccuracyOptions(topK, ignore), s.Span, l.Span, accuracy.Span,
            perClass ? pc.Span : null, perClass ? counts.Span : null, bad.Span);

        return (accuracy.ToArray()[0], perClass ? pc.ToArray() : [], bad.ToArray()[0]);
    }
}

/// <summary>The accuracy launcher's checks that come before any device memory is touched; these run without a GPU.</summary>
public class AccuracyKernelArgumentTests
{
    [TestCase(-1L, 3L, 1L, "outer")]
    [TestCase(2L, -3L, 1L, "channels")]
    [TestCase(2L, 3L, -1L, "inner")]
    public void NegativeSizes_ThrowNamingTheSize(long outer, long channels, long inner, string name)
    {
        Assert.That(() => AccuracyKernels.Forward<float>(outer, channels, inner, new AccuracyOptions(1, null), default, default,
                default, null, null, default),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo(name).And.Message.Contains("must not be negative"));
    }

    [TestCase(0)]
    [TestCase(-2)]
    public void TopKBelowOne_Throws(int topK)
    {
        Assert.That(() => AccuracyKernels.Forward<double>(2, 3, 1, new AccuracyOptions(topK, null), default, default,
                default, null, null, default),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains($"TopK must be at least 1, got {topK}"));
    }

    [Test]
    public void PerClassWithoutCounts_Throws()
    {
        Assert.That(() => AccuracyKernels.Forward<float>(2, 3, 1, new AccuracyOptions(1, null), default, default,
                default, default(Crema.Cuda.DeviceSpan<float>), null, default),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("classCounts").And.Message.Contains("perClass without classCounts"));
    }

    [Test]
    public void DefaultSpans_ThrowNamingTheSpan()
    {
        Assert.That(() => AccuracyKernels.Forward<float>(2, 3, 1, new AccuracyOptions(1, null), default, default,
                default, null, null, default),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("scores").And.Message.Contains("no buffer"));
    }

    [Test]
    public void Half_IsNotSupported()
    {
        Assert.That(() => AccuracyKernels.Forward<Half>(1, 2, 1, new AccuracyOptions(1, null), default, default,
                default, null, null, default),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("accuracy kernels"));
    }
}
