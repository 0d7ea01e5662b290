using System.Numerics;
using Crema.Core;
using Crema.Cuda;
using Crema.Kernels;

namespace Crema.Layers;

/// <summary>
/// The device slots in which GPU kernels record invalid labels (SoftmaxWithLoss, Accuracy). Each forward kernel
/// writes the least position of an invalid label of its pass into a per-pass slot; <see cref="Pending"/> then queues
/// a latch that keeps the first invalid label (position and value as they were then) of all the passes since the last
/// <see cref="Take"/>, so a net that runs many passes without a host read (its loss summed on the device) still
/// reports the first error. Nothing here waits for the device except <see cref="Take"/>, which reads one scalar
/// through the context's pinned read-back buffer (no allocation) and, when a label was invalid, its value.
/// </summary>
internal sealed class BadLabelSlot<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private DeviceBuffer<long>? slot;
    private DeviceBuffer<long>? latched;
    private DeviceBuffer<T>? latchedValue;
    private bool pending;

    /// <summary>The per-pass slot on <paramref name="context"/> (the slots are allocated once per context).</summary>
    public DeviceSpan<long> On(CudaContext context)
    {
        if (slot is null || latched is null || latchedValue is null || slot.Context != context)
        {
            Free();
            slot = context.Allocate<long>(1);
            latched = context.Allocate<long>(1);
            latchedValue = context.Allocate<T>(1);
            SoftmaxLossKernels.ResetBadLabel(latched.Span);
        }

        return slot.Span;
    }

    /// <summary>
    /// Queues the latch of the kernel just queued, which checked <paramref name="labels"/> into the slot of
    /// <see cref="On"/>: the latch keeps the first invalid label since the last <see cref="Take"/>.
    /// </summary>
    public void Pending(Blob<T> labels)
    {
        if (slot is null || latched is null || latchedValue is null)
        {
            throw new InvalidOperationException("BadLabelSlot.Pending before On: no kernel was given a slot");
        }

        SoftmaxLossKernels.LatchBadLabel(labels.GpuData, slot.Span, latched.Span, latchedValue.Span);
        pending = true;
    }

    /// <summary>
    /// Reads the latch if a check is pending (waiting for the stream), re-arms it and forgets the check; returns the
    /// position and value of the first invalid label since the last call, or null when every label was valid or
    /// nothing is pending.
    /// </summary>
    public (long Position, T Value)? Take()
    {
        if (!pending || latched is null || latchedValue is null)
        {
            return null;
        }

        pending = false;
        var context = latched.Context;
        long position;
        using (var device = latched.Span.Acquire())
        {
            position = context.ReadScalar<long>(device.Pointer);
        }

        if (position == SoftmaxLossKernels.NoBadLabel)
        {
            return null;
        }

        T value;
        using (var device = latchedValue.Span.Acquire())
        {
            value = context.ReadScalar<T>(device.Pointer);
        }

        SoftmaxLossKernels.ResetBadLabel(latched.Span);
        return (position, value);
    }

    /// <inheritdoc/>
    public void Dispose() => Free();

    private void Free()
    {
        slot?.Dispose();
        latched?.Dispose();
        latchedValue?.Dispose();
        slot = null;
        latched = null;
        latchedValue = null;
        pending = false;
    }
}
