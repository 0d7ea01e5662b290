using Crema.Interop;

namespace Crema.Cuda;

/// <summary>A CUDA stream (non-blocking with respect to the legacy default stream).</summary>
public sealed class CudaStream : IDisposable
{
    /// <summary>Creates a stream on <paramref name="device"/>.</summary>
    public CudaStream(int device)
    {
        NativeLibraryResolver.EnsureLoaded();
        NativeStatus.ThrowIfFailed(CremaNative.crema_stream_create(device, out var created));
        Handle = created;
        Device = device;
    }

    internal CudaStream(StreamHandle borrowed, int device)
    {
        Handle = borrowed;
        Device = device;
    }

    /// <summary>The device the stream belongs to.</summary>
    public int Device { get; }

    internal StreamHandle Handle { get; }

    /// <summary>Blocks until all work queued on the stream has finished.</summary>
    public void Synchronize() => NativeStatus.ThrowIfFailed(CremaNative.crema_stream_synchronize(Handle));

    /// <summary>True when all queued work has finished.</summary>
    public bool IsIdle()
    {
        int status = CremaNative.crema_stream_query(Handle);
        if (status == (int)CremaStatus.NotReady)
        {
            return false;
        }

        NativeStatus.ThrowIfFailed(status);
        return true;
    }

    /// <summary>Makes later work on this stream wait for <paramref name="cudaEvent"/>.</summary>
    public void Wait(CudaEvent cudaEvent) =>
        NativeStatus.ThrowIfFailed(CremaNative.crema_stream_wait_event(Handle, cudaEvent.Handle));

    /// <inheritdoc/>
    public void Dispose() => Handle.Dispose();
}
