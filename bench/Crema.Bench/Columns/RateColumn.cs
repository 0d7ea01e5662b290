using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Crema.Bench.Columns;

/// <summary>
/// An amount per op (bytes, flops) from the <see cref="Traffic"/> model, divided by the mean time of one op:
/// "GB/s" and "GFLOP/s". Rows of classes without a <see cref="TrafficAttribute"/> show "-".
/// </summary>
public sealed class RateColumn : IColumn
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
    public string Id => nameof(RateColumn) + "." + ColumnName;

    /// <inheritdoc/>
    public string ColumnName { get; }

    /// <inheritdoc/>
    public string Legend { get; }

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, summary.Style);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var op = OpOf(summary, benchmarkCase);
        if (op is null)
        {
            return "-";
        }

        // Amount per nanosecond is amount per second / 1e9: GB/s and GFLOP/s directly.
        return Format(amount(op.Value.Traffic, op.Value.N) / op.Value.MeanNanoseconds);
    }

    /// <summary>About three significant digits without exponents: 2,890 / 62.6 / 0.01.</summary>
    internal static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "N0" : Math.Abs(value) >= 10 ? "N1" : "N2", CultureInfo.InvariantCulture);

    /// <summary>The op of a row, its size and its mean time per op, when all three are known.</summary>
    internal static (TrafficAttribute Traffic, long N, double MeanNanoseconds)? OpOf(Summary summary, BenchmarkCase benchmarkCase)
    {
        var traffic = benchmarkCase.Descriptor.Type.GetCustomAttribute<TrafficAttribute>();
        object? size = benchmarkCase.Parameters.Items
            .FirstOrDefault(p => p.Name == Traffic.SizeParameter)?.Value;
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (traffic is null || size is null || mean is not > 0)
        {
            return null;
        }

        return (traffic, Convert.ToInt64(size, CultureInfo.InvariantCulture), mean.Value);
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
