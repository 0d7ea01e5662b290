using System.Numerics;
using System.Runtime.Intrinsics;
using Crema.Blas;

namespace Crema.Tests.Blas;

/// <summary>
/// The blocked gemm of the CPU path (<see cref="CpuGemm"/>) against the float64 loops of <see cref="BlasReference"/>:
/// every transpose combination over shapes at and around the micro-tile and block edges (MR = 6 or 8, NR = 2
/// vectors, KcMax = 256) and the MLP's shapes, every kernel width, the BLAS alpha/beta rules, and determinism.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class CpuGemmTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double AlphaValue = 1.5;
    private const double BetaValue = -0.75;

    private static readonly T Alpha = T.CreateTruncating(AlphaValue);
    private static readonly double Tolerance = TestData.Tolerance<T>();

    /// <summary>Awkward sizes in one dimension at a time, cubes, k past one and two k blocks, and the MLP's shapes.</summary>
    public static IEnumerable<GemmShape> Shapes()
    {
        int[] sizes = [1, 2, 3, 7, 17, 63, 64, 65, 129, 300];
        foreach (int s in sizes)
        {
            yield return new(s, 65, 63);
            yield return new(65, s, 63);
            yield return new(63, 65, s);
        }

        foreach (int s in new[] { 2, 3, 7, 17, 64, 129, 300 })
        {
            yield return new(s, s, s);
        }

        // k blocks: 257 = 129 + 128, 600 = 3 × 200.
        yield return new(17, 9, 257);
        yield return new(33, 40, 600);

        // MLP 784-512-256-10 at batch 128 and 64: forward (m = batch, n = out, k = in), weight gradient
        // (m = out, n = in, k = batch), data gradient (m = batch, n = in, k = out).
        yield return new(128, 512, 784);
        yield return new(128, 256, 512);
        yield return new(128, 10, 256);
        yield return new(512, 784, 128);
        yield return new(256, 512, 128);
        yield return new(10, 256, 128);
        yield return new(128, 512, 256);
        yield return new(128, 256, 10);
        yield return new(64, 512, 784);
        yield return new(512, 784, 64);
    }

    /// <summary><see cref="Shapes"/> with a zero in each dimension, for the public entry point.</summary>
    public static IEnumerable<GemmShape> ShapesWithEmpty() =>
        new GemmShape[] { new(0, 65, 63), new(65, 0, 63), new(63, 65, 0), new(0, 0, 0) }.Concat(Shapes());

    [Test]
    public void Gemm_MatchesReference(
        [ValueSource(nameof(ShapesWithEmpty))] GemmShape shape,
        [Values] Transpose transA,
        [Values] Transpose transB,
        [Values(0.0, BetaValue)] double beta)
    {
        var (m, n, k) = (shape.M, shape.N, shape.K);
        var a = TestData.Uniform<T>(m * k, seed: 1);
        var b = TestData.Uniform<T>(k * n, seed: 2);
        // beta = 0 must overwrite C: NaN there must not survive.
        var c = beta == 0 ? BlasReference.NaNs<T>(m * n) : TestData.Uniform<T>(m * n, seed: 3);
        var (expected, magnitude) = BlasReference.Gemm(transA, transB, m, n, k, AlphaValue,
            TestData.ToDouble<T>(a), TestData.ToDouble<T>(b), beta, TestData.ToDouble<T>(c));

        CpuMath.Gemm<T>(transA, transB, m, n, k, Alpha, a, b, T.CreateTruncating(beta), c);

        BlasReference.AssertClose<T>(c, expected, magnitude, Tolerance, "c");
    }

    [Test]
    public void EveryKernel_MatchesReference_AndAgreesBitwise(
        [ValueSource(nameof(Shapes))] GemmShape shape,
        [Values] Transpose transA,
        [Values] Transpose transB)
    {
        var (m, n, k) = (shape.M, shape.N, shape.K);
        var a = TestData.Uniform<T>(m * k, seed: 4);
        var b = TestData.Uniform<T>(k * n, seed: 5);
        var c0 = TestData.Uniform<T>(m * n, seed: 6);
        var (expected, magnitude) = BlasReference.Gemm(transA, transB, m, n, k, AlphaValue,
            TestData.ToDouble<T>(a), TestData.ToDouble<T>(b), 1.0, TestData.ToDouble<T>(c0));
        var auto = (T[])c0.Clone();
        Blocked(GemmKernel.Auto, transA, transB, m, n, k, Alpha, a, b, T.One, auto);
        BlasReference.AssertClose<T>(auto, expected, magnitude, Tolerance, "c (auto)");

        foreach (var kernel in new[] { GemmKernel.Vector512, GemmKernel.Vector256, GemmKernel.Vector128 })
        {
            // A width the CPU does not accelerate runs in software: correct but slow, so only on small shapes.
            if (!IsAccelerated(kernel) && (long)m * n * k > 1 << 20)
            {
                continue;
            }

            var c = (T[])c0.Clone();
            Blocked(kernel, transA, transB, m, n, k, Alpha, a, b, T.One, c);
            BlasReference.AssertClose<T>(c, expected, magnitude, Tolerance, $"c ({kernel})");

            // One lane per element, the same k order, fused multiply-adds: the widths differ only in tiling.
            if (CpuGemm.UseFma)
            {
                BlasReference.AssertExactlyEqual<T>(c, auto, $"c ({kernel} against {CpuGemm.Best})");
            }
        }
    }

    [Test]
    public void BetaZero_OverwritesNaNInC_AcrossKBlocks([Values] Transpose transA, [Values] Transpose transB)
    {
        // k = 600 is three k blocks: the first overwrites C, the others add to it.
        const int m = 33, n = 40, k = 600;
        var a = TestData.Uniform<T>(m * k, seed: 7);
        var b = TestData.Uniform<T>(k * n, seed: 8);
        var (expected, magnitude) = BlasReference.Gemm(transA, transB, m, n, k, AlphaValue,
            TestData.ToDouble<T>(a), TestData.ToDouble<T>(b), 0, new double[m * n]);

        foreach (var kernel in Enum.GetValues<GemmKernel>())
        {
            var c = BlasReference.NaNs<T>(m * n);
            Blocked(kernel, transA, transB, m, n, k, Alpha, a, b, T.Zero, c);
            BlasReference.AssertClose<T>(c, expected, magnitude, Tolerance, $"c ({kernel})");
        }
    }

    [Test]
    public void AlphaZero_DoesNotReadNaNInAOrB([Values] Transpose transA, [Values] Transpose transB,
        [Values(0.0, BetaValue)] double beta)
    {
        // Large enough for the blocked path were alpha not zero.
        const int m = 65, n = 63, k = 129;
        var c = TestData.Uniform<T>(m * n, seed: 9);
        var expected = c.Select(v => beta == 0 ? 0.0 : double.CreateTruncating(v * T.CreateTruncating(beta))).ToArray();

        CpuMath.Gemm(transA, transB, m, n, k, T.Zero, BlasReference.NaNs<T>(m * k), BlasReference.NaNs<T>(k * n),
            T.CreateTruncating(beta), c);

        TestData.AssertClose<T>(c, expected, 0, "c");
    }

    [Test]
    public void SameCallTwice_IsBitwiseEqual([Values] Transpose transA, [Values] Transpose transB)
    {
        const int m = 300, n = 257, k = 784;
        var a = TestData.Uniform<T>(m * k, seed: 10);
        var b = TestData.Uniform<T>(k * n, seed: 11);
        var first = TestData.Uniform<T>(m * n, seed: 12);
        var second = (T[])first.Clone();

        CpuMath.Gemm<T>(transA, transB, m, n, k, Alpha, a, b, T.CreateTruncating(BetaValue), first);
        CpuMath.Gemm<T>(transA, transB, m, n, k, Alpha, a, b, T.CreateTruncating(BetaValue), second);

        BlasReference.AssertExactlyEqual<T>(second, first, "c");
    }

    [Test]
    public void RowsOfC_DoNotDependOnTheTiling([Values(0, 1, 5, 37, 200)] int firstRow)
    {
        // Rows [firstRow, firstRow + 60) of a 300-row product, computed alone: another partition into tasks, other
        // panel boundaries, other threads. The k order is fixed, so the bits must not change.
        const int m = 300, rows = 60, n = 515, k = 531;
        var a = TestData.Uniform<T>(m * k, seed: 13);
        var b = TestData.Uniform<T>(k * n, seed: 14);
        var whole = new T[m * n];
        var part = new T[rows * n];

        CpuMath.Gemm<T>(Transpose.NoTrans, Transpose.NoTrans, m, n, k, Alpha, a, b, T.Zero, whole);
        CpuMath.Gemm<T>(Transpose.NoTrans, Transpose.NoTrans, rows, n, k, Alpha, a.AsSpan(firstRow * k, rows * k), b, T.Zero, part);

        BlasReference.AssertExactlyEqual<T>(part, whole.AsSpan(firstRow * n, rows * n), "rows of c");
    }

    [Test]
    public void Partition_CoversCWithBoundedTiles(
        [Values(1, 7, 128, 512, 3000)] int m,
        [Values(1, 10, 256, 784, 5000)] int n,
        [Values(1, 2, 16)] int processors)
    {
        const int mr = 8, nr = 32, k = 512;
        var (rowBlocks, columnBlocks) = CpuGemm.Partition(m, n, k, mr, nr, processors);
        int rowPanels = (m + mr - 1) / mr, columnPanels = (n + nr - 1) / nr;

        Assert.Multiple(() =>
        {
            Assert.That(rowBlocks, Is.InRange(1, rowPanels), "row blocks: at least one panel each");
            Assert.That(columnBlocks, Is.InRange(1, columnPanels), "column blocks: at least one panel each");
            Assert.That((rowPanels + rowBlocks - 1) / rowBlocks * mr, Is.LessThanOrEqualTo(CpuGemm.McMax), "rows per tile");
            Assert.That((columnPanels + columnBlocks - 1) / columnBlocks * nr, Is.LessThanOrEqualTo(CpuGemm.NcMax), "columns per tile");
        });
    }

    private static bool IsAccelerated(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Vector512 => Vector512.IsHardwareAccelerated,
        GemmKernel.Vector256 => Vector256.IsHardwareAccelerated,
        _ => Vector128.IsHardwareAccelerated,
    };

    private static unsafe void Blocked(GemmKernel kernel, Transpose transA, Transpose transB, int m, int n, int k, T alpha,
        T[] a, T[] b, T beta, T[] c)
    {
        fixed (T* pa = a, pb = b, pc = c)
        {
            CpuGemm.Gemm(kernel, transA, transB, m, n, k, alpha, pa, pb, beta, pc);
        }
    }
}

/// <summary>
/// Element types without blocked kernels (Half) still multiply through <see cref="CpuMath.Gemm{T}"/>: a product large
/// enough for the blocked path takes the row path instead.
/// </summary>
public class CpuGemmOtherTypesTests
{
    [Test]
    public void Gemm_Half_TakesTheRowPath([Values] Transpose transA, [Values] Transpose transB)
    {
        const int m = 65, n = 63, k = 33;
        var a = TestData.Uniform<Half>(m * k, seed: 15);
        var b = TestData.Uniform<Half>(k * n, seed: 16);
        var c = TestData.Uniform<Half>(m * n, seed: 17);
        var (expected, magnitude) = BlasReference.Gemm(transA, transB, m, n, k, 1.5,
            TestData.ToDouble<Half>(a), TestData.ToDouble<Half>(b), -0.75, TestData.ToDouble<Half>(c));

        CpuMath.Gemm(transA, transB, m, n, k, (Half)1.5, a, b, (Half)(-0.75), c);

        BlasReference.AssertClose<Half>(c, expected, magnitude, 2e-2, "c");
    }
}
