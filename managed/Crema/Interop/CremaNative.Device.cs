using System.Runtime.InteropServices;

namespace Crema.Interop;

#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

/// <summary>Mirror of <c>crema_device_properties</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct crema_device_properties
{
    public fixed byte name[256];
    public long total_global_memory;
    public long l2_cache_size;
    public int compute_capability_major;
    public int compute_capability_minor;
    public int multiprocessor_count;
    public int max_threads_per_block;
    public int warp_size;
    public int memory_bus_width;
    public int memory_clock_khz;
    public int pci_bus_id;
    public long shared_memory_per_block;
    public long shared_memory_per_multiprocessor;
    public long total_constant_memory;
    public int clock_khz;
    public int max_threads_per_multiprocessor;
    public int registers_per_block;
    public int pci_domain_id;
    public int pci_device_id;
    public int ecc_enabled;
    public int async_engine_count;
    public int integrated;
}

internal static partial class CremaNative
{
    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_device_get_count(out int count);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_device_get_properties(int device, out crema_device_properties properties);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_device_set(int device);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_device_get(out int device);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_device_synchronize(int device);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_device_get_memory_info(int device, out long freeBytes, out long totalBytes);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_profiler_start();

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_profiler_stop();
}
