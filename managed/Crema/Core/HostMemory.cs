using System.Runtime.InteropServices;
using Crema.Interop;

namespace Crema.Core;

/// <summary>
/// Zero-filled host memory for a <see cref="SyncedMemory{T}"/>: page-locked (cudaHostAlloc) when the GPU engine is
/// in use, so copies to and from the device run at full speed, otherwise 64-byte-aligned native memory. Native
/// memory (not a managed array) because blobs may hold more than 2^31 elements and must not move.
/// </summary>
internal sealed unsafe class HostMemory : IDisposable
{
    private PinnedHostMemoryHandle? pinned;
    private void* aligned;

    internal HostMemory(long bytes, bool pagelocked)
    {
        if (pagelocked)
        {
            NativeStatus.ThrowIfFailed(CremaNative.crema_host_malloc(bytes, out nint p));
            pinned = new PinnedHostMemoryHandle(p);
            Pointer = (void*)p;
        }
        else
        {
            try
            {
                aligned = NativeMemory.AlignedAlloc((nuint)bytes, 64);
            }
            catch (OutOfMemoryException e)
            {
                throw new OutOfMemoryException($"could not allocate {bytes} bytes of host memory for a blob", e);
            }

            Pointer = aligned;
        }

        NativeMemory.Clear(Pointer, (nuint)bytes);
        IsPageLocked = pagelocked;
    }

    internal void* Pointer { get; private set; }

    internal bool IsPageLocked { get; }

    public void Dispose()
    {
        pinned?.Dispose();
        pinned = null;
        if (aligned != null)
        {
            NativeMemory.AlignedFree(aligned);
            aligned = null;
        }

        Pointer = null;
    }
}
