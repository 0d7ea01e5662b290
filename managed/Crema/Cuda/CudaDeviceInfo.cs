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
/// <param name="ClockKhz">The SMs' peak clock in kHz (0 when unknown).</param>
/// <param name="MaxThreadsPerBlock">Most threads in one block.</param>
/// <param name="WarpSize">Threads per warp.</param>
/// <param name="MaxThreadsPerMultiprocessor">Most resident threads per SM.</param>
/// <param name="SharedMemoryPerBlockBytes">Most shared memory one block can use, in bytes.</param>
/// <param name="SharedMemoryPerMultiprocessorBytes">Shared memory per SM, in bytes.</param>
/// <param name="RegistersPerBlock">Most 32-bit registers one block can use.</param>
/// <param name="TotalConstantMemoryBytes">Constant memory in bytes.</param>
/// <param name="PciDomainId">PCI domain id.</param>
/// <param name="PciDeviceId">PCI device id.</param>
/// <param name="EccEnabled">Whether ECC is on.</param>
/// <param name="AsyncEngineCount">Copy engines that can overlap kernels.</param>
/// <param name="Integrated">Whether the GPU shares memory with the host.</param>
public sealed record CudaDeviceInfo(
    int Index,
    string Name,
    long TotalMemoryBytes,
    Version ComputeCapability,
    int MultiprocessorCount,
    long L2CacheBytes,
    int MemoryBusWidthBits,
    int MemoryClockKhz,
    int PciBusId,
    int ClockKhz = 0,
    int MaxThreadsPerBlock = 0,
    int WarpSize = 0,
    int MaxThreadsPerMultiprocessor = 0,
    long SharedMemoryPerBlockBytes = 0,
    long SharedMemoryPerMultiprocessorBytes = 0,
    int RegistersPerBlock = 0,
    long TotalConstantMemoryBytes = 0,
    int PciDomainId = 0,
    int PciDeviceId = 0,
    bool EccEnabled = false,
    int AsyncEngineCount = 0,
    bool Integrated = false)
{
    /// <summary>The PCI address as <c>domain:bus:device</c> in hex, e.g. <c>0000:1b:00</c>.</summary>
    public string PciAddress => $"{PciDomainId:x4}:{PciBusId:x2}:{PciDeviceId:x2}";

    /// <summary>Theoretical DRAM bandwidth in GB/s (double data rate); measured copy bandwidth is lower.</summary>
    public double TheoreticalBandwidthGBps => 2.0 * MemoryClockKhz * 1e3 * (MemoryBusWidthBits / 8.0) / 1e9;

    /// <inheritdoc/>
    public override string ToString() =>
        $"[{Index}] {Name}, sm_{ComputeCapability.Major}{ComputeCapability.Minor}, " +
        $"{TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, {MultiprocessorCount} SMs";
}
