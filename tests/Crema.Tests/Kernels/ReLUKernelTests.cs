using System.Numerics;
using Crema.Cuda;
using Crema.Kernels;
using static Crema.Tests.Kernels.LayerKernelReference;

namespace Crema.Tests.Kernels;

/// <summary>
/// <see cref="ReLUKernels"/> against the CPU layer's arithmetic (the same bits), in float and double: every size class
/// (empty, scalar tail only, 16-byte vectors plus tail, several grid strides), negative slopes, ±0, ±inf and NaN, in
/// place, unaligned spans. Skipped, with the reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class ReLUKernelTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int[] Sizes = [0, 1, 3, 4, 17, 4099, 65537, 1_048_583];
    private static readonly double[] Slopes = [0, 0.01, 0.3, -0.5];

    [Test]
    public void Forward_MatchesTheCpuBitForBit([ValueSource(nameof(Sizes))] int n, [ValueSource(nameof(Slopes))] double slopeValue)
    {
        T slope = T.CreateTruncating(slopeValue);
        var x = WithSpecials<T>(n, seed: n + 1);
        using var dx = Upload(x);
        using var dy = Context.Allocate<T>(n);

        ReLUKernels.Forward(n, slope, dx.Span, dy.Span);

        AssertSameValues(dy.ToArray(), ReLU(x, slope), "y");
    }

    [Test]
    public void Forward_InPlace([ValueSource(nameof(Sizes))] int n)
    {
        T slope = T.CreateTruncating(0.1);
        var x = WithSpecials<T>(n, seed: n + 2);
        using var buffer = Upload(x);

        ReLUKernels.Forward(n, slope, buffer.Span, buffer.Span);

        AssertSameValues(buffer.ToArray(), ReLU(x, slope), "y (= x)");
    }

    [TestCase(1, 3)]
    [TestCase(2, 0)]
    [TestCase(3, 1)]
    public void Forward_UnalignedSpans(int xOffset, int yOffset)
    {
        const int n = 4099;
        T slope = T.CreateTruncating(0.25);
        var x = WithSpecials<T>(n, seed: 3);
        using var xb = Context.Allocate<T>(n + xOffset);
        using var yb = Context.Allocate<T>(n + yOffset);
        xb.Slice(xOffset, n).CopyFrom(x);

        ReLUKernels.Forward(n, slope, xb.Slice(xOffset, n), yb.Slice(yOffset, n));

        AssertSameValues(yb.Slice(yOffset, n).ToArray(), ReLU(x, slope), "y");
    }

    [Test]
    public void Backward_MatchesTheCpuBitForBit([ValueSource(nameof(Sizes))] int n, [ValueSource(nameof(Slopes))] double slopeValue)
    {
        T slope = T.CreateTruncating(slopeValue);
        var x = WithSpecials<T>(n, seed: n + 4);
        var dy = WithSpecials<T>(n, seed: n + 5).Reverse().ToArray();
        using var bx = Upload(x);
        using var bdy = Upload(dy);
        using var bdx = Context.Allocate<T>(n);

        ReLUKernels.Backward(n, slope, bx.Span, bdy.Span, bdx.Span);

        AssertSameValues(bdx.ToArray(), ReLUGrad(x, dy, slope), "dx");
    }

    /// <summary>An in-place layer passes its output as x and dx = dy: the sign of y decides, as on the CPU.</summary>
    [TestCase(0.0)]
    [TestCase(0.2)]
    [TestCase(-0.5)]
    public void ForwardThenBackward_InPlace_MatchTheCpu(double slopeValue)
    {
        const int n = 65537;
        T slope = T.CreateTruncating(slopeValue);
        var x = WithSpecials<T>(n, seed: 6);
        var dy = TestData.Uniform<T>(n, seed: 7);
        using var data = Upload(x);
        using var diff = Upload(dy);

        ReLUKernels.Forward(n, slope, data.Span, data.Span);
        ReLUKernels.Backward(n, slope, data.Span, diff.Span, diff.Span);

        var y = ReLU(x, slope);
        AssertSameValues(data.ToArray(), y, "y");
        AssertSameValues(diff.ToArray(), ReLUGrad(y, dy, slope), "dx (= dy)");
    }

    [TestCase(1, 2, 3)]
    [TestCase(0, 1, 0)]
    public void Backward_UnalignedSpans(int xOffset, int dyOffset, int dxOffset)
    {
        const int n = 4099;
        T slope = T.CreateTruncating(0.01);
        var x = WithSpecials<T>(n, seed: 8);
        var dy = TestData.Uniform<T>(n, seed: 9);
        using var xb = Context.Allocate<T>(n + xOffset);
        using var dyb = Context.Allocate<T>(n + dyOffset);
        using var dxb = Context.Allocate<T>(n + dxOffset);
        xb.Slice(xOffset, n).CopyFrom(x);
        dyb.Slice(dyOffset, n).CopyFrom(dy);

        ReLUKernels.Backward(n, slope, xb.Slice(xOffset, n), dyb.Slice(dyOffset, n), dxb.Slice(dxOffset, n));

        AssertSameValues(dxb.Slice(dxOffset, n).ToArray(), ReLUGrad(x, dy, slope), "dx");
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
            Assert.That(() => ReLUKernels.Forward(12, T.Zero, xs, ys),
                Throws.ArgumentException.With.Message.Contains("y has 11 elements, expected 12"));
            Assert.That(() => ReLUKernels.Forward(13, T.Zero, xs, xs),
                Throws.ArgumentException.With.Message.Contains("x has 12 elements, expected 13"));
            Assert.That(() => ReLUKernels.Backward(12, T.Zero, xs, xs, ys),
                Throws.ArgumentException.With.Message.Contains("dx has 11 elements, expected 12"));
            Assert.That(() => ReLUKernels.Backward(12, T.Zero, xs, es, xs),
                Throws.ArgumentException.With.Message.Contains("another CUDA context"));
        });
    }
}

/// <summary>The ReLU launchers' checks that come before any device memory is touched; these run without a GPU.</summary>
public class ReLUKernelArgumentTests
{
    [Test]
    public void NegativeCount_ThrowsNamingIt()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ReLUKernels.Forward<float>(-1, 0f, default, default),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("count").And.Message.Contains("must not be negative"));
            Assert.That(() => ReLUKernels.Backward<double>(-5, 0.0, default, default, default),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("count").And.Message.Contains("-5"));
        });
    }

    [Test]
    public void CountPastA64BitByteCount_Throws()
    {
        Assert.That(() => ReLUKernels.Forward<double>(long.MaxValue / 4, 0.0, default, default),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("64-bit byte count"));
    }

    [Test]
    public void DefaultSpans_ThrowNamingTheSpan()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ReLUKernels.Forward<float>(0, 0f, default, default),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("no buffer"));
            Assert.That(() => ReLUKernels.Backward<float>(3, 0.1f, default, default, default),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("no buffer"));
        });
    }

    [Test]
    public void Half_IsNotSupported()
    {
        Assert.That(() => ReLUKernels.Forward<Half>(1, Half.Zero, default, default),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("ReLU kernels").And.Message.Contains("Half"));
    }
}
