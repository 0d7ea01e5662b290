using Crema.Interop;

namespace Crema.Cuda;

/// <summary>A CUDA event, for ordering streams and timing GPU work.</summary>
public sealed class CudaEvent : IDisposable
{
    /// <summary>Creates an event on <paramref name="device"/>.</summary>
    public CudaEvent(int device)
    {
        NativeLibraryResolver.EnsureLoaded();
        NativeStatus.ThrowIfFailed(CremaNative.crema_event_create(device, out var created));
        Handle = created;
    }

    internal EventHandle Handle { get; }

    /// <summary>Records the event on <paramref name="stream"/> (asynchronous).</summary>
    public void Record(CudaStream stream) =>
        NativeStatus.ThrowIfFailed(CremaNative.crema_event_record(Handle, stream.Handle));

    /// <summary>Blocks until the event has been reached.</summary>
    public void Synchronize() => NativeStatus.ThrowIfFailed(CremaNative.crema_event_synchronize(Handle));

    /// <summary>Milliseconds between two recorded events; waits for <paramref name="end"/> first.</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        end.Synchronize();
        NativeStatus.ThrowIfFailed(CremaNative.crema_event_elapsed_ms(start.Handle, end.Handle, out float ms));
        return ms;
    }

    /// <inheritdoc/>
    public void Dispose() => Handle.Dispose();
}
