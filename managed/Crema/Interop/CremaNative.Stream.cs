using System.Runtime.InteropServices;

namespace Crema.Interop;

#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

internal static partial class CremaNative
{
    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_stream_create(int device, out StreamHandle stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_stream_destroy(nint stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_stream_synchronize(StreamHandle stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_stream_query(StreamHandle stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_stream_wait_event(StreamHandle stream, EventHandle @event);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_event_create(int device, out EventHandle @event);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_event_destroy(nint @event);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_event_record(EventHandle @event, StreamHandle stream);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_event_synchronize(EventHandle @event);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_event_query(EventHandle @event);

    [LibraryImport(Libraries.Crema)]
    internal static partial int crema_event_elapsed_ms(EventHandle start, EventHandle end, out float milliseconds);
}
