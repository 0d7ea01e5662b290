using System.Numerics;
using Crema.Cuda;
using Crema.Kernels;
using static Crema.Tests.Kernels.SoftmaxReference;

namespace Crema.Tests.Kernels;

/// <summary>
/// <see cref="SoftmaxKernels"/> against the float64 definition, in float and double, on every regime (tile, warp row,
/// block row, column), in place, on unaligned spans, with NaN and infinities, and run to run. Skipped, with the
/// reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SoftmaxKernelTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    // Relative to each value (float: the SFU exp is good to a few ulp per unit of |x - max|; inputs are in [-3, 3]).
    private static readonly double Tolerance = typeof(T) == typeof(float) ? 2e-5 : 1e-11;
    private static readonly double Floor = typeof(T) == typeof(float) ? 1e-30 : 1e-300;

    [TestCaseSource(typeof(SoftmaxReference), nameof(Shapes))]
    public void Forward_MatchesReference(SoftmaxShape shape)
    {
        var x = Uniform<T>(shape.Count, seed: 1);
        using var dx = Upload(x);
        using var dy = Context.Allocate<T>(shape.Count);

        SoftmaxKernels.Forward(shape.Outer, shape.Channels, shape.Inner, dx.Span, dy.Span);

        AssertClose(dy.ToArray(), Softmax(ToDouble(x), shape), Tolerance, $"y of {shape}", floor: Floor);
    }

    [TestCaseSource(typeof(SoftmaxReference), nameof(Shapes))]
    public void Forward_InPlace_MatchesReference(SoftmaxShape shape)
    {
        var x = Uniform<T>(shape.Count, seed: 2);
        using var buffer = Upload(x);

        SoftmaxKernels.Forward(shape.Outer, shape.Channels, shape.Inner, buffer.Span, buffer.Span);

        AssertClose(buffer.ToArray(), Softmax(ToDouble(x), shape), Tolerance, $"y (= x) of {shape}", floor: Floor);
    }

    [TestCaseSource(typeof(SoftmaxReference), nameof(Shapes))]
    public void Forward_UnalignedSpans_MatchesReference(SoftmaxShape shape)
    {
        var x = Uniform<T>(shape.Count, seed: 3);
        using var xb = Context.Allocate<T>(shape.Count + 1);
        using var yb = Context.Allocate<T>(shape.Count + 3);
        var xs = xb.Slice(1, shape.Count);
        xs.CopyFrom(x);

        SoftmaxKernels.Forward(shape.Outer, shape.Channels, shape.Inner, xs, yb.Slice(3, shape.Count));

        AssertClose(yb.Slice(3, shape.Count).ToArray(), Softmax(ToDouble(x), shape), Tolerance, $"y of {shape}", floor: Floor);
    }

    [TestCaseSource(typeof(SoftmaxReference), nameof(Shapes))]
    public void Backward_MatchesReference(SoftmaxShape shape)
    {
        var (y, dy, expected, scale) = BackwardCase(shape, seed: 4);
        using var by = Upload(y);
        using var bdy = Upload(dy);
        using var bdx = Context.Allocate<T>(shape.Count);

        SoftmaxKernels.Backward(shape.Outer, shape.Channels, shape.Inner, by.Span, bdy.Span, bdx.Span);

        AssertClose(bdx.ToArray(), expected, Tolerance, $"dx of {shape}", scale, floor: Floor);
    }

    [TestCaseSource(typeof(SoftmaxReference), nameof(Shapes))]
    public void Backward_InPlace_MatchesReference(SoftmaxShape shape)
    {
        var (y, dy, expected, scale) = BackwardCase(shape, seed: 5);
        using var by = Upload(y);
        using var bdy = Upload(dy);

        SoftmaxKernels.Backward(shape.Outer, shape.Channels, shape.Inner, by.Span, bdy.Span, bdy.Span);

        AssertClose(bdy.ToArray(), expected, Tolerance, $"dx (= dy) of {shape}", scale, floor: Floor);
    }

    [TestCaseSource(typeof(SoftmaxReference), nameof(Shapes))]
    public void Backward_UnalignedSpans_MatchesReference(SoftmaxShape shape)
    {
        var (y, dy, expected, scale) = BackwardCase(shape, seed: 6);
        using var by = Context.Allocate<T>(shape.Count + 1);
        using var bdy = Context.Allocate<T>(shape.Count + 2);
        using var bdx = Context.Allocate<T>(shape.Count + 3);
        by.Slice(1, shape.Count).CopyFrom(y);
        bdy.Slice(2, shape.Count).CopyFrom(dy);

        SoftmaxKernels.Backward(shape.Outer, shape.Channels, shape.Inner, by.Slice(1, shape.Count), bdy.Slice(2, shape.Count),
            bdx.Slice(3, shape.Count));

        AssertClose(bdx.Slice(3, shape.Count).ToArray(), expected, Tolerance, $"dx of {shape}", scale, floor: Floor);
    }

    /// <summary>A NaN poisons its row only; −inf gives 0 without NaN; an all −inf row and a +inf logit give NaN (the definition's exp(inf − inf)).</summary>
    [TestCase(5L, 1L)]
    [TestCase(100L, 1L)]
    [TestCase(3000L, 1L)]
    [TestCase(5L, 3L)]
    [TestCase(40L, 3L)]
    public void Forward_NaNAndInfinities_FollowTheDefinition(long channels, long inner)
    {
        var shape = new SoftmaxShape(5, channels, inner);
        var x = Uniform<T>(shape.Count, seed: 7);
        for (long j = 0; j < inner; j++)
        {
            x[shape.Index(0, channels / 2, j)] = T.NaN;
            x[shape.Index(1, 0, j)] = T.NegativeInfinity;
            x[shape.Index(1, channels - 1, j)] = T.NegativeInfinity;
            for (long c = 0; c < channels; c++)
            {
                x[shape.Index(2, c, j)] = T.NegativeInfinity;
            }

            x[shape.Index(3, channels - 1, j)] = T.PositiveInfinity;
        }

        using var buffer = Upload(x);
        SoftmaxKernels.Forward(shape.Outer, shape.Channels, shape.Inner, buffer.Span, buffer.Span);
        var y = buffer.ToArray();
        var expected = Softmax(ToDouble(x), shape);

        AssertClose(y, expected, Tolerance, $"y of {shape}", floor: Floor);
        Assert.Multiple(() =>
        {
            Assert.That(y[(int)shape.Index(1, 0, 0)], Is.EqualTo(T.Zero), "a -inf logit has probability 0");
            Assert.That(Enumerable.Range(0, (int)channels).Select(c => y[(int)shape.Index(1, c, 0)]), Has.None.Matches<T>(v => T.IsNaN(v)),
                "a row with -inf logits has no NaN");
            Assert.That(Enumerable.Range(0, (int)channels).Select(c => y[(int)shape.Index(4, c, 0)]), Has.None.Matches<T>(v => T.IsNaN(v)),
                "the row after the special ones is untouched by them");
        });
    }

    [TestCase(0L, 10L, 1L)]
    [TestCase(0L, 10L, 4L)]
    [TestCase(3L, 0L, 1L)]
    [TestCase(3L, 0L, 4L)]
    [TestCase(3L, 5L, 0L)]
    public void EmptyShapes_DoNothing(long outer, long channels, long inner)
    {
        using var x = Context.Allocate<T>(0);
        using var y = Context.Allocate<T>(0);

        SoftmaxKernels.Forward(outer, channels, inner, x.Span, y.Span);
        SoftmaxKernels.Backward(outer, channels, inner, x.Span, x.Span, y.Span);
        Context.Synchronize();
    }

    [TestCase(4096L, 10L, 1L)]
    [TestCase(256L, 1000L, 1L)]
    [TestCase(8L, 20000L, 1L)]
    [TestCase(4L, 21L, 4096L)]
    public void ForwardAndBackward_AreBitwiseReproducible(long outer, long channels, long inner)
    {
        var shape = new SoftmaxShape(outer, channels, inner);
        using var x = Upload(Uniform<T>(shape.Count, seed: 8));
        using var dy = Upload(Uniform<T>(shape.Count, seed: 9));
        using var y = Context.Allocate<T>(shape.Count);
        using var dx = Context.Allocate<T>(shape.Count);
        byte[]? firstY = null, firstDx = null;
        for (int run = 0; run < 5; run++)
        {
            SoftmaxKernels.Forward(outer, channels, inner, x.Span, y.Span);
            SoftmaxKernels.Backward(outer, channels, inner, y.Span, dy.Span, dx.Span);
            var (by, bdx) = (Bits(y.ToArray()), Bits(dx.ToArray()));
            firstY ??= by;
            firstDx ??= bdx;
            Assert.That(by, Is.EqualTo(firstY), $"y, run {run}");
            Assert.That(bdx, Is.EqualTo(firstDx), $"dx, run {run}");
        }
    }

    [Test]
    public void MismatchedSpans_ThrowNamingTheLengths()
    {
        using var x = Context.Allocate<T>(12);
        using var y = Context.Allocate<T>(11);
        using var other = new CudaContext(Context.Device);
        using var elsewhere = other.Allocate<T>(12);
        var (xs, ys, es) = (x.Span, y.Span, elsewhere.Span);

        Assert.Multiple(() =>
        {
            Assert.That(() => SoftmaxKernels.Forward(2, 3, 2, xs, ys),
                Throws.ArgumentException.With.Message.Contains("y has 11 elements, expected 12"));
            Assert.That(() => SoftmaxKernels.Backward(2, 3, 2, xs, xs, ys),
                Throws.ArgumentException.With.Message.Contains("dx has 11 elements, expected 12"));
            Assert.That(() => SoftmaxKernels.Forward(2, 3, 2, xs, es),
                Throws.ArgumentException.With.Message.Contains("another CUDA context"));
            Assert.That(() => SoftmaxKernels.Forward(2, 3, 2, default, xs),
                Throws.ArgumentException.With.Message.Contains("no buffer"));
        });
    }

    private (T[] Y, T[] Dy, double[] Expected, double[] Scale) BackwardCase(SoftmaxShape shape, int seed)
    {
        var y = Softmax(ToDouble(Uniform<T>(shape.Count, seed)), shape).Select(T.CreateTruncating).ToArray();
        var dy = Uniform<T>(shape.Count, seed + 100);
        var expected = SoftmaxBackward(ToDouble(y), ToDouble(dy), shape, out var scale);
        return (y, dy, expected, scale);
    }
}

