using System.Numerics;
using Crema.Cuda;
using Crema.Kernels;
using static Crema.Tests.Kernels.LayerKernelReference;

namespace Crema.Tests.Kernels;

/// <summary>
/// <see cref="EuclideanLossKernels"/> in float and double: diff and the gradients bit for bit as the CPU layer computes
/// them, the loss against a float64 sum, run-to-run bitwise repeatability, num = 0, one-sided gradients, unaligned spans.
/// Skipped, with the reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class EuclideanLossKernelTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly double Tolerance = typeof(T) == typeof(float) ? 1e-5 : 1e-12;
    private static readonly T Sentinel = T.CreateTruncating(7.25);

    [TestCase(0, 0)]
    [TestCase(1, 1)]
    [TestCase(7, 3)]
    [TestCase(50, 10)]
    [TestCase(4099, 17)]
    [TestCase(1_048_583, 64)]
    [TestCase(5_000_003, 1000)]
    public void Forward_DiffBitForBit_LossAgainstFloat64(int n, int num)
    {
        var a = TestData.Uniform<T>(n, seed: n + 1);
        var b = TestData.Uniform<T>(n, seed: n + 2);
        using var da = Upload(a);
        using var db = Upload(b);
        using var diff = Context.Allocate<T>(n);
        using var loss = Context.Allocate<T>(1);

        EuclideanLossKernels.Forward(n, num, da.Span, db.Span, diff.Span, loss.Span);

        T[] expectedDiff = [.. a.Select((v, i) => v - b[i])];
        AssertSameValues(diff.ToArray(), expectedDiff, "diff");
        double sum = expectedDiff.Sum(d => double.CreateTruncating(d) * double.CreateTruncating(d));
        double expected = num == 0 ? 0 : sum / (2.0 * num);
        SoftmaxReference.AssertClose(double.CreateTruncating(loss.ToArray()[0]), expected, Tolerance, "loss");
    }

    [Test]
    public void Forward_IsBitwiseRepeatable()
    {
        const int n = 3_000_017;
        using var a = Upload(TestData.Uniform<T>(n, seed: 3));
        using var b = Upload(TestData.Uniform<T>(n, seed: 4));
        using var diff = Context.Allocate<T>(n);
        using var loss = Context.Allocate<T>(1);
        T? first = null;
        for (int run = 0; run < 5; run++)
        {
            EuclideanLossKernels.Forward(n, 100, a.Span, b.Span, diff.Span, loss.Span);
            T value = loss.ToArray()[0];
            first ??= value;
            Assert.That(SoftmaxReference.Bits([value]), Is.EqualTo(SoftmaxReference.Bits([first.Value])), $"run {run}");
        }
    }

    [Test]
    public void Forward_NumZero_GivesZero()
    {
        using var loss = Upload([Sentinel]);
        using var empty = Context.Allocate<T>(0);

        EuclideanLossKernels.Forward(0, 0, empty.Span, empty.Span, empty.Span, loss.Span);

        Assert.That(loss.ToArray()[0], Is.EqualTo(T.Zero));
    }

    [TestCase(true, true)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void Backward_ScalesOnTheDevice_BitForBit(bool toA, bool toB)
    {
        const int n = 4099, num = 13;
        var d = TestData.Uniform<T>(n, seed: 5);
        T top = T.CreateTruncating(-2.5);
        using var diff = Upload(d);
        using var topDiff = Upload([top]);
        using var gradA = Upload([.. Enumerable.Repeat(Sentinel, n)]);
        using var gradB = Upload([.. Enumerable.Repeat(Sentinel, n)]);

        EuclideanLossKernels.Backward(n, num, diff.Span, topDiff.Span, toA ? gradA.Span : null, toB ? gradB.Span : null);

        // The CPU layer's arithmetic: scale = top / num in T, then ±scale · diff.
        T scale = top / T.CreateTruncating(num);
        T[] untouched = [.. Enumerable.Repeat(Sentinel, n)];
        AssertSameValues(gradA.ToArray(), toA ? [.. d.Select(v => scale * v)] : untouched, "gradA");
        AssertSameValues(gradB.ToArray(), toB ? [.. d.Select(v => -scale * v)] : untouched, "gradB");
    }

    [Test]
    public void Backward_SameBufferForBoth_EndsWithB_AsTheCpu()
    {
        const int n = 100;
        var d = TestData.Uniform<T>(n, seed: 6);
        using var diff = Upload(d);
        using var topDiff = Upload([T.One]);
        using var grad = Context.Allocate<T>(n);

        EuclideanLossKernels.Backward(n, 4, diff.Span, topDiff.Span, grad.Span, grad.Span);

        T scale = T.One / T.CreateTruncating(4);
        AssertSameValues(grad.ToArray(), [.. d.Select(v => -scale * v)], "grad");
    }

    [Test]
    public void Backward_NumZero_WritesNothing()
    {
        using var diff = Upload([T.One, T.One]);
        using var topDiff = Upload([T.One]);
        using var grad = Upload([Sentinel, Sentinel]);

        EuclideanLossKernels.Backward(2, 0, diff.Span, topDiff.Span, grad.Span, null);

        Assert.That(grad.ToArray(), Is.EqualTo(new[] { Sentinel, Sentinel }));
    }

    [TestCase(1, 2, 3)]
    [TestCase(0, 3, 1)]
    public void UnalignedSpans(int aOffset, int bOffset, int dOffset)
    {
        const int n = 4099, num = 7;
        var a = TestData.Uniform<T>(n, seed: 7);
        var b = TestData.Uniform<T>(n, seed: 8);
        using var ab = Context.Allocate<T>(n + aOffset);
        using var bb = Context.Allocate<T>(n + bOffset);
        using var db = Context.Allocate<T>(n + dOffset);
        using var loss = Context.Allocate<T>(1);
        using var top = Upload([T.One]);
        using var grad = Context.Allocate<T>(n + bOffset);
        ab.Slice(aOffset, n).CopyFrom(a);
        bb.Slice(bOffset, n).CopyFrom(b);

        EuclideanLossKernels.Forward(n, num, ab.Slice(aOffset, n), bb.Slice(bOffset, n), db.Slice(dOffset, n), loss.Span);
        EuclideanLossKernels.Backward(n, num, db.Slice(dOffset, n), top.Span, null, grad.Slice(bOffset, n));

        T[] d = [.. a.Select((v, i) => v - b[i])];
        AssertSameValues(db.Slice(dOffset, n).ToArray(), d, "diff");
        T scale = T.One / T.CreateTruncating(num);
        AssertSameValues(grad.Slice(bOffset, n).ToArray(), [.. d.Select(v => -scale * v)], "gradB");
        double expected = d.Sum(v => double.CreateTruncating(v) * double.CreateTruncating(v)) / (2.0 * num);
        SoftmaxReference.AssertClose(double.CreateTruncating(loss.ToArray()[0]), expected, Tolerance, "loss");
    }

    [Test]
    public void MismatchedSpans_ThrowNamingTheLengths()
    {
        using var x = Context.Allocate<T>(12);
        using var y = Context.Allocate<T>(11);
        using var empty = Context.Allocate<T>(0);
        using var other = new CudaContext(Context.Device);
        using var elsewhere = other.Allocate<T>(12);
        var (xs, ys, es, none) = (x.Span, y.Span, elsewhere.Span, empty.Span);

        Assert.Multiple(() =>
        {
            Assert.That(() => EuclideanLossKernels.Forward(12, 3, xs, ys, xs, xs),
                Throws.ArgumentException.With.Message.Contains("b has 11 elements, expected 12"));
            Assert.That(() => EuclideanLossKernels.Forward(12, 3, xs, xs, xs, none),
                Throws.ArgumentException.With.Message.Contains("loss must have room for one element"));
            Assert.That(() => EuclideanLossKernels.Forward(12, 3, xs, es, xs, xs),
                Throws.ArgumentException.With.Message.Contains("another CUDA context"));
            Assert.That(() => EuclideanLossKernels.Backward(12, 3, xs, xs, ys, null),
                Throws.ArgumentException.With.Message.Contains("gradA has 11 elements, expected 12"));
            Assert.That(() => EuclideanLossKernels.Backward(12, 3, xs, none, xs, null),
                Throws.ArgumentException.With.Message.Contains("topDiff must have room for one element"));
        });
    }
}

