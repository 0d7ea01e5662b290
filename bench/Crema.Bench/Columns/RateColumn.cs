using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Crema.Bench.Columns;

/// <summary>
/// An amount per op (bytes, flops, images) from the <see cref="Traffic"/> model, divided by the mean time of one op:
/// "GB/s", "GFLOP/s" and "images/s". Rows of classes without a traffic model (<see cref="ITrafficModel"/>), or whose
/// model has no such amount, show "-".
/// </summary>
public sealed class RateColumn : OpColumn
{
    private readonly Func<OpSample, double?> amount;
    private readonly double unitsPerAmountPerNanosecond;
    private readonly bool onlyWithValues;

    private RateColumn(string name, string legend, Func<OpSample, double?> amount, double unitsPerAmountPerNanosecond = 1,
        bool onlyWithValues = false)
    {
        ColumnName = name;
        Legend = legend;
        this.amount = amount;
        this.unitsPerAmountPerNanosecond = unitsPerAmountPerNanosecond;
        this.onlyWithValues = onlyWithValues;
    }

    /// <summary>Bytes moved per op / mean time (decimal GB: 1e9 bytes).</summary>
    public static RateColumn Bandwidth { get; } = new("GB/s",
        "Bytes an op must move (its traffic model) / mean time of one op; 1 GB = 1e9 bytes",
        op => op.Bytes);

    /// <summary>Floating-point operations per op / mean time.</summary>
    public static RateColumn Throughput { get; } = new("GFLOP/s",
        "Floating-point operations of an op (its traffic model) / mean time of one op",
        op => op.Flops);

    /// <summary>
    /// Images per op (a training step's batch) / mean time. Only training benchmarks count images, so the column is
    /// left out of tables that have none.
    /// </summary>
    public static RateColumn ImageRate { get; } = new("images/s",
        "Images an op processes (a training step: the batch) / mean time of one op",
        op => op.Images, unitsPerAmountPerNanosecond: 1e9, onlyWithValues: true);

    /// <inheritdoc/>
    public override string ColumnName { get; }

    /// <inheritdoc/>
    public override string Legend { get; }

    /// <inheritdoc/>
    public override int PriorityInCategory => 0;

    /// <inheritdoc/>
    public override bool IsAvailable(Summary summary) =>
        !onlyWithValues || summary.BenchmarksCases.Any(c => GetValue(summary, c) != "-");

    // Amount per nanosecond is amount per second / 1e9: GB/s and GFLOP/s directly, images/s after scaling by 1e9.
    /// <inheritdoc/>
    protected override double? Compute(OpSample op, BenchmarkCase benchmarkCase) =>
        amount(op) / op.MeanNanoseconds * unitsPerAmountPerNanosecond;
}
