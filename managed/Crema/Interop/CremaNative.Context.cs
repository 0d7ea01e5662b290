using System.Runtime.InteropServices;

namespace Crema.Interop;

#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

internal static partial class CremaNative
{
    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_context_create(int device, out ContextHandle context);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_context_destroy(nint context);

    /// <summary>The stream is owned by the context: wrap it in a non-owning <see cref="StreamHandle"/>.</summary>
    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_context_get_stream(ContextHandle context, out nint stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_context_get_device(ContextHandle context, out int device);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_context_synchronize(ContextHandle context);
}
