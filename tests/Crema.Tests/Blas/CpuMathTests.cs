using System.Numerics;
using Crema.Blas;

namespace Crema.Tests.Blas;

/// <summary>
/// Every <see cref="CpuMath"/> op against the plain float64 loops of <see cref="BlasReference"/>, in float and
/// double, over <see cref="TestData.Sizes"/> (empty, SIMD tails, past the parallel threshold), plus the BLAS
/// corner cases (beta = 0 overwrites NaN, empty inner dimension), determinism and argument checks.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class CpuMathTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double AlphaValue = 1.5;
    private const double BetaValue = -0.75;

    private static readonly T Alpha = T.CreateTruncating(AlphaValue);
    private static readonly T Beta = T.CreateTruncating(BetaValue);
    private static readonly double Tolerance = TestData.Tolerance<T>();

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Set_FillsEveryElement(int n)
    {
        var y = TestData.Uniform<T>(n, seed: n);

        CpuMath.Set(Alpha, y);

        BlasReference.AssertExactlyEqual<T>(y, Enumerable.Repeat(Alpha, n).ToArray(), "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Copy_CopiesExactly(int n)
    {
        var x = TestData.Uniform<T>(n, seed: n);
        var y = TestData.Uniform<T>(n, seed: n + 1);

        CpuMath.Copy<T>(x, y);

        BlasReference.AssertExactlyEqual<T>(y, x, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Axpy_MatchesReference(int n)
    {
        var x = TestData.Uniform<T>(n, seed: n);
        var y = TestData.Uniform<T>(n, seed: n + 1);
        double[] xd = TestData.ToDouble<T>(x), yd = TestData.ToDouble<T>(y);
        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = (AlphaValue * xd[i]) + yd[i];
        }

        CpuMath.Axpy<T>(Alpha, x, y);

        TestData.AssertClose<T>(y, expected, Tolerance, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Axpby_MatchesReference(int n)
    {
        var x = TestData.Uniform<T>(n, seed: n);
        var y = TestData.Uniform<T>(n, seed: n + 1);
        double[] xd = TestData.ToDouble<T>(x), yd = TestData.ToDouble<T>(y);
        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = (AlphaValue * xd[i]) + (BetaValue * yd[i]);
        }

        CpuMath.Axpby<T>(Alpha, x, Beta, y);

        TestData.AssertClose<T>(y, expected, Tolerance, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Axpby_BetaZero_OverwritesNaNInY(int n)
    {
        var x = TestData.Uniform<T>(n, seed: n);
        var y = BlasReference.NaNs<T>(n);
        double[] xd = TestData.ToDouble<T>(x);
        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = AlphaValue * xd[i];
        }

        CpuMath.Axpby<T>(Alpha, x, T.Zero, y);

        TestData.AssertClose<T>(y, expected, Tolerance, "y");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Scal_MatchesReference(int n)
    {
        var x = TestData.Uniform<T>(n, seed: n);
        double[] xd = TestData.ToDouble<T>(x);
        var expected = new double[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = AlphaValue * xd[i];
        }

        CpuMath.Scal(Alpha, x.AsSpan());

        TestData.AssertClose<T>(x, expected, Tolerance, "x");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Asum_MatchesReference(int n)
    {
        var x = TestData.Uniform<T>(n, seed: n);
        double expected = BlasReference.Asum(TestData.ToDouble<T>(x));

        T actual = CpuMath.Asum<T>(x);

        TestData.AssertClose(double.CreateTruncating(actual), expected, Tolerance, "asum");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Sumsq_MatchesReference(int n)
    {
        var x = TestData.Uniform<T>(n, seed: n);
        double expected = BlasReference.Sumsq(TestData.ToDouble<T>(x));

        T actual = CpuMath.Sumsq<T>(x);

        TestData.AssertClose(double.CreateTruncating(actual), expected, Tolerance, "sumsq");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void Dot_MatchesReference(int n)
    {
        var x = TestData.Uniform<T>(n, seed: n);
        var y = TestData.Uniform<T>(n, seed: n + 1);
        var (expected, magnitude) = BlasReference.Dot(TestData.ToDouble<T>(x), TestData.ToDouble<T>(y));

        T actual = CpuMath.Dot<T>(x, y);

        // Terms of both signs cancel: the error is bounded relative to Σ |x·y|, not to the result.
        BlasReference.AssertClose(double.CreateTruncating(actual), expected, magnitude, Tolerance, "dot");
    }

    [Test]
    public void Reductions_AreBitwiseDeterministic()
    {
        var x = TestData.Uniform<T>(1 << 20, seed: 11);
        var y = TestData.Uniform<T>(1 << 20, seed: 12);

        long[] first = Run(), second = Run();

        Assert.That(second, Is.EqualTo(first), "asum, sumsq, dot");

        long[] Run() =>
        [
            BlasReference.Bits(CpuMath.Asum<T>(x)),
            BlasReference.Bits(CpuMath.Sumsq<T>(x)),
            BlasReference.Bits(CpuMath.Dot<T>(x, y)),
        ];
    }

    [Test]
    public void Gemm_MatchesReference(
        [ValueSource(typeof(BlasReference), nameof(BlasReference.GemmShapes))] GemmShape shape,
        [Values] Transpose transA,
        [Values] Transpose transB,
        [Values(1.0, BetaValue)] double beta)
    {
        var (m, n, k) = (shape.M, shape.N, shape.K);
        var a = TestData.Uniform<T>(m * k, seed: 1);
        var b = TestData.Uniform<T>(k * n, seed: 2);
        var c = TestData.Uniform<T>(m * n, seed: 3);
        var (expected, magnitude) = BlasReference.Gemm(transA, transB, m, n, k, AlphaValue,
            TestData.ToDouble<T>(a), TestData.ToDouble<T>(b), beta, TestData.ToDouble<T>(c));

        CpuMath.Gemm<T>(transA, transB, m, n, k, Alpha, a, b, T.CreateTruncating(beta), c);

        BlasReference.AssertClose<T>(c, expected, magnitude, Tolerance, "c");
    }

    [Test]
    public void Gemm_BetaZero_OverwritesNaNInC([Values] Transpose transA, [Values] Transpose transB)
    {
        const int m = 17, n = 9, k = 13;
        var a = TestData.Uniform<T>(m * k, seed: 1);
        var b = TestData.Uniform<T>(k * n, seed: 2);
        var c = BlasReference.NaNs<T>(m * n);
        var (expected, magnitude) = BlasReference.Gemm(transA, transB, m, n, k, AlphaValue,
            TestData.ToDouble<T>(a), TestData.ToDouble<T>(b), 0, TestData.ToDouble<T>(c));

        CpuMath.Gemm<T>(transA, transB, m, n, k, Alpha, a, b, T.Zero, c);

        BlasReference.AssertClose<T>(c, expected, magnitude, Tolerance, "c");
    }

    [Test]
    public void Gemm_EmptyInnerDimension_GivesBetaTimesC([Values] Transpose transA, [Values] Transpose transB,
        [Values(0.0, 1.0, BetaValue)] double beta)
    {
        const int m = 5, n = 3;
        var c = beta == 0 ? BlasReference.NaNs<T>(m * n) : TestData.Uniform<T>(m * n, seed: 3);
        double[] cd = TestData.ToDouble<T>(c);
        var expected = new double[m * n];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = beta == 0 ? 0 : beta * cd[i];
        }

        CpuMath.Gemm<T>(transA, transB, m, n, 0, Alpha, [], [], T.CreateTruncating(beta), c);

        TestData.AssertClose<T>(c, expected, Tolerance, "c");
    }

    [Test]
    public void Gemv_MatchesReference(
        [ValueSource(typeof(BlasReference), nameof(BlasReference.GemvShapes))] GemvShape shape,
        [Values] Transpose transA,
        [Values(1.0, BetaValue)] double beta)
    {
        var (m, n) = (shape.M, shape.N);
        var (rows, inner) = transA == Transpose.NoTrans ? (m, n) : (n, m);
        var a = TestData.Uniform<T>(m * n, seed: 1);
        var x = TestData.Uniform<T>(inner, seed: 2);
        var y = TestData.Uniform<T>(rows, seed: 3);
        var (expected, magnitude) = BlasReference.Gemv(transA, m, n, AlphaValue,
            TestData.ToDouble<T>(a), TestData.ToDouble<T>(x), beta, TestData.ToDouble<T>(y));

        CpuMath.Gemv<T>(transA, m, n, Alpha, a, x, T.CreateTruncating(beta), y);

        BlasReference.AssertClose<T>(y, expected, magnitude, Tolerance, "y");
    }

    [Test]
    public void Gemv_BetaZero_OverwritesNaNInY([Values] Transpose transA)
    {
        const int m = 17, n = 9;
        var (rows, inner) = transA == Transpose.NoTrans ? (m, n) : (n, m);
        var a = TestData.Uniform<T>(m * n, seed: 1);
        var x = TestData.Uniform<T>(inner, seed: 2);
        var y = BlasReference.NaNs<T>(rows);
        var (expected, magnitude) = BlasReference.Gemv(transA, m, n, AlphaValue,
            TestData.ToDouble<T>(a), TestData.ToDouble<T>(x), 0, TestData.ToDouble<T>(y));

        CpuMath.Gemv<T>(transA, m, n, Alpha, a, x, T.Zero, y);

        BlasReference.AssertClose<T>(y, expected, magnitude, Tolerance, "y");
    }

    [Test]
    public void Gemv_EmptyInnerDimension_GivesBetaTimesY([Values] Transpose transA, [Values(0.0, 1.0, BetaValue)] double beta)
    {
        // The inner dimension is n without transpose and m with it; y keeps its 5 elements either way.
        var (m, n) = transA == Transpose.NoTrans ? (5, 0) : (0, 5);
        var y = beta == 0 ? BlasReference.NaNs<T>(5) : TestData.Uniform<T>(5, seed: 3);
        double[] yd = TestData.ToDouble<T>(y);
        var expected = new double[5];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = beta == 0 ? 0 : beta * yd[i];
        }

        CpuMath.Gemv<T>(transA, m, n, Alpha, [], [], T.CreateTruncating(beta), y);

        TestData.AssertClose<T>(y, expected, Tolerance, "y");
    }

    [Test]
    public void LengthMismatch_ThrowsWithBothLengths()
    {
        var x = new T[13];
        var y = new T[17];

        Assert.Multiple(() =>
        {
            Assert.That(() => CpuMath.Copy<T>(x, y), ThrowsMismatch(), "copy");
            Assert.That(() => CpuMath.Axpy<T>(Alpha, x, y), ThrowsMismatch(), "axpy");
            Assert.That(() => CpuMath.Axpby<T>(Alpha, x, Beta, y), ThrowsMismatch(), "axpby");
            Assert.That(() => CpuMath.Dot<T>(x, y), ThrowsMismatch(), "dot");
        });

        static NUnit.Framework.Constraints.IResolveConstraint ThrowsMismatch() =>
            Throws.ArgumentException.With.Message.Contains("13").And.Message.Contains("17");
    }

    [Test]
    public void Gemm_ShortA_ThrowsNamingA()
    {
        // op(A) is 3 × 5 = 15 elements; one is missing.
        var a = new T[14];
        var b = new T[5 * 4];
        var c = new T[3 * 4];

        Assert.That(() => CpuMath.Gemm<T>(Transpose.NoTrans, Transpose.NoTrans, 3, 4, 5, Alpha, a, b, Beta, c),
            Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo("a")
                .And.Message.Contains("14"));
    }

    [Test]
    public void NegativeDimension_ThrowsArgumentOutOfRange()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => CpuMath.Gemm<T>(Transpose.NoTrans, Transpose.NoTrans, -1, 2, 2, Alpha, [], [], Beta, []),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("m"),
                "gemm");
            Assert.That(() => CpuMath.Gemv<T>(Transpose.NoTrans, -1, 2, Alpha, [], [], Beta, []),
                Throws.TypeOf<ArgumentOutOfRangeException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("m"),
                "gemv");
        });
    }
}
