using Crema.Interop;

namespace Crema.Cuda;

/// <summary>
/// Device memory for <see cref="Length"/> elements of <typeparamref name="T"/>, owned by one
/// <see cref="CudaContext"/>. Copies run on the context's stream; the blocking ones wait for it. A zero-length
/// buffer allocates nothing.
/// </summary>
public sealed class DeviceBuffer<T> : IDisposable
    where T : unmanaged
{
    /// <summary>Allocates device memory (not initialised).</summary>
    public unsafe DeviceBuffer(CudaContext context, long length)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > long.MaxValue / sizeof(T))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"{length} elements of {typeof(T).Name} do not fit in a 64-bit byte count");
        }

        Context = context;
        Length = length;
        if (length > 0)
        {
            NativeStatus.ThrowIfFailed(CremaNative.crema_device_malloc(context.Device, Bytes, out nint pointer));
            Handle = new DeviceMemoryHandle(context.Device, pointer);
        }
    }

    /// <summary>The context whose stream orders this buffer's copies.</summary>
    public CudaContext Context { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size in bytes.</summary>
    public unsafe long Bytes => Length * sizeof(T);

    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    internal DeviceMemoryHandle? Handle { get; }

    /// <summary>The whole buffer as a span.</summary>
    public DeviceSpan<T> Span => new(this, 0, Length);

    /// <summary>A part of the buffer.</summary>
    public DeviceSpan<T> Slice(long start, long length) => Span.Slice(start, length);

    /// <summary>Copies host data into the start of the buffer and waits.</summary>
    public void CopyFrom(ReadOnlySpan<T> source) => Span.CopyFrom(source);

    /// <summary>Copies the whole buffer to the start of host memory and waits.</summary>
    public void CopyTo(Span<T> destination) => Span.CopyTo(destination);

    /// <summary>The buffer's contents as a new array (blocking).</summary>
    public T[] ToArray() => Span.ToArray();

    /// <summary>Sets every byte to zero (asynchronous on the context's stream).</summary>
    public void Clear() => Span.Clear();

    /// <inheritdoc/>
    public void Dispose()
    {
        IsDisposed = true;
        Handle?.Dispose();
    }
}
