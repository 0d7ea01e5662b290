using System.Numerics;
using Crema.Core;
using Crema.Cuda;

namespace Crema.Solvers;

/// <summary>
/// The solver's last <c>average_loss</c> iteration losses, by slot. Values live where they were written: the CPU
/// engine writes host values (<see cref="Set"/>), the GPU engine lets each iteration's passes add their loss into a
/// device slot (<see cref="DeviceSlot"/>), and a read (<see cref="ToArray"/>, <see cref="Mean"/>) copies the window
/// to the host, waiting for the device only when device slots were written since the last read. A
/// <see cref="Blob{T}"/> does that bookkeeping; its storage grows to the largest slot used and keeps its values.
/// </summary>
internal sealed class LossWindow<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Blob<T> values = new();

    /// <summary>The number of losses held (slots 0 to Count − 1).</summary>
    public int Count { get; private set; }

    /// <summary>Forgets every loss (the storage stays).</summary>
    public void Clear() => Count = 0;

    /// <summary>Appends host values after the last slot.</summary>
    public void AddRange(ReadOnlySpan<T> items)
    {
        Reserve(Count + items.Length);
        items.CopyTo(values.MutableCpuData[Count..]);
        Count += items.Length;
    }

    /// <summary>Writes a host value into <paramref name="slot"/> (at most <see cref="Count"/>: the next free one).</summary>
    public void Set(int slot, T value)
    {
        Use(slot);
        values.MutableCpuData[slot] = value;
    }

    /// <summary>
    /// The device element of <paramref name="slot"/> (at most <see cref="Count"/>), for the GPU engine to write the
    /// iteration's loss into; the window's values move to the device if they were on the host.
    /// </summary>
    public DeviceSpan<T> DeviceSlot(int slot)
    {
        Use(slot);
        return values.MutableGpuData.Slice(slot, 1);
    }

    /// <summary>The losses in slot order (waits for the device when a device slot was written since the last read).</summary>
    public T[] ToArray() => Count == 0 ? [] : values.CpuData[..Count].ToArray();

    /// <summary>The mean of the losses, summed in slot order (0 when there are none).</summary>
    public T Mean()
    {
        if (Count == 0)
        {
            return T.Zero;
        }

        var sum = T.Zero;
        foreach (var loss in values.CpuData[..Count])
        {
            sum += loss;
        }

        return sum / T.CreateChecked(Count);
    }

    /// <summary>
    /// Makes room for <paramref name="needed"/> slots. Reshaping a blob past its capacity drops its values, so growth
    /// copies the held ones into a new blob (through the host); reserve the whole window before the first device
    /// write so that no step has to.
    /// </summary>
    public void Reserve(int needed)
    {
        if (needed <= values.Count)
        {
            return;
        }

        var grown = new Blob<T>(needed);
        if (Count > 0)
        {
            values.CpuData[..Count].CopyTo(grown.MutableCpuData);
        }

        values.Dispose();
        values = grown;
    }

    /// <inheritdoc/>
    public void Dispose() => values.Dispose();

    private void Use(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slot, Count);
        Reserve(slot + 1);
        Count = Math.Max(Count, slot + 1);
    }
}
