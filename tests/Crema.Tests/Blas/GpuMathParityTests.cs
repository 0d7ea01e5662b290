using System.Numerics;
using Crema.Blas;
using Crema.Cuda;

namespace Crema.Tests.Blas;

/// <summary>
/// Every <see cref="GpuMath"/> op against <see cref="CpuMath"/> on the same random inputs, in float and double,
/// plus reproducibility, the asynchronous reductions into device memory, empty buffers and misuse (spans of two
/// contexts, disposed buffers). Skipped, with the reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class GpuMathParityTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double AlphaValue = 1.5;
    private const double BetaValue = -0.75;

    private static readonly T Alpha = T.CreateTruncating(AlphaValue);
    private static readonly T Beta = T.CreateTruncating(BetaValue);
    private static readonly T Sentinel = T.CreateTruncating(7.25);

    // Reductions accumulate in double on the GPU but in float chunks on the CPU: the float bound covers the CPU's
    // rounding. Element-wise ops differ by at most an FMA contraction.
    private static readonly double Tolerance = typeof(T) == typeof(float) ? 1e-5 : 1e-12;

    // cuBLAS may block and order the k-sum differently from the CPU (split-k, FMA); the bound is relative to Σ |terms|
    // of each element, which is what any summation order's error scales with.
    private static readonly double GemmTolerance = typeof(T) == typeof(float) ? 1e-4 : 1e-12;

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Set_MatchesCpu(int n)
    {
        var host = TestData.Uniform<T>(n, seed: n);
        using var y = Upload(host);

        GpuMath.Set(Alpha, y.Span);
        CpuMath.Set(Alpha, host.AsSpan());

        BlasReference.AssertExactlyEqual<T>(y.ToArray(), host, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Copy_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        using var x = Upload(xHost);
        using var y = Upload(TestData.Uniform<T>(n, seed: n + 1));

        GpuMath.Copy(x.Span, y.Span);

        BlasReference.AssertExactlyEqual<T>(y.ToArray(), xHost, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Axpy_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        var yHost = TestData.Uniform<T>(n, seed: n + 1);
        using var x = Upload(xHost);
        using var y = Upload(yHost);

        GpuMath.Axpy(Alpha, x.Span, y.Span);
        CpuMath.Axpy<T>(Alpha, xHost, yHost);

        TestData.AssertClose<T>(y.ToArray(), TestData.ToDouble<T>(yHost), Tolerance, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Axpby_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        var yHost = TestData.Uniform<T>(n, seed: n + 1);
        using var x = Upload(xHost);
        using var y = Upload(yHost);

        GpuMath.Axpby(Alpha, x.Span, Beta, y.Span);
        CpuMath.Axpby<T>(Alpha, xHost, Beta, yHost);

        TestData.AssertClose<T>(y.ToArray(), TestData.ToDouble<T>(yHost), Tolerance, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Axpby_BetaZero_OverwritesNaNInY(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        var yHost = BlasReference.NaNs<T>(n);
        using var x = Upload(xHost);
        using var y = Upload(yHost);

        GpuMath.Axpby(Alpha, x.Span, T.Zero, y.Span);
        CpuMath.Axpby<T>(Alpha, xHost, T.Zero, yHost);

        TestData.AssertClose<T>(y.ToArray(), TestData.ToDouble<T>(yHost), Tolerance, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Scal_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        using var x = Upload(xHost);

        GpuMath.Scal(Alpha, x.Span);
        CpuMath.Scal(Alpha, xHost.AsSpan());

        TestData.AssertClose<T>(x.ToArray(), TestData.ToDouble<T>(xHost), Tolerance, "x");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Asum_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        using var x = Upload(xHost);

        T actual = GpuMath.Asum(x.Span);

        TestData.AssertClose(double.CreateTruncating(actual), double.CreateTruncating(CpuMath.Asum<T>(xHost)), Tolerance, "asum");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Sumsq_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        using var x = Upload(xHost);

        T actual = GpuMath.Sumsq(x.Span);

        TestData.AssertClose(double.CreateTruncating(actual), double.CreateTruncating(CpuMath.Sumsq<T>(xHost)), Tolerance, "sumsq");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Dot_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        var yHost = TestData.Uniform<T>(n, seed: n + 1);
        using var x = Upload(xHost);
        using var y = Upload(yHost);
        double magnitude = BlasReference.Dot(TestData.ToDouble<T>(xHost), TestData.ToDouble<T>(yHost)).Magnitude;

        T actual = GpuMath.Dot(x.Span, y.Span);

        // Terms of both signs cancel: the error is bounded relative to Σ |x·y|, not to the result.
        BlasReference.AssertClose(double.CreateTruncating(actual), double.CreateTruncating(CpuMath.Dot<T>(xHost, yHost)),
            magnitude, Tolerance, "dot");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Asum_IntoDeviceResult_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        using var x = Upload(xHost);
        using var result = Upload([Sentinel, Sentinel, Sentinel]);

        GpuMath.Asum(x.Span, result.Slice(1, 1));

        AssertOnlyMiddleWritten(result.ToArray(), double.CreateTruncating(CpuMath.Asum<T>(xHost)), scale: 0, "asum");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Sumsq_IntoDeviceResult_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        using var x = Upload(xHost);
        using var result = Upload([Sentinel, Sentinel, Sentinel]);

        GpuMath.Sumsq(x.Span, result.Slice(1, 1));

        AssertOnlyMiddleWritten(result.ToArray(), double.CreateTruncating(CpuMath.Sumsq<T>(xHost)), scale: 0, "sumsq");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Dot_IntoDeviceResult_MatchesCpu(int n)
    {
        var xHost = TestData.Uniform<T>(n, seed: n);
        var yHost = TestData.Uniform<T>(n, seed: n + 1);
        using var x = Upload(xHost);
        using var y = Upload(yHost);
        using var result = Upload([Sentinel, Sentinel, Sentinel]);
        double magnitude = BlasReference.Dot(TestData.ToDouble<T>(xHost), TestData.ToDouble<T>(yHost)).Magnitude;

        GpuMath.Dot(x.Span, y.Span, result.Slice(1, 1));

        AssertOnlyMiddleWritten(result.ToArray(), double.CreateTruncating(CpuMath.Dot<T>(xHost, yHost)), magnitude, "dot");
    }

    [Test]
    public void Reductions_AreBitwiseDeterministic()
    {
        int n = TestData.Sizes.Max();
        using var x = Upload(TestData.Uniform<T>(n, seed: 11));
        using var y = Upload(TestData.Uniform<T>(n, seed: 12));

        var runs = new List<long[]>();
        for (int run = 0; run < 5; run++)
        {
            runs.Add(
            [
                BlasReference.Bits(GpuMath.Asum(x.Span)),
                BlasReference.Bits(GpuMath.Sumsq(x.Span)),
                BlasReference.Bits(GpuMath.Dot(x.Span, y.Span)),
            ]);
        }

        Assert.That(runs, Has.All.EqualTo(runs[0]), "asum, sumsq, dot over 5 runs");
    }

    [Test]
    public void Gemm_MatchesCpu(
        [ValueSource(typeof(BlasReference), nameof(BlasReference.GemmShapes))] GemmShape shape,
        [Values] Transpose transA,
        [Values] Transpose transB,
        [Values(1.0, BetaValue)] double beta)
    {
        CheckGemm(shape, transA, transB, T.CreateTruncating(beta), TestData.Uniform<T>(shape.M * shape.N, seed: 3));
    }

    [Test]
    public void Gemm_BetaZero_OverwritesNaNInC([Values] Transpose transA, [Values] Transpose transB)
    {
        var shape = new GemmShape(17, 9, 13);
        CheckGemm(shape, transA, transB, T.Zero, BlasReference.NaNs<T>(shape.M * shape.N));
    }

    [Test]
    public void Gemm_EmptyInnerDimension_GivesBetaTimesC([Values] Transpose transA, [Values] Transpose transB,
        [Values(0.0, 1.0, BetaValue)] double beta)
    {
        var shape = new GemmShape(5, 3, 0);
        CheckGemm(shape, transA, transB, T.CreateTruncating(beta),
            beta == 0 ? BlasReference.NaNs<T>(shape.M * shape.N) : TestData.Uniform<T>(shape.M * shape.N, seed: 3));
    }

    [Test]
    public void Gemv_MatchesCpu(
        [ValueSource(typeof(BlasReference), nameof(BlasReference.GemvShapes))] GemvShape shape,
        [Values] Transpose transA,
        [Values(1.0, BetaValue)] double beta)
    {
        int rows = transA == Transpose.NoTrans ? shape.M : shape.N;
        CheckGemv(shape, transA, T.CreateTruncating(beta), TestData.Uniform<T>(rows, seed: 3));
    }

    [Test]
    public void Gemv_BetaZero_OverwritesNaNInY([Values] Transpose transA)
    {
        var shape = new GemvShape(17, 9);
        CheckGemv(shape, transA, T.Zero, BlasReference.NaNs<T>(transA == Transpose.NoTrans ? shape.M : shape.N));
    }

    [Test]
    public void Gemv_EmptyInnerDimension_GivesBetaTimesY([Values] Transpose transA, [Values(0.0, 1.0, BetaValue)] double beta)
    {
        // The inner dimension is n without transpose and m with it; y keeps its 5 elements either way.
        var shape = transA == Transpose.NoTrans ? new GemvShape(5, 0) : new GemvShape(0, 5);
        CheckGemv(shape, transA, T.CreateTruncating(beta), beta == 0 ? BlasReference.NaNs<T>(5) : TestData.Uniform<T>(5, seed: 3));
    }

    [Test]
    public void Axpy_OnSlice_LeavesTheRestUntouched()
    {
        var xHost = TestData.Uniform<T>(10, seed: 1);
        var yHost = TestData.Uniform<T>(10, seed: 2);
        using var x = Upload(xHost);
        using var y = Upload(yHost);

        GpuMath.Axpy(Alpha, x.Slice(3, 4), y.Slice(5, 4));
        CpuMath.Axpy<T>(Alpha, xHost.AsSpan(3, 4), yHost.AsSpan(5, 4));

        TestData.AssertClose<T>(y.ToArray(), TestData.ToDouble<T>(yHost), Tolerance, "y");
    }

    [Test]
    public void SpansOfTwoContexts_Throw()
    {
        using var other = new CudaContext(Context.Device);
        using var here = Upload(TestData.Uniform<T>(4, seed: 1));
        using var there = other.Allocate<T>(4);
        using var result = Context.Allocate<T>(1);
        using var otherResult = other.Allocate<T>(1);
        var (h, t) = (here.Span, there.Span);

        Assert.Multiple(() =>
        {
            Assert.That(() => GpuMath.Copy(h, t), ThrowsDifferentContexts(), "copy");
            Assert.That(() => GpuMath.Axpy(Alpha, t, h), ThrowsDifferentContexts(), "axpy");
            Assert.That(() => GpuMath.Axpby(Alpha, h, Beta, t), ThrowsDifferentContexts(), "axpby");
            Assert.That(() => GpuMath.Dot(h, t), ThrowsDifferentContexts(), "dot");
            Assert.That(() => GpuMath.Dot(h, h, otherResult.Span), ThrowsDifferentContexts(), "dot into result");
            Assert.That(() => GpuMath.Asum(h, otherResult.Span), ThrowsDifferentContexts(), "asum into result");
            Assert.That(() => GpuMath.Sumsq(t, result.Span), ThrowsDifferentContexts(), "sumsq into result");
            Assert.That(() => GpuMath.Gemm(Transpose.NoTrans, Transpose.NoTrans, 2, 2, 2, Alpha, t, h, Beta, h),
                ThrowsDifferentContexts(), "gemm, a elsewhere");
            Assert.That(() => GpuMath.Gemm(Transpose.NoTrans, Transpose.NoTrans, 2, 2, 2, Alpha, h, t, Beta, h),
                ThrowsDifferentContexts(), "gemm, b elsewhere");
            Assert.That(() => GpuMath.Gemv(Transpose.NoTrans, 2, 2, Alpha, h, there.Slice(0, 2), Beta, here.Slice(0, 2)),
                ThrowsDifferentContexts(), "gemv, x elsewhere");
        });

        static NUnit.Framework.Constraints.IResolveConstraint ThrowsDifferentContexts() =>
            Throws.ArgumentException.With.Message.Contains("different CUDA contexts");
    }

    [Test]
    public void DisposedBuffer_ThrowsObjectDisposed()
    {
        using var live = Upload(TestData.Uniform<T>(4, seed: 1));
        var disposed = Upload(TestData.Uniform<T>(4, seed: 2));
        disposed.Dispose();
        var (l, d) = (live.Span, disposed.Span);

        Assert.Multiple(() =>
        {
            Assert.That(() => GpuMath.Set(Alpha, d), ThrowsDisposed(), "set");
            Assert.That(() => GpuMath.Copy(d, l), ThrowsDisposed(), "copy from");
            Assert.That(() => GpuMath.Copy(l, d), ThrowsDisposed(), "copy to");
            Assert.That(() => GpuMath.Axpy(Alpha, l, d), ThrowsDisposed(), "axpy");
            Assert.That(() => GpuMath.Axpby(Alpha, d, Beta, l), ThrowsDisposed(), "axpby");
            Assert.That(() => GpuMath.Scal(Alpha, d), ThrowsDisposed(), "scal");
            Assert.That(() => GpuMath.Asum(d), ThrowsDisposed(), "asum");
            Assert.That(() => GpuMath.Sumsq(d), ThrowsDisposed(), "sumsq");
            Assert.That(() => GpuMath.Dot(l, d), ThrowsDisposed(), "dot");
            Assert.That(() => GpuMath.Asum(l, d), ThrowsDisposed(), "asum into a disposed result");
            Assert.That(() => GpuMath.Gemm(Transpose.NoTrans, Transpose.NoTrans, 2, 2, 2, Alpha, d, l, Beta, l),
                ThrowsDisposed(), "gemm");
            Assert.That(() => GpuMath.Gemv(Transpose.Trans, 2, 2, Alpha, l, live.Slice(0, 2), Beta, disposed.Slice(0, 2)),
                ThrowsDisposed(), "gemv");
            Assert.That(() => disposed.ToArray(), ThrowsDisposed(), "read back");
        });

        static NUnit.Framework.Constraints.IResolveConstraint ThrowsDisposed() => Throws.TypeOf<ObjectDisposedException>();
    }

    [Test]
    public void EmptyBuffers_WorkForEveryOp()
    {
        using var x = Context.Allocate<T>(0);
        using var y = Context.Allocate<T>(0);
        using var result = Upload([Sentinel]);
        var (e, f) = (x.Span, y.Span);

        Assert.Multiple(() =>
        {
            Assert.That(() => GpuMath.Set(Alpha, e), Throws.Nothing, "set");
            Assert.That(() => GpuMath.Copy(e, f), Throws.Nothing, "copy");
            Assert.That(() => GpuMath.Axpy(Alpha, e, f), Throws.Nothing, "axpy");
            Assert.That(() => GpuMath.Axpby(Alpha, e, Beta, f), Throws.Nothing, "axpby");
            Assert.That(() => GpuMath.Axpby(Alpha, e, T.Zero, f), Throws.Nothing, "axpby, beta = 0");
            Assert.That(() => GpuMath.Scal(Alpha, e), Throws.Nothing, "scal");
            Assert.That(() => GpuMath.Gemm(Transpose.NoTrans, Transpose.NoTrans, 0, 0, 0, Alpha, e, e, Beta, f), Throws.Nothing, "gemm 0x0x0");
            Assert.That(() => GpuMath.Gemm(Transpose.Trans, Transpose.Trans, 0, 3, 0, Alpha, e, e, Beta, f), Throws.Nothing, "gemm 0x3x0");
            Assert.That(() => GpuMath.Gemm(Transpose.NoTrans, Transpose.Trans, 3, 0, 0, Alpha, e, e, Beta, f), Throws.Nothing, "gemm 3x0x0");
            Assert.That(() => GpuMath.Gemv(Transpose.NoTrans, 0, 0, Alpha, e, e, Beta, f), Throws.Nothing, "gemv 0x0");
            Assert.That(() => GpuMath.Gemv(Transpose.Trans, 0, 0, Alpha, e, e, Beta, f), Throws.Nothing, "gemv 0x0 transposed");
            Assert.That(GpuMath.Asum(e), Is.EqualTo(T.Zero), "asum");
            Assert.That(GpuMath.Sumsq(e), Is.EqualTo(T.Zero), "sumsq");
            Assert.That(GpuMath.Dot(e, f), Is.EqualTo(T.Zero), "dot");
            Assert.That(x.ToArray(), Is.Empty, "read back");
        });

        foreach (var (name, reduce) in new (string, Action)[]
        {
            ("asum", () => GpuMath.Asum(e, result.Span)),
            ("sumsq", () => GpuMath.Sumsq(e, result.Span)),
            ("dot", () => GpuMath.Dot(e, f, result.Span)),
        })
        {
            GpuMath.Set(Sentinel, result.Span);
            reduce();
            Assert.That(result.ToArray(), Is.EqualTo(new[] { T.Zero }), $"{name} into a device result");
        }
    }

    /// <summary>C on the GPU and on the CPU from the same inputs; alpha is <see cref="Alpha"/>.</summary>
    private void CheckGemm(GemmShape shape, Transpose transA, Transpose transB, T beta, T[] cHost)
    {
        var (m, n, k) = (shape.M, shape.N, shape.K);
        var aHost = TestData.Uniform<T>(m * k, seed: 1);
        var bHost = TestData.Uniform<T>(k * n, seed: 2);
        using var a = Upload(aHost);
        using var b = Upload(bHost);
        using var c = Upload(cHost);
        var magnitude = BlasReference.Gemm(transA, transB, m, n, k, AlphaValue, TestData.ToDouble<T>(aHost),
            TestData.ToDouble<T>(bHost), double.CreateTruncating(beta), TestData.ToDouble<T>(cHost)).Magnitude;

        GpuMath.Gemm(transA, transB, m, n, k, Alpha, a.Span, b.Span, beta, c.Span);
        CpuMath.Gemm<T>(transA, transB, m, n, k, Alpha, aHost, bHost, beta, cHost);

        BlasReference.AssertClose<T>(c.ToArray(), TestData.ToDouble<T>(cHost), magnitude, GemmTolerance, "c");
    }

    /// <summary>y on the GPU and on the CPU from the same inputs; alpha is <see cref="Alpha"/>.</summary>
    private void CheckGemv(GemvShape shape, Transpose transA, T beta, T[] yHost)
    {
        var (m, n) = (shape.M, shape.N);
        var aHost = TestData.Uniform<T>(m * n, seed: 1);
        var xHost = TestData.Uniform<T>(transA == Transpose.NoTrans ? n : m, seed: 2);
        using var a = Upload(aHost);
        using var x = Upload(xHost);
        using var y = Upload(yHost);
        var magnitude = BlasReference.Gemv(transA, m, n, AlphaValue, TestData.ToDouble<T>(aHost),
            TestData.ToDouble<T>(xHost), double.CreateTruncating(beta), TestData.ToDouble<T>(yHost)).Magnitude;

        GpuMath.Gemv(transA, m, n, Alpha, a.Span, x.Span, beta, y.Span);
        CpuMath.Gemv<T>(transA, m, n, Alpha, aHost, xHost, beta, yHost);

        BlasReference.AssertClose<T>(y.ToArray(), TestData.ToDouble<T>(yHost), magnitude, GemmTolerance, "y");
    }

    /// <summary>A device reduction wrote element 1 of three and left the sentinels on either side.</summary>
    private static void AssertOnlyMiddleWritten(T[] result, double expected, double scale, string what)
    {
        Assert.Multiple(() =>
        {
            Assert.That(BlasReference.Bits(result[0]), Is.EqualTo(BlasReference.Bits(Sentinel)), $"{what}: element before the result");
            Assert.That(BlasReference.Bits(result[2]), Is.EqualTo(BlasReference.Bits(Sentinel)), $"{what}: element after the result");
        });
        BlasReference.AssertClose(double.CreateTruncating(result[1]), expected, Math.Max(scale, Math.Abs(expected)), Tolerance, what);
    }
}
