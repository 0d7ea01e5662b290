using BenchmarkDotNet.Running;

namespace Crema.Bench.Columns;

/// <summary>
/// An amount per op (bytes, flops) from the <see cref="Traffic"/> model, divided by the mean time of one op:
/// "GB/s" and "GFLOP/s". Rows of classes without a traffic model (<see cref="ITrafficModel"/>), or whose model has
/// no such amount, show "-".
/// </summary>
public sealed class RateColumn : OpColumn
{
    private readonly Func<OpSample, double?> amount;

    private RateColumn(string name, string legend, Func<OpSample, double?> amount)
    {
        ColumnName = name;
        Legend = legend;
        this.amount = amount;
    }

    /// <summary>Bytes moved per op / mean time (decimal GB: 1e9 bytes).</summary>
    public static RateColumn Bandwidth { get; } = new("GB/s",
        "Bytes an op must move (its traffic model) / mean time of one op; 1 GB = 1e9 bytes",
        op => op.Bytes);

    /// <summary>Floating-point operations per op / mean time.</summary>
    public static RateColumn Throughput { get; } = new("GFLOP/s",
        "Floating-point operations of an op (its traffic model) / mean time of one op",
        op => op.Flops);

    /// <inheritdoc/>
    public override string ColumnName { get; }

    /// <inheritdoc/>
    public override string Legend { get; }

    /// <inheritdoc/>
    public override int PriorityInCategory => 0;

    // Amount per nanosecond is amount per second / 1e9: GB/s and GFLOP/s directly.
    /// <inheritdoc/>
    protected override double? Compute(OpSample op, BenchmarkCase benchmarkCase) =>
        amount(op) / op.MeanNanoseconds;
}