/// <summary>The Euclidean-loss launchers' checks that come before any device memory is touched; these run without a GPU.</summary>
public class EuclideanLossKernelArgumentTests
{
    [Test]
    public void NegativeCountOrNum_ThrowsNamingIt()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => EuclideanLossKernels.Forward<float>(-1, 2, default, default, default, default),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("count").And.Message.Contains("must not be negative"));
            Assert.That(() => EuclideanLossKernels.Forward<double>(4, -2, default, default, default, default),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("num").And.Message.Contains("-2"));
            Assert.That(() => EuclideanLossKernels.Backward<float>(-3, 1, default, default, null, null),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("count"));
            Assert.That(() => EuclideanLossKernels.Backward<double>(3, -1, default, default, null, null),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("num"));
        });
    }

    [Test]
    public void DefaultSpans_ThrowNamingTheSpan()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => EuclideanLossKernels.Forward<float>(0, 0, default, default, default, default),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("a").And.Message.Contains("no buffer"));
            Assert.That(() => EuclideanLossKernels.Backward<double>(2, 1, default, default, null, null),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("diff").And.Message.Contains("no buffer"));
        });
    }

    [Test]
    public void Half_IsNotSupported()
    {
        Assert.That(() => EuclideanLossKernels.Forward<Half>(1, 1, default, default, default, default),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("EuclideanLoss kernels"));
    }
}
