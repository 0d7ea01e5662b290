using System.Runtime.InteropServices;

namespace Crema.Interop;

// Raw bindings keep the C names of crema.h; one file per native area. Memory pointers are nint (callers hold a
// SafeHandle reference for the duration of the call); stream, event and context handles are SafeHandles.
// Destroy functions take nint because SafeHandle.ReleaseHandle calls them with the raw value.
#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

internal static unsafe partial class CremaNative
{
    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_get_version(out int major, out int minor, out int patch);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_get_last_error(byte* buffer, long capacity, out long length);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_get_cuda_versions(out int runtimeVersion, out int driverVersion);
}
