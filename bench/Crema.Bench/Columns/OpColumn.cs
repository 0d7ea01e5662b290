using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Crema.Bench.Columns;

/// <summary>
/// Base of the numeric columns computed from a row's traffic model (the <see cref="ITrafficModel"/> attribute on its
/// class, e.g. <see cref="TrafficAttribute"/>) and its mean time per op; a row where the amount a column needs is
/// unknown shows "-".
/// </summary>
public abstract class OpColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => GetType().Name + "." + ColumnName;

    /// <inheritdoc/>
    public abstract string ColumnName { get; }

    /// <inheritdoc/>
    public abstract string Legend { get; }

    /// <inheritdoc/>
    public abstract int PriorityInCategory { get; }

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public virtual bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, summary.Style);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var op = OpOf(summary, benchmarkCase);
        double? value = op is null ? null : Compute(op.Value, benchmarkCase);
        return value is null ? "-" : Format(value.Value);
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;

    /// <summary>The column's value for a row whose op, size and mean time are known; null shows "-".</summary>
    protected abstract double? Compute(OpSample op, BenchmarkCase benchmarkCase);

    /// <summary>About three significant digits without exponents: 2,890 / 62.6 / 0.01.</summary>
    internal static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "N0" : Math.Abs(value) >= 10 ? "N1" : "N2", CultureInfo.InvariantCulture);

    private static OpSample? OpOf(Summary summary, BenchmarkCase benchmarkCase)
    {
        var model = benchmarkCase.Descriptor.Type.GetCustomAttributes(inherit: false).OfType<ITrafficModel>().FirstOrDefault();
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (model is null || mean is not > 0)
        {
            return null;
        }

        return new OpSample(model.BytesMoved(benchmarkCase), model.Flops(benchmarkCase), model.Images(benchmarkCase), mean.Value);
    }
}

/// <summary>
/// A row's bytes moved, flops and images per op (from its traffic model; null where it has none) and its mean time
/// of one op.
/// </summary>
public readonly record struct OpSample(double? Bytes, double? Flops, double? Images, double MeanNanoseconds);
