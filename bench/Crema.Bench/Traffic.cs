using System.Globalization;
using BenchmarkDotNet.Running;

namespace Crema.Bench;

/// <summary>The operations the benchmarks time; each has a traffic and a work model in <see cref="Traffic"/>.</summary>
public enum BlasOp
{
    /// <summary>y = alpha x + y over n elements.</summary>
    Axpy,
    /// <summary>Σ |x[i]| over n elements.</summary>
    Asum,
    /// <summary>Σ x[i]² over n elements.</summary>
    Sumsq,
    /// <summary>Σ x[i]·y[i] over n elements.</summary>
    Dot,
    /// <summary>C = alpha A B + beta C with M = N = K = n.</summary>
    Gemm,
}

/// <summary>
/// Marks a benchmark class with the op it times, so the custom columns can turn its mean time into GB/s,
/// GFLOP/s and × floor. The class's <c>N</c> parameter is the op's size (see <see cref="Traffic"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TrafficAttribute(BlasOp op) : Attribute, ITrafficModel
{
    /// <summary>The op the class times.</summary>
    public BlasOp Op { get; } = op;

    /// <summary>Bytes per element (4 for float).</summary>
    public int ElementBytes { get; init; } = sizeof(float);

    /// <inheritdoc/>
    public double? BytesMoved(BenchmarkCase benchmarkCase) =>
        SizeOf(benchmarkCase) is long n ? Traffic.BytesMoved(Op, n, ElementBytes) : null;

    /// <inheritdoc/>
    public double? Flops(BenchmarkCase benchmarkCase) =>
        SizeOf(benchmarkCase) is long n ? Traffic.Flops(Op, n) : null;

    private static long? SizeOf(BenchmarkCase benchmarkCase)
    {
        object? size = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == Traffic.SizeParameter)?.Value;
        return size is null ? null : Convert.ToInt64(size, CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// The traffic model of a benchmark class, put on the class as an attribute: the bytes one op must move and the
/// floating-point operations it does, for a given case (its parameters and categories). The custom columns
/// (GB/s, GFLOP/s, images/s, x floor) read it; null means "no model", shown as "-".
/// </summary>
public interface ITrafficModel
{
    /// <summary>Bytes read plus written by one op of <paramref name="benchmarkCase"/>.</summary>
    double? BytesMoved(BenchmarkCase benchmarkCase);

    /// <summary>Floating-point operations of one op of <paramref name="benchmarkCase"/>, or null when not modelled.</summary>
    double? Flops(BenchmarkCase benchmarkCase);

    /// <summary>Images one op processes (a training step: its batch), or null for ops that do not count images.</summary>
    double? Images(BenchmarkCase benchmarkCase) => null;
}

/// <summary>
/// The minimum memory traffic and the arithmetic of one op: what a kernel that touches each element once must
/// move. Caches can beat it (a small input that stays in L2), nothing else can.
/// </summary>
public static class Traffic
{
    /// <summary>The name of the benchmark parameter that holds the op's size.</summary>
    public const string SizeParameter = "N";

    /// <summary>
    /// Bytes read plus written by one op: axpy reads x and y and writes y (3n); asum and sumsq read x (n); dot
    /// reads x and y (2n); gemm with M = N = K = n reads A, B and C and writes C (4n²). Times the element size.
    /// </summary>
    public static long BytesMoved(BlasOp op, long n, int elementBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elementBytes);
        long elements = op switch
        {
            BlasOp.Axpy => 3 * n,
            BlasOp.Asum or BlasOp.Sumsq => n,
            BlasOp.Dot => 2 * n,
            BlasOp.Gemm => 4 * n * n,
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "no traffic model for this op"),
        };
        return elements * elementBytes;
    }

    /// <summary>
    /// Floating-point operations of one op (a multiply-add counts two): axpy, sumsq and dot 2n, asum n, gemm 2n³
    /// (the beta C term, 2n², is left out as BLAS conventions do).
    /// </summary>
    public static double Flops(BlasOp op, long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return op switch
        {
            BlasOp.Axpy or BlasOp.Sumsq or BlasOp.Dot => 2.0 * n,
            BlasOp.Asum => n,
            BlasOp.Gemm => 2.0 * n * n * n,
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "no work model for this op"),
        };
    }
}