/// <summary>The launchers' checks that come before any device memory is touched; these run without a GPU.</summary>
public class SoftmaxKernelArgumentTests
{
    [TestCase(-1L, 3L, 1L, "outer")]
    [TestCase(2L, -3L, 1L, "channels")]
    [TestCase(2L, 3L, -1L, "inner")]
    public void NegativeSizes_ThrowNamingTheSize(long outer, long channels, long inner, string name)
    {
        var options = new SoftmaxLossOptions(null, Crema.Parameters.NormalizationMode.Valid, 0);
        Assert.Multiple(() =>
        {
            Assert.That(() => SoftmaxKernels.Forward<float>(outer, channels, inner, default, default),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo(name).And.Message.Contains("must not be negative"));
            Assert.That(() => SoftmaxKernels.Backward<double>(outer, channels, inner, default, default, default),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo(name));
            Assert.That(() => SoftmaxLossKernels.Forward<float>(outer, channels, inner, options, default, default, null, default, null,
                default, default, default, null, null), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo(name));
            Assert.That(() => SoftmaxLossKernels.Backward<float>(outer, channels, inner, options, default, default, null, default,
                default, default, default), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo(name));
        });
    }

    [Test]
    public void ShapePastA64BitByteCount_Throws()
    {
        Assert.That(() => SoftmaxKernels.Forward<double>(1L << 31, 1L << 20, 1L << 10, default, default),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("64-bit byte count"));
    }

    [Test]
    public void Half_IsNotSupported()
    {
        Assert.That(() => SoftmaxKernels.Forward<Half>(1, 2, 1, default, default),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("Half"));
    }

    [Test]
    public void BadLossOptions_Throw()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => SoftmaxLossKernels.Forward<float>(1, 2, 1, new(null, (Crema.Parameters.NormalizationMode)7, 0),
                default, default, null, default, null, default, default, default, null, null),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("Normalization"));
            Assert.That(() => SoftmaxLossKernels.Backward<float>(1, 2, 1, new(null, Crema.Parameters.NormalizationMode.Valid, double.NaN),
                default, default, null, default, default, default, default),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("LabelSmoothing"));
            Assert.That(() => SoftmaxLossKernels.Forward<float>(1, 2, 1, new(null, Crema.Parameters.NormalizationMode.Valid, 1.5),
                default, default, null, default, null, default, default, default, null, null),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("LabelSmoothing"));
        });
    }
}
