using Crema.Interop;

namespace Crema.Cuda;

/// <summary>Page-locked host memory (<c>cudaHostAlloc</c>): the only host memory asynchronous copies may use.</summary>
public sealed unsafe class PinnedHostBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly PinnedHostMemoryHandle? handle;

    /// <summary>Allocates <paramref name="length"/> elements, zero-filled.</summary>
    public PinnedHostBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        if (length > 0)
        {
            NativeLibraryResolver.EnsureLoaded();
            NativeStatus.ThrowIfFailed(CremaNative.crema_host_malloc(length * sizeof(T), out nint pointer));
            handle = new PinnedHostMemoryHandle(pointer);
            System.Runtime.InteropServices.NativeMemory.Clear((void*)pointer, (nuint)(length * sizeof(T)));
        }
    }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The memory as a span (when it has at most <see cref="int.MaxValue"/> elements).</summary>
    public Span<T> Span
    {
        get
        {
            if (Length > int.MaxValue)
            {
                throw new InvalidOperationException($"{Length} elements do not fit in a Span; use Slice");
            }

            return new Span<T>((void*)Pointer, (int)Length);
        }
    }

    internal nint Pointer
    {
        get
        {
            if (handle is null)
            {
                return 0;
            }

            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle.DangerousGetHandle();
        }
    }

    /// <summary>A part of the memory as a span.</summary>
    public Span<T> Slice(long start, int length)
    {
        if (start < 0 || length < 0 || start > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {start}+{length}) is outside {Length} elements");
        }

        return new Span<T>((T*)Pointer + start, length);
    }

    /// <inheritdoc/>
    public void Dispose() => handle?.Dispose();
}
