using System.Text;
using Crema.Interop;

namespace Crema.Cuda;

/// <summary>What the GPU side can offer on this machine, and if nothing, why.</summary>
/// <param name="IsAvailable">True when at least one device can be used.</param>
/// <param name="Reason">Why the GPU cannot be used (null when it can).</param>
/// <param name="ReasonKind">The category of <paramref name="Reason"/> (null when available).</param>
/// <param name="LibraryPath">Where the native library was loaded from (null when it was not).</param>
/// <param name="NativeVersion">The native library's version (null when not loaded).</param>
/// <param name="RuntimeVersion">CUDA runtime version the library was built with, e.g. 11080 (0 when unknown).</param>
/// <param name="DriverVersion">Installed driver's CUDA version, e.g. 13000 (0 when no driver).</param>
/// <param name="Devices">The visible devices.</param>
public sealed record GpuStatus(
    bool IsAvailable,
    string? Reason,
    GpuUnavailableReason? ReasonKind,
    string? LibraryPath,
    Version? NativeVersion,
    int RuntimeVersion,
    int DriverVersion,
    IReadOnlyList<CudaDeviceInfo> Devices)
{
    /// <summary>Formats a CUDA version number (11080 → "11.8").</summary>
    public static string FormatCudaVersion(int version) =>
        version <= 0 ? "none" : $"{version / 1000}.{version % 1000 / 10}";
}

/// <summary>Entry points for the CUDA runtime as the native library exposes it.</summary>
public static class CudaRuntime
{
    /// <summary>Loads the native library and reports what the GPU can do; never throws.</summary>
    public static GpuStatus Probe()
    {
        if (!NativeLibraryResolver.TryLoad(out string report))
        {
            return new GpuStatus(false, report, GpuUnavailableReason.LibraryMissing, null, null, 0, 0, []);
        }

        CremaNative.crema_get_version(out int major, out int minor, out int patch);
        var version = new Version(major, minor, patch);
        CremaNative.crema_get_cuda_versions(out int runtime, out int driver);
        int status = CremaNative.crema_device_get_count(out int count);
        if (status != 0 || count == 0)
        {
            string text = status != 0 ? NativeStatus.LastErrorMessage() : "no CUDA-capable device is visible";
            var kind = (CremaStatus)status switch
            {
                CremaStatus.DriverTooOld => GpuUnavailableReason.DriverTooOld,
                CremaStatus.NoDevice or CremaStatus.Ok => GpuUnavailableReason.NoDevice,
                _ => GpuUnavailableReason.InitializationFailed,
            };
            return new GpuStatus(false, text, kind, NativeLibraryResolver.LoadedFrom, version, runtime, driver, []);
        }

        var devices = new List<CudaDeviceInfo>(count);
        for (int i = 0; i < count; i++)
        {
            devices.Add(GetDeviceInfo(i));
        }

        return new GpuStatus(true, null, null, NativeLibraryResolver.LoadedFrom, version, runtime, driver, devices);
    }

    /// <summary>Properties of device <paramref name="device"/>.</summary>
    public static unsafe CudaDeviceInfo GetDeviceInfo(int device)
    {
        NativeLibraryResolver.EnsureLoaded();
        NativeStatus.ThrowIfFailed(CremaNative.crema_device_get_properties(device, out var p));
        var name = new ReadOnlySpan<byte>(p.name, 256);
        int end = name.IndexOf((byte)0);
        return new CudaDeviceInfo(
            device,
            Encoding.UTF8.GetString(end < 0 ? name : name[..end]),
            p.total_global_memory,
            new Version(p.compute_capability_major, p.compute_capability_minor),
            p.multiprocessor_count,
            p.l2_cache_size,
            p.memory_bus_width,
            p.memory_clock_khz,
            p.pci_bus_id,
            p.clock_khz,
            p.max_threads_per_block,
            p.warp_size,
            p.max_threads_per_multiprocessor,
            p.shared_memory_per_block,
            p.shared_memory_per_multiprocessor,
            p.registers_per_block,
            p.total_constant_memory,
            p.pci_domain_id,
            p.pci_device_id,
            p.ecc_enabled != 0,
            p.async_engine_count,
            p.integrated != 0);
    }

    /// <summary>Free and total memory of a device, in bytes.</summary>
    public static (long Free, long Total) GetMemoryInfo(int device)
    {
        NativeLibraryResolver.EnsureLoaded();
        NativeStatus.ThrowIfFailed(CremaNative.crema_device_get_memory_info(device, out long free, out long total));
        return (free, total);
    }
}
