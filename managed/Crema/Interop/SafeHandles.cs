using System.Runtime.InteropServices;

namespace Crema.Interop;

// One sealed SafeHandle per native handle type. The destroy functions are NULL-safe, always succeed and set
// their device themselves, so ReleaseHandle is safe on the finalizer thread.

/// <summary>A <c>crema_stream*</c>. Streams borrowed from a context are not owned and never destroyed.</summary>
internal sealed class StreamHandle : SafeHandle
{
    public StreamHandle()
        : base(0, ownsHandle: true)
    {
    }

    internal StreamHandle(nint existing, bool ownsHandle)
        : base(0, ownsHandle) => SetHandle(existing);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CremaNative.crema_stream_destroy(handle) == 0;
}

/// <summary>A <c>crema_event*</c>.</summary>
internal sealed class EventHandle : SafeHandle
{
    public EventHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CremaNative.crema_event_destroy(handle) == 0;
}

/// <summary>A <c>crema_context*</c> (stream, cuBLAS handle, workspace).</summary>
internal sealed class ContextHandle : SafeHandle
{
    public ContextHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CremaNative.crema_context_destroy(handle) == 0;
}

/// <summary>Device memory from <c>crema_device_malloc</c>; remembers its device for the free.</summary>
internal sealed class DeviceMemoryHandle : SafeHandle
{
    internal DeviceMemoryHandle(int device, nint pointer)
        : base(0, ownsHandle: true)
    {
        Device = device;
        SetHandle(pointer);
    }

    internal int Device { get; }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CremaNative.crema_device_free(Device, handle) == 0;
}

/// <summary>Page-locked host memory from <c>crema_host_malloc</c>.</summary>
internal sealed class PinnedHostMemoryHandle : SafeHandle
{
    internal PinnedHostMemoryHandle(nint pointer)
        : base(0, ownsHandle: true) => SetHandle(pointer);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CremaNative.crema_host_free(handle) == 0;
}
