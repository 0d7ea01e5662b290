using System.Numerics;
using Crema.Cuda;

namespace Crema.Core;

/// <summary>Where a <see cref="SyncedMemory{T}"/>'s current values live (Caffe's head states).</summary>
public enum SyncedHead
{
    /// <summary>Nothing allocated yet; the first access allocates and zero-fills.</summary>
    Uninitialized,
    /// <summary>The host copy is current (the device copy, if any, is stale).</summary>
    HeadAtCpu,
    /// <summary>The device copy is current (the host copy, if any, is stale).</summary>
    HeadAtGpu,
    /// <summary>Both copies hold the same values.</summary>
    Synced,
}

/// <summary>
/// Memory mirrored between host and device, as Caffe's SyncedMemory: each side is allocated on first use and
/// zero-filled, and values are copied only when the other side is asked for. Read accessors keep the head;
/// mutable accessors move it to their side. Shared between blobs by <see cref="Blob{T}.ShareData"/>, so it is
/// reference-counted and freed when the last blob lets go.
/// </summary>
public sealed unsafe class SyncedMemory<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private HostMemory? host;
    private DeviceBuffer<T>? device;
    private int references = 1;

    internal SyncedMemory(long count) => Count = count;

    /// <summary>Number of elements.</summary>
    public long Count { get; }

    /// <summary>Where the current values live.</summary>
    public SyncedHead Head { get; private set; }

    /// <summary>True when host memory has been allocated.</summary>
    public bool HasCpuMemory => host is not null;

    /// <summary>True when device memory has been allocated.</summary>
    public bool HasGpuMemory => device is not null;

    /// <summary>True when the host side is page-locked (allocated while the GPU engine was selected).</summary>
    public bool IsCpuMemoryPageLocked => host?.IsPageLocked ?? false;

    /// <summary>The values on the host, for reading (copies from the device if it holds the head).</summary>
    public ReadOnlySpan<T> CpuData
    {
        get
        {
            CheckSpanCount();
            return AsSpan(ToCpu(), Count);
        }
    }

    /// <summary>The values on the host, for writing; the head moves to the CPU.</summary>
    public Span<T> MutableCpuData
    {
        get
        {
            CheckSpanCount();
            var span = AsSpan(ToCpu(), Count);
            Head = SyncedHead.HeadAtCpu;
            return span;
        }
    }

    /// <summary>The values on the device, for reading (copies from the host if it holds the head).</summary>
    public DeviceSpan<T> GpuData => ToGpu().Span;

    /// <summary>The values on the device, for writing; the head moves to the GPU.</summary>
    public DeviceSpan<T> MutableGpuData
    {
        get
        {
            var span = ToGpu().Span;
            Head = SyncedHead.HeadAtGpu;
            return span;
        }
    }

    /// <summary>Host pointer for 64-bit-sized access (read); see <see cref="CpuData"/>.</summary>
    internal T* CpuPointer => ToCpu();

    /// <summary>Host pointer for 64-bit-sized access (write); see <see cref="MutableCpuData"/>.</summary>
    internal T* MutableCpuPointer
    {
        get
        {
            T* p = ToCpu();
            Head = SyncedHead.HeadAtCpu;
            return p;
        }
    }

    internal bool IsReleased => references <= 0;

    internal void AddReference()
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        references++;
    }

    internal void Release()
    {
        if (--references == 0)
        {
            host?.Dispose();
            device?.Dispose();
            host = null;
            device = null;
        }
    }

    private T* ToCpu()
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        switch (Head)
        {
            case SyncedHead.Uninitialized:
                AllocateHost();
                Head = SyncedHead.HeadAtCpu;
                break;
            case SyncedHead.HeadAtGpu:
                AllocateHost();
                if (Count > 0)
                {
                    device!.Span.CopyToHost((T*)host!.Pointer, Count);
                }

                Head = SyncedHead.Synced;
                break;
        }

        return host is null ? null : (T*)host.Pointer;
    }

    private DeviceBuffer<T> ToGpu()
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        switch (Head)
        {
            case SyncedHead.Uninitialized:
                AllocateDevice();
                device!.Clear();
                Head = SyncedHead.HeadAtGpu;
                break;
            case SyncedHead.HeadAtCpu:
                AllocateDevice();
                if (Count > 0)
                {
                    device!.Span.CopyFromHost((T*)host!.Pointer, Count);
                }

                Head = SyncedHead.Synced;
                break;
        }

        return device!;
    }

    private void AllocateHost()
    {
        if (host is null && Count > 0)
        {
            host = new HostMemory(Count * sizeof(T), pagelocked: Engine.Current == ComputeEngine.Gpu);
        }
    }

    private void AllocateDevice() => device ??= new DeviceBuffer<T>(Engine.GpuContext, Count);

    private static Span<T> AsSpan(T* pointer, long count) => count == 0 ? [] : new Span<T>(pointer, (int)count);

    // Checked before anything is allocated, so asking for a span of a huge blob fails fast.
    private void CheckSpanCount()
    {
        if (Count > int.MaxValue)
        {
            throw new InvalidOperationException(
                $"{Count} elements do not fit in a Span<T>; use the device spans (GpuData) for memory over 2^31 elements");
        }
    }
}
