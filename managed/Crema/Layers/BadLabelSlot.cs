using System.Numerics;
using Crema.Core;
using Crema.Cuda;

namespace Crema.Layers;

/// <summary>
/// The device slot in which a GPU kernel records the least position of an invalid label (SoftmaxWithLoss, Accuracy),
/// and the labels it checked. Forward queues the kernel and nothing waits; the layer's
/// <see cref="Layer{T}.ThrowIfDeviceErrors"/> later reads the slot (one scalar through the context's pinned read-back
/// buffer, no allocation) and, when a label was invalid, copies that one label back for the message.
/// </summary>
internal sealed class BadLabelSlot<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private DeviceBuffer<long>? slot;
    private Blob<T>? pendingLabels;

    /// <summary>The slot on <paramref name="context"/> (allocated once per context).</summary>
    public DeviceSpan<long> On(CudaContext context)
    {
        if (slot is null || slot.Context != context)
        {
            slot?.Dispose();
            slot = context.Allocate<long>(1);
        }

        return slot.Span;
    }

    /// <summary>Notes that the kernel just queued checked <paramref name="labels"/>.</summary>
    public void Pending(Blob<T> labels) => pendingLabels = labels;

    /// <summary>
    /// Reads the slot if a check is pending (waiting for the stream) and forgets the check; returns the position and
    /// value of the first invalid label, or null when every label was valid or nothing is pending.
    /// </summary>
    public (long Position, T Value)? Take()
    {
        if (pendingLabels is null || slot is null)
        {
            return null;
        }

        var labels = pendingLabels;
        pendingLabels = null;
        long position;
        using (var device = slot.Span.Acquire())
        {
            position = slot.Context.ReadScalar<long>(device.Pointer);
        }

        if (position == Kernels.SoftmaxLossKernels.NoBadLabel)
        {
            return null;
        }

        return (position, labels.GpuData.Slice(position, 1).ToArray()[0]);
    }

    /// <inheritdoc/>
    public void Dispose() => slot?.Dispose();
}
