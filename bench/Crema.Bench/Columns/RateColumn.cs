using BenchmarkDotNet.Running;

namespace Crema.Bench.Columns;

/// <summary>
/// An amount per op (bytes, flops) from the <see cref="Traffic"/> model, divided by the mean time of one op:
/// "GB/s" and "GFLOP/s". Rows of classes without a <see cref="TrafficAttribute"/> show "-".
/// </summary>
public sealed class RateColumn : OpColumn
{
    private readonly Func<TrafficAttribute, long, double> amount;

    private RateColumn(string name, string legend, Func<TrafficAttribute, long, double> amount)
    {
        ColumnName = name;
        Legend = legend;
        this.amount = amount;
    }

    /// <summary>Bytes moved per op / mean time (decimal GB: 1e9 bytes).</summary>
    public static RateColumn Bandwidth { get; } = new("GB/s",
        "Bytes an op must move (Traffic.BytesMoved) / mean time of one op; 1 GB = 1e9 bytes",
        (traffic, n) => Traffic.BytesMoved(traffic.Op, n, traffic.ElementBytes));

    /// <summary>Floating-point operations per op / mean time.</summary>
    public static RateColumn Throughput { get; } = new("GFLOP/s",
        "Floating-point operations of an op (Traffic.Flops) / mean time of one op",
        (traffic, n) => Traffic.Flops(traffic.Op, n));

    /// <inheritdoc/>
    public override string ColumnName { get; }

    /// <inheritdoc/>
    public override string Legend { get; }

    /// <inheritdoc/>
    public override int PriorityInCategory => 0;

    // Amount per nanosecond is amount per second / 1e9: GB/s and GFLOP/s directly.
    /// <inheritdoc/>
    protected override double? Compute(OpSample op, BenchmarkCase benchmarkCase) =>
        amount(op.Traffic, op.N) / op.MeanNanoseconds;
}
