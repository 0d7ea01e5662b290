using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Crema.Bench.Blas;

namespace Crema.Bench.Columns;

/// <summary>
/// "x floor": a GPU op's mean time over the least time its bytes can take at the measured device-to-device copy
/// bandwidth. 1.0 is as fast as a copy; below 1 the data came from L2. Meaningful for memory-bound ops; gemm is
/// compute-bound, so its value there is only a bound. CPU rows show "-".
/// </summary>
public sealed class FloorColumn(double copyGBps) : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(FloorColumn);

    /// <inheritdoc/>
    public string ColumnName => "x floor";

    /// <inheritdoc/>
    public string Legend =>
        $"GPU only: mean time / (bytes moved / {copyGBps.ToString("N0", CultureInfo.InvariantCulture)} GB/s, " +
        "the device-to-device copy bandwidth measured at start); 1.0 = copy speed";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 2;

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
        var op = RateColumn.OpOf(summary, benchmarkCase);
        if (op is null || !benchmarkCase.Descriptor.HasCategory(BlasBenchmark.GpuCategory))
        {
            return "-";
        }

        double bytes = Traffic.BytesMoved(op.Value.Traffic.Op, op.Value.N, op.Value.Traffic.ElementBytes);
        double floorNanoseconds = bytes / copyGBps; // GB/s is bytes per nanosecond
        return RateColumn.Format(op.Value.MeanNanoseconds / floorNanoseconds);
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
