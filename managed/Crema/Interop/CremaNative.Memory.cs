using System.Runtime.InteropServices;

namespace Crema.Interop;

#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

internal static partial class CremaNative
{
    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_device_malloc(int device, long bytes, out nint pointer);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_device_free(int device, nint pointer);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_memset(nint pointer, int value, long bytes);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_memset_async(nint pointer, int value, long bytes, StreamHandle stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_memcpy_host_to_device(nint deviceDst, nint hostSrc, long bytes);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_memcpy_device_to_host(nint hostDst, nint deviceSrc, long bytes);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_memcpy_device_to_device(nint deviceDst, nint deviceSrc, long bytes);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_memcpy_host_to_device_async(nint deviceDst, nint hostSrc, long bytes, StreamHandle stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_memcpy_device_to_host_async(nint hostDst, nint deviceSrc, long bytes, StreamHandle stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_memcpy_device_to_device_async(nint deviceDst, nint deviceSrc, long bytes, StreamHandle stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_host_malloc(long bytes, out nint pointer);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_host_free(nint pointer);
}
