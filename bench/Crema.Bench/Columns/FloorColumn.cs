using System.Globalization;
using BenchmarkDotNet.Running;
using Crema.Bench.Blas;

namespace Crema.Bench.Columns;

/// <summary>
/// "x floor": an op's mean time over the least time its bytes can take at the measured copy bandwidth of the engine
/// it ran on: device-to-device for GPU rows, a host copy on every core for CPU rows. 1.0 is as fast as a copy; below
/// 1 the data came from a cache. Meaningful for memory-bound ops; gemm is compute-bound, so its value there is only
/// a bound. A row whose engine has no measured bandwidth shows "-".
/// </summary>
/// <param name="gpuCopyGBps">Device copy bandwidth (read plus write), or null when there is no GPU.</param>
/// <param name="cpuCopyGBps">Host copy bandwidth (read plus write, all cores), or null to leave CPU rows out.</param>
public sealed class FloorColumn(double? gpuCopyGBps, double? cpuCopyGBps = null) : OpColumn
{
    /// <inheritdoc/>
    public override string ColumnName => "x floor";

    /// <inheritdoc/>
    public override string Legend =>
        "mean time / (bytes moved / copy bandwidth measured at start: " +
        $"GPU {Describe(gpuCopyGBps)} device-to-device, CPU {Describe(cpuCopyGBps)} host copy on all cores); 1.0 = copy speed";

    /// <inheritdoc/>
    public override int PriorityInCategory => 2;

    /// <inheritdoc/>
    protected override double? Compute(OpSample op, BenchmarkCase benchmarkCase)
    {
        double? copyGBps = benchmarkCase.Descriptor.HasCategory(BlasBenchmark.GpuCategory) ? gpuCopyGBps
            : benchmarkCase.Descriptor.HasCategory(BlasBenchmark.CpuCategory) ? cpuCopyGBps
            : null;
        if (copyGBps is not > 0 || op.Bytes is not double bytes)
        {
            return null;
        }

        double floorNanoseconds = bytes / copyGBps.Value; // GB/s is bytes per nanosecond
        return op.MeanNanoseconds / floorNanoseconds;
    }

    private static string Describe(double? gbps) =>
        gbps is double value ? value.ToString("N0", CultureInfo.InvariantCulture) + " GB/s" : "not measured";
}
