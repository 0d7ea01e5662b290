using System.Runtime.InteropServices;
using Crema.Interop;

namespace Crema.Cuda;

/// <summary>A range of a <see cref="DeviceBuffer{T}"/>: what GPU ops read and write. 64-bit offsets throughout.</summary>
public readonly struct DeviceSpan<T>
    where T : unmanaged
{
    internal DeviceSpan(DeviceBuffer<T> buffer, long offset, long length)
    {
        Buffer = buffer;
        Offset = offset;
        Length = length;
    }

    /// <summary>The buffer this span points into.</summary>
    public DeviceBuffer<T> Buffer { get; }

    /// <summary>First element, counted from the start of <see cref="Buffer"/>.</summary>
    public long Offset { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The context that owns the buffer.</summary>
    public CudaContext Context => Buffer.Context;

    /// <summary>A sub-range of this span.</summary>
    public DeviceSpan<T> Slice(long start, long length)
    {
        if (start < 0 || length < 0 || start > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"slice [{start}, {start}+{length}) is outside a device span of length {Length}");
        }

        return new DeviceSpan<T>(Buffer, Offset + start, length);
    }

    /// <summary>Copies host data to the start of this span and waits.</summary>
    public unsafe void CopyFrom(ReadOnlySpan<T> source)
    {
        fixed (T* host = source)
        {
            CopyFromHost(host, source.Length);
        }
    }

    /// <summary>Copies the whole span to the start of host memory and waits (as <see cref="Span{T}.CopyTo"/>).</summary>
    public unsafe void CopyTo(Span<T> destination)
    {
        CheckDestination(destination.Length);
        fixed (T* host = destination)
        {
            CopyToHost(host, Length);
        }
    }

    /// <summary>Copies <paramref name="count"/> elements from host memory and waits (64-bit counts).</summary>
    internal unsafe void CopyFromHost(T* host, long count)
    {
        CheckFits(count, "source");
        using var device = Acquire();
        NativeStatus.ThrowIfFailed(CremaNative.crema_memcpy_host_to_device_async(
            device.Pointer, (nint)host, count * sizeof(T), Context.Stream.Handle));
        Context.Synchronize();
    }

    /// <summary>Copies the first <paramref name="count"/> elements to host memory and waits (64-bit counts).</summary>
    internal unsafe void CopyToHost(T* host, long count)
    {
        CheckFits(count, "destination");
        using var device = Acquire();
        NativeStatus.ThrowIfFailed(CremaNative.crema_memcpy_device_to_host_async(
            (nint)host, device.Pointer, count * sizeof(T), Context.Stream.Handle));
        Context.Synchronize();
    }

    /// <summary>Copies another device span of the same length (asynchronous on this span's context stream).</summary>
    public unsafe void CopyFrom(DeviceSpan<T> source)
    {
        if (source.Length != Length)
        {
            throw new ArgumentException($"source has {source.Length} elements, destination {Length}", nameof(source));
        }

        using var src = source.Acquire();
        using var dst = Acquire();
        NativeStatus.ThrowIfFailed(CremaNative.crema_memcpy_device_to_device_async(
            dst.Pointer, src.Pointer, Length * sizeof(T), Context.Stream.Handle));
    }

    /// <summary>Copies the whole span to pinned host memory without waiting; synchronise the context's stream before reading it.</summary>
    public unsafe void CopyToAsync(PinnedHostBuffer<T> destination)
    {
        CheckDestination(destination.Length);
        using var device = Acquire();
        NativeStatus.ThrowIfFailed(CremaNative.crema_memcpy_device_to_host_async(
            destination.Pointer, device.Pointer, Length * sizeof(T), Context.Stream.Handle));
    }

    /// <summary>Copies from pinned host memory without waiting; keep the host buffer unchanged until the stream is done.</summary>
    public unsafe void CopyFromAsync(PinnedHostBuffer<T> source)
    {
        CheckFits(source.Length, "source");
        using var device = Acquire();
        NativeStatus.ThrowIfFailed(CremaNative.crema_memcpy_host_to_device_async(
            device.Pointer, source.Pointer, source.Length * sizeof(T), Context.Stream.Handle));
    }

    /// <summary>The span's contents as a new array (blocking).</summary>
    public T[] ToArray()
    {
        if (Length > Array.MaxLength)
        {
            throw new InvalidOperationException($"a device span of {Length} elements does not fit in an array");
        }

        var result = new T[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Sets every byte to zero (asynchronous on the context's stream).</summary>
    public unsafe void Clear()
    {
        using var device = Acquire();
        NativeStatus.ThrowIfFailed(CremaNative.crema_memset_async(device.Pointer, 0, Length * sizeof(T), Context.Stream.Handle));
    }

    /// <summary>Holds the buffer alive for a native call and yields its address (0 for an empty span).</summary>
    internal unsafe DevicePointer Acquire()
    {
        if (Buffer is null)
        {
            throw new ArgumentException("a default DeviceSpan points to no buffer");
        }

        ObjectDisposedException.ThrowIf(Buffer.IsDisposed, Buffer);
        if (Buffer.Handle is null)
        {
            return new DevicePointer(null, 0);
        }

        bool added = false;
        Buffer.Handle.DangerousAddRef(ref added);
        return new DevicePointer(Buffer.Handle, Buffer.Handle.DangerousGetHandle() + (nint)(Offset * sizeof(T)));
    }

    private void CheckDestination(long hostLength)
    {
        if (hostLength < Length)
        {
            throw new ArgumentException(
                $"destination has {hostLength} elements but the device span has {Length}", "destination");
        }
    }

    private void CheckFits(long hostLength, string name)
    {
        if (hostLength > Length)
        {
            throw new ArgumentException($"{name} has {hostLength} elements but the device span only {Length}", name);
        }
    }
}

/// <summary>A device address valid until disposed (the buffer's handle is referenced meanwhile).</summary>
internal readonly ref struct DevicePointer
{
    private readonly SafeHandle? owner;

    internal DevicePointer(SafeHandle? owner, nint pointer)
    {
        this.owner = owner;
        Pointer = pointer;
    }

    internal nint Pointer { get; }

    public void Dispose() => owner?.DangerousRelease();
}
