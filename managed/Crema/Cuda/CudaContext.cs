using System.Runtime.CompilerServices;
using Crema.Interop;

namespace Crema.Cuda;

/// <summary>
/// A device, a stream, a cuBLAS handle bound to that stream and a reduction workspace. Every GPU op and every
/// copy of <see cref="DeviceBuffer{T}"/> runs on the context's stream, so work is ordered without host syncs.
/// Like a cuBLAS handle, a context is not thread-safe: use one per thread.
/// </summary>
public sealed class CudaContext : IDisposable
{
    private readonly DeviceMemoryHandle scalar;
    private readonly PinnedHostMemoryHandle hostScalar;
    private long synchronizeCount;

    /// <summary>Creates a context on <paramref name="device"/>.</summary>
    public CudaContext(int device = 0)
    {
        NativeLibraryResolver.EnsureLoaded();
        NativeStatus.ThrowIfFailed(CremaNative.crema_context_create(device, out var created));
        Handle = created;
        Device = device;
        NativeStatus.ThrowIfFailed(CremaNative.crema_context_get_stream(Handle, out nint stream));
        Stream = new CudaStream(new StreamHandle(stream, ownsHandle: false), device);
        NativeStatus.ThrowIfFailed(CremaNative.crema_device_malloc(device, sizeof(double), out nint s));
        scalar = new DeviceMemoryHandle(device, s);
        NativeStatus.ThrowIfFailed(CremaNative.crema_host_malloc(sizeof(double), out nint h));
        hostScalar = new PinnedHostMemoryHandle(h);
    }

    /// <summary>The device ordinal.</summary>
    public int Device { get; }

    /// <summary>The context's stream (owned by the context).</summary>
    public CudaStream Stream { get; }

    internal ContextHandle Handle { get; }

    /// <summary>
    /// How many times the host has waited for the stream through <see cref="Synchronize"/>, the path of every blocking
    /// copy and scalar read of the managed code (implicit waits inside CUDA, such as freeing memory, are not counted).
    /// Tests use it to check where a training step waits.
    /// </summary>
    internal long SynchronizeCount => Interlocked.Read(ref synchronizeCount);

    /// <summary>Blocks until all work queued on the context's stream has finished.</summary>
    public void Synchronize()
    {
        Interlocked.Increment(ref synchronizeCount);
        NativeStatus.ThrowIfFailed(CremaNative.crema_context_synchronize(Handle));
    }

    /// <summary>Allocates <paramref name="length"/> elements of device memory (not initialised).</summary>
    public DeviceBuffer<T> Allocate<T>(long length)
        where T : unmanaged => new(this, length);

    /// <summary>A device scalar the reductions write into before <see cref="ReadScalar{T}"/> copies it back.</summary>
    internal nint ScalarPointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(scalar.IsClosed, this);
            return scalar.DangerousGetHandle();
        }
    }

    /// <summary>Copies a device scalar to the host through pinned memory and waits for it (the one host sync).</summary>
    internal unsafe T ReadScalar<T>(nint devicePointer)
        where T : unmanaged
    {
        nint host = hostScalar.DangerousGetHandle();
        NativeStatus.ThrowIfFailed(
            CremaNative.crema_memcpy_device_to_host_async(host, devicePointer, sizeof(T), Stream.Handle));
        Synchronize();
        return Unsafe.Read<T>((void*)host);
    }

    /// <summary>Waits for queued work, then frees the scratch, workspace, cuBLAS handle and stream.</summary>
    public void Dispose()
    {
        if (Handle.IsClosed)
        {
            return;
        }

        Handle.Dispose();
        scalar.Dispose();
        hostScalar.Dispose();
    }
}
