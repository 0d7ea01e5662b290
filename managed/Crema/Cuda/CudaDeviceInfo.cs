namespace Crema.Cuda;

/// <summary>Properties of one CUDA device.</summary>
/// <param name="Index">Device ordinal.</param>
/// <param name="Name">Marketing name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="TotalMemoryBytes">Global memory in bytes.</param>
/// <param name="ComputeCapability">Compute capability (major.minor).</param>
/// <param name="MultiprocessorCount">Number of streaming multiprocessors.</param>
/// <param name="L2CacheBytes">L2 cache size in bytes.</param>
/// <param name="MemoryBusWidthBits">Memory bus width in bits.</param>
/// <param name="MemoryClockKhz">Memory clock in kHz.</param>
/// <param name="PciBusId">PCI bus id.</param>
public sealed record CudaDeviceInfo(
    int Index,
    string Name,
    long TotalMemoryBytes,
    Version ComputeCapability,
    int MultiprocessorCount,
    long L2CacheBytes,
    int MemoryBusWidthBits,
    int MemoryClockKhz,
    int PciBusId)
{
    /// <summary>Theoretical DRAM bandwidth in GB/s (double data rate); measured copy bandwidth is lower.</summary>
    public double TheoreticalBandwidthGBps => 2.0 * MemoryClockKhz * 1e3 * (MemoryBusWidthBits / 8.0) / 1e9;

    /// <inheritdoc/>
    public override string ToString() =>
        $"[{Index}] {Name}, sm_{ComputeCapability.Major}{ComputeCapability.Minor}, " +
        $"{TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, {MultiprocessorCount} SMs";
}
