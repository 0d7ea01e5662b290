using System.Globalization;
using BenchmarkDotNet.Running;
using Crema.Bench.Blas;

namespace Crema.Bench.Columns;

/// <summary>
/// "x floor": a GPU op's mean time over the least time its bytes can take at the measured device-to-device copy
/// bandwidth. 1.0 is as fast as a copy; below 1 the data came from L2. Meaningful for memory-bound ops; gemm is
/// compute-bound, so its value there is only a bound. CPU rows show "-".
/// </summary>
public sealed class FloorColumn(double copyGBps) : OpColumn
{
    /// <inheritdoc/>
    public override string ColumnName => "x floor";

    /// <inheritdoc/>
    public override string Legend =>
        $"GPU only: mean time / (bytes moved / {copyGBps.ToString("N0", CultureInfo.InvariantCulture)} GB/s, " +
        "the device-to-device copy bandwidth measured at start); 1.0 = copy speed";

    /// <inheritdoc/>
    public override int PriorityInCategory => 2;

    /// <inheritdoc/>
    protected override double? Compute(OpSample op, BenchmarkCase benchmarkCase)
    {
        if (!benchmarkCase.Descriptor.HasCategory(BlasBenchmark.GpuCategory))
        {
            return null;
        }

        double bytes = Traffic.BytesMoved(op.Traffic.Op, op.N, op.Traffic.ElementBytes);
        double floorNanoseconds = bytes / copyGBps; // GB/s is bytes per nanosecond
        return op.MeanNanoseconds / floorNanoseconds;
    }
}
