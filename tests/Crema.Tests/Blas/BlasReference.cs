using System.Numerics;
using Crema.Blas;

namespace Crema.Tests.Blas;

/// <summary>A gemm problem size: C is m × n, the inner dimension is k.</summary>
public sealed record GemmShape(int M, int N, int K)
{
    /// <summary>Short form for test names, e.g. <c>129x67x33</c>.</summary>
    public override string ToString() => $"{M}x{N}x{K}";
}

/// <summary>A gemv problem size: A is m × n (row-major), whatever the transpose.</summary>
public sealed record GemvShape(int M, int N)
{
    /// <summary>Short form for test names, e.g. <c>129x67</c>.</summary>
    public override string ToString() => $"{M}x{N}";
}

/// <summary>
/// Plain float64 loops, written for obviousness rather than speed, that the CPU backend is checked against; plus
/// the shapes and the per-element comparison that the matrix tests of both backends share.
/// </summary>
internal static class BlasReference
{
    /// <summary>
    /// Empty, one, odd, thin and larger cases. On the CPU path 129 × 67 × 33 runs on the blocked kernels (CpuGemm;
    /// its own tests cover many more shapes), while 2 × 400 × 400 (a row vector pair) and 300 × 3 × 300 (three
    /// columns: with B transposed, dot products) stay on the row path past its parallel threshold (m·n·k ≥ 2¹⁸), so
    /// the row-parallel code is covered too.
    /// </summary>
    internal static readonly GemmShape[] GemmShapes =
    [
        new(0, 3, 4), new(3, 0, 4), new(1, 1, 1), new(1, 7, 5), new(7, 1, 5), new(5, 3, 7), new(17, 9, 13),
        new(129, 67, 33), new(2, 400, 400), new(300, 3, 300),
    ];

    /// <summary>As <see cref="GemmShapes"/>; 513 × 515 crosses the parallel threshold of the CPU path.</summary>
    internal static readonly GemvShape[] GemvShapes =
    [
        new(0, 5), new(5, 0), new(1, 1), new(7, 3), new(3, 7), new(129, 67), new(513, 515),
    ];

    /// <summary>Σ |x[i]|.</summary>
    internal static double Asum(double[] x)
    {
        double sum = 0;
        foreach (double v in x)
        {
            sum += Math.Abs(v);
        }

        return sum;
    }

    /// <summary>Σ x[i]².</summary>
    internal static double Sumsq(double[] x)
    {
        double sum = 0;
        foreach (double v in x)
        {
            sum += v * v;
        }

        return sum;
    }

    /// <summary>Σ x[i]·y[i], and Σ |x[i]·y[i]|: the scale a rounding error of the dot is measured against.</summary>
    internal static (double Value, double Magnitude) Dot(double[] x, double[] y)
    {
        double sum = 0, magnitude = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
            magnitude += Math.Abs(x[i] * y[i]);
        }

        return (sum, magnitude);
    }

    /// <summary>
    /// C = alpha op(A) op(B) + beta C, row-major, element by element; beta = 0 ignores C (NaN included). Also
    /// returns, per element, Σ |terms|: the scale the rounding error of any summation order is bounded by.
    /// </summary>
    internal static (double[] C, double[] Magnitude) Gemm(Transpose transA, Transpose transB, int m, int n, int k,
        double alpha, double[] a, double[] b, double beta, double[] c)
    {
        var result = new double[m * n];
        var magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, absSum = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA == Transpose.NoTrans ? a[(i * k) + p] : a[(p * m) + i];
                    double bv = transB == Transpose.NoTrans ? b[(p * n) + j] : b[(j * k) + p];
                    sum += av * bv;
                    absSum += Math.Abs(av * bv);
                }

                double old = beta == 0 ? 0 : beta * c[(i * n) + j];
                result[(i * n) + j] = (alpha * sum) + old;
                magnitude[(i * n) + j] = (Math.Abs(alpha) * absSum) + Math.Abs(old);
            }
        }

        return (result, magnitude);
    }

    /// <summary>y = alpha op(A) x + beta y with A m × n row-major; beta = 0 ignores y. Also Σ |terms| per element.</summary>
    internal static (double[] Y, double[] Magnitude) Gemv(Transpose transA, int m, int n, double alpha, double[] a,
        double[] x, double beta, double[] y)
    {
        int rows = transA == Transpose.NoTrans ? m : n;
        int inner = transA == Transpose.NoTrans ? n : m;
        var result = new double[rows];
        var magnitude = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            double sum = 0, absSum = 0;
            for (int p = 0; p < inner; p++)
            {
                double av = transA == Transpose.NoTrans ? a[(i * n) + p] : a[(p * n) + i];
                sum += av * x[p];
                absSum += Math.Abs(av * x[p]);
            }

            double old = beta == 0 ? 0 : beta * y[i];
            result[i] = (alpha * sum) + old;
            magnitude[i] = (Math.Abs(alpha) * absSum) + Math.Abs(old);
        }

        return (result, magnitude);
    }

    /// <summary>
    /// |actual[i] − expected[i]| ≤ tolerance · max(1, scale[i]) per element, where scale is Σ |terms| of that
    /// element: a sum's rounding error grows with its terms, not with its (possibly cancelled) value.
    /// </summary>
    internal static void AssertClose<T>(ReadOnlySpan<T> actual, ReadOnlySpan<double> expected, ReadOnlySpan<double> scale,
        double tolerance, string what)
        where T : IFloatingPointIeee754<T>
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what} length");
        for (int i = 0; i < actual.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            double bound = tolerance * Math.Max(1.0, scale[i]);
            if (!(Math.Abs(a - expected[i]) <= bound))
            {
                Assert.Fail($"{what}[{i}] = {a:R}, expected {expected[i]:R} (tolerance {bound:G3}, length {actual.Length})");
            }
        }
    }

    /// <summary>The scalar form of <see cref="AssertClose{T}(ReadOnlySpan{T}, ReadOnlySpan{double}, ReadOnlySpan{double}, double, string)"/>.</summary>
    internal static void AssertClose(double actual, double expected, double scale, double tolerance, string what)
    {
        double bound = tolerance * Math.Max(1.0, scale);
        Assert.That(Math.Abs(actual - expected), Is.LessThanOrEqualTo(bound), $"{what}: {actual:R} vs expected {expected:R}");
    }

    /// <summary>Bitwise equality with the first differing index in the message (NUnit's collection compare boxes
    /// every element, which costs seconds on a million).</summary>
    internal static void AssertExactlyEqual<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, string what)
        where T : IFloatingPointIeee754<T>
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what} length");
        for (int i = 0; i < actual.Length; i++)
        {
            if (Bits(actual[i]) != Bits(expected[i]))
            {
                Assert.Fail($"{what}[{i}] = {actual[i]:R}, expected exactly {expected[i]:R} (length {actual.Length})");
            }
        }
    }

    /// <summary>An array of <paramref name="count"/> NaNs: an output that beta = 0 must overwrite, not scale.</summary>
    internal static T[] NaNs<T>(int count)
        where T : IFloatingPointIeee754<T>
    {
        var values = new T[count];
        Array.Fill(values, T.NaN);
        return values;
    }

    /// <summary>The bits of a float or double, widened exactly, for bitwise comparisons.</summary>
    internal static long Bits<T>(T value)
        where T : IFloatingPointIeee754<T> => BitConverter.DoubleToInt64Bits(double.CreateTruncating(value));
}
