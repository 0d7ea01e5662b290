using System.Numerics;
using Crema.Blas;

namespace Crema.Tests.Blas;

/// <summary>BLAS's rule: with alpha = 0, gemm and gemv compute beta·C (beta·y) and never read A, B or x.</summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class AlphaZeroTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Test]
    public void Gemm_AlphaZero_IgnoresNaNInAAndB([Values] Transpose transA, [Values] Transpose transB)
    {
        var c = TestData.Uniform<T>(12, seed: 8);
        var expected = c.Select(v => double.CreateTruncating(v * T.CreateTruncating(0.5))).ToArray();

        CpuMath.Gemm(transA, transB, 3, 4, 5, T.Zero, BlasReference.NaNs<T>(15), BlasReference.NaNs<T>(20), T.CreateTruncating(0.5), c);

        TestData.AssertClose<T>(c, expected, 0, "C");
    }

    [Test]
    public void Gemv_AlphaZero_IgnoresNaNInAAndX([Values] Transpose transA)
    {
        int rows = transA == Transpose.NoTrans ? 3 : 4;
        var y = TestData.Uniform<T>(rows, seed: 9);
        var expected = y.Select(v => double.CreateTruncating(v * T.CreateTruncating(2))).ToArray();

        CpuMath.Gemv(transA, 3, 4, T.Zero, BlasReference.NaNs<T>(12), BlasReference.NaNs<T>(7 - rows), T.CreateTruncating(2), y);

        TestData.AssertClose<T>(y, expected, 0, "y");
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class AlphaZeroGpuTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Test]
    public void Gemm_AlphaZero_IgnoresNaNInAAndB([Values] Transpose transA, [Values] Transpose transB)
    {
        var host = TestData.Uniform<T>(12, seed: 8);
        using var a = Upload(BlasReference.NaNs<T>(15));
        using var b = Upload(BlasReference.NaNs<T>(20));
        using var c = Upload(host);

        GpuMath.Gemm(transA, transB, 3, 4, 5, T.Zero, a.Span, b.Span, T.CreateTruncating(0.5), c.Span);

        var expected = host.Select(v => double.CreateTruncating(v * T.CreateTruncating(0.5))).ToArray();
        TestData.AssertClose<T>(c.ToArray(), expected, 0, "C");
    }

    private Crema.Cuda.DeviceBuffer<T> Upload(T[] values)
    {
        var buffer = Context.Allocate<T>(values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }
}
