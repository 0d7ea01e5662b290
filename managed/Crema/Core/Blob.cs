using System.Numerics;
using Crema.Blas;
using Crema.Cuda;

namespace Crema.Core;

/// <summary>
/// Caffe's Blob: an N-dimensional array (N×C×H×W by habit) holding <see cref="Data"/> and its gradient
/// <see cref="Diff"/>, each a <see cref="SyncedMemory{T}"/> that lives on the host, the device or both.
/// <typeparamref name="T"/> is float or double. Counts and offsets are 64-bit. Disposing frees the memory at
/// once (memory shared with other blobs is freed when the last of them lets go).
/// </summary>
public sealed class Blob<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Most axes a blob may have (as in Caffe).</summary>
    public const int MaxAxes = 32;

    private int[] shape = [];
    private SyncedMemory<T> data;
    private SyncedMemory<T> diff;
    private bool disposed;

    /// <summary>An empty blob: no axes, <see cref="Count"/> 0, nothing allocated.</summary>
    public Blob()
    {
        CheckElementType();
        data = new SyncedMemory<T>(0);
        diff = new SyncedMemory<T>(0);
    }

    /// <summary>A blob of the given shape; memory is allocated on first access.</summary>
    public Blob(params int[] shape)
        : this((ReadOnlySpan<int>)shape)
    {
    }

    /// <summary>A blob of the given shape; memory is allocated on first access.</summary>
    public Blob(ReadOnlySpan<int> shape)
        : this() => Reshape(shape);

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<int> Shape => shape;

    /// <summary>Number of axes.</summary>
    public int NumAxes => shape.Length;

    /// <summary>Number of elements (product of the dimensions; 1 for a blob with no axes after Reshape([])).</summary>
    public long Count { get; private set; }

    /// <summary>Elements the current memory can hold without reallocating (Reshape only grows it).</summary>
    public long Capacity { get; private set; }

    /// <summary>The values.</summary>
    public SyncedMemory<T> Data
    {
        get
        {
            ThrowIfDisposed();
            return data;
        }
    }

    /// <summary>The gradient of the loss with respect to the values.</summary>
    public SyncedMemory<T> Diff
    {
        get
        {
            ThrowIfDisposed();
            return diff;
        }
    }

    /// <summary>The shape as Caffe prints it: "2 3 4 5 (120)".</summary>
    public string ShapeString => shape.Length == 0 ? $"({Count})" : $"{string.Join(' ', shape)} ({Count})";

    /// <summary>Data on the host, for reading (<see cref="Count"/> elements).</summary>
    public ReadOnlySpan<T> CpuData => Data.CpuData[..SpanCount()];

    /// <summary>Data on the host, for writing.</summary>
    public Span<T> MutableCpuData => Data.MutableCpuData[..SpanCount()];

    /// <summary>Diff on the host, for reading.</summary>
    public ReadOnlySpan<T> CpuDiff => Diff.CpuData[..SpanCount()];

    /// <summary>Diff on the host, for writing.</summary>
    public Span<T> MutableCpuDiff => Diff.MutableCpuData[..SpanCount()];

    /// <summary>Data on the device, for reading.</summary>
    public DeviceSpan<T> GpuData => Data.GpuData.Slice(0, Count);

    /// <summary>Data on the device, for writing.</summary>
    public DeviceSpan<T> MutableGpuData => Data.MutableGpuData.Slice(0, Count);

    /// <summary>Diff on the device, for reading.</summary>
    public DeviceSpan<T> GpuDiff => Diff.GpuData.Slice(0, Count);

    /// <summary>Diff on the device, for writing.</summary>
    public DeviceSpan<T> MutableGpuDiff => Diff.MutableGpuData.Slice(0, Count);

    /// <summary>Changes the shape; memory is reallocated only when the new count exceeds the capacity.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative dimension, or more than <see cref="MaxAxes"/> axes.</exception>
    /// <exception cref="ArgumentException">The element count or its size in bytes overflows 64 bits.</exception>
    public void Reshape(params int[] newShape) => Reshape((ReadOnlySpan<int>)newShape);

    /// <inheritdoc cref="Reshape(int[])"/>
    public unsafe void Reshape(ReadOnlySpan<int> newShape)
    {
        ThrowIfDisposed();
        // The steady state of a forward pass (layers reshape their tops every pass): nothing changes, nothing is allocated.
        // Not for no axes: an empty blob (Count 0) reshaped to a scalar (Count 1) has the same empty shape.
        if (newShape.Length > 0 && newShape.SequenceEqual(shape))
        {
            return;
        }

        if (newShape.Length > MaxAxes)
        {
            throw new ArgumentOutOfRangeException(nameof(newShape), newShape.Length,
                $"a blob has at most {MaxAxes} axes; shape ({Format(newShape)}) has {newShape.Length}");
        }

        long count = 1;
        for (int i = 0; i < newShape.Length; i++)
        {
            if (newShape[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(newShape), newShape[i],
                    $"dimension {i} of shape ({Format(newShape)}) is negative: {newShape[i]}");
            }

            if (newShape[i] != 0 && count > long.MaxValue / sizeof(T) / newShape[i])
            {
                throw new ArgumentException(
                    $"shape ({Format(newShape)}) has more elements than 64-bit byte offsets can address", nameof(newShape));
            }

            count *= newShape[i];
        }

        shape = newShape.ToArray();
        Count = count;
        if (count > Capacity)
        {
            Capacity = count;
            data.Release();
            diff.Release();
            data = new SyncedMemory<T>(count);
            diff = new SyncedMemory<T>(count);
        }
    }

    /// <summary>Takes the shape of <paramref name="other"/>.</summary>
    public void ReshapeLike(Blob<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Reshape(other.shape);
    }

    /// <summary>True when both blobs have the same shape.</summary>
    public bool ShapeEquals(Blob<T> other) => shape.AsSpan().SequenceEqual(other.shape);

    /// <summary>Maps a possibly negative axis (−1 is the last) to [0, NumAxes).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside [−NumAxes, NumAxes).</exception>
    public int CanonicalAxisIndex(int axis)
    {
        if (axis < -NumAxes || axis >= NumAxes)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis,
                $"axis {axis} is out of range for a blob with {NumAxes} axes (shape {ShapeString})");
        }

        return axis < 0 ? axis + NumAxes : axis;
    }

    /// <summary>Dimension of <paramref name="axis"/> (negative counts from the end).</summary>
    public int ShapeAt(int axis) => shape[CanonicalAxisIndex(axis)];

    /// <summary>Product of the dimensions in [<paramref name="startAxis"/>, <paramref name="endAxis"/>).</summary>
    public long CountBetween(int startAxis, int endAxis)
    {
        if (startAxis < 0 || endAxis > NumAxes || startAxis > endAxis)
        {
            throw new ArgumentOutOfRangeException(nameof(startAxis),
                $"axis range [{startAxis}, {endAxis}) is invalid for a blob with {NumAxes} axes (shape {ShapeString})");
        }

        long count = 1;
        for (int i = startAxis; i < endAxis; i++)
        {
            count *= shape[i];
        }

        return count;
    }

    /// <summary>Product of the dimensions from <paramref name="startAxis"/> to the last.</summary>
    public long CountFrom(int startAxis) => CountBetween(startAxis, NumAxes);

    /// <summary>Row-major offset of an index (missing trailing indices count as 0).</summary>
    public long Offset(params int[] indices)
    {
        if (indices.Length > NumAxes)
        {
            throw new ArgumentOutOfRangeException(nameof(indices),
                $"{indices.Length} indices for a blob with {NumAxes} axes (shape {ShapeString})");
        }

        long offset = 0;
        for (int i = 0; i < NumAxes; i++)
        {
            int index = i < indices.Length ? indices[i] : 0;
            if (index < 0 || (index >= shape[i] && !(index == 0 && shape[i] == 0)))
            {
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"index {index} on axis {i} is outside [0, {shape[i]}) (shape {ShapeString})");
            }

            offset = (offset * shape[i]) + index;
        }

        return offset;
    }

    /// <summary>Makes this blob use <paramref name="other"/>'s data memory (counts must match).</summary>
    public void ShareData(Blob<T> other) => Share(other, ref data, other.Data, "data");

    /// <summary>Makes this blob use <paramref name="other"/>'s diff memory (counts must match).</summary>
    public void ShareDiff(Blob<T> other) => Share(other, ref diff, other.Diff, "diff");

    /// <summary>
    /// Copies <paramref name="source"/>'s data (or diff) into this blob, on the engine in use.
    /// </summary>
    /// <param name="source">The blob to copy from.</param>
    /// <param name="copyDiff">Copy the diff instead of the data.</param>
    /// <param name="reshape">Take the source's shape when it differs; otherwise a different shape throws.</param>
    public void CopyFrom(Blob<T> source, bool copyDiff = false, bool reshape = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        ThrowIfDisposed();
        if (!ShapeEquals(source))
        {
            if (!reshape)
            {
                throw new ArgumentException(
                    $"cannot copy a blob of shape {source.ShapeString} into one of shape {ShapeString} without reshape", nameof(source));
            }

            ReshapeLike(source);
        }

        if (Engine.Current == ComputeEngine.Gpu)
        {
            GpuMath.Copy(copyDiff ? source.GpuDiff : source.GpuData, copyDiff ? MutableGpuDiff : MutableGpuData);
        }
        else
        {
            CpuMath.Copy(copyDiff ? source.CpuDiff : source.CpuData, copyDiff ? MutableCpuDiff : MutableCpuData);
        }
    }

    /// <summary>Copies <paramref name="values"/> (exactly <see cref="Count"/> of them) into the data on the host.</summary>
    public void SetData(ReadOnlySpan<T> values) => CheckedCopy(values, MutableCpuData, "values");

    /// <summary>Copies <paramref name="values"/> (exactly <see cref="Count"/> of them) into the diff on the host.</summary>
    public void SetDiff(ReadOnlySpan<T> values) => CheckedCopy(values, MutableCpuDiff, "values");

    /// <summary>The data as a new array.</summary>
    public T[] GetData() => CpuData.ToArray();

    /// <summary>The diff as a new array.</summary>
    public T[] GetDiff() => CpuDiff.ToArray();

    /// <summary>data −= diff, where the data's head is (CPU, or GPU when it is at or synced with the GPU).</summary>
    public void Update()
    {
        switch (Data.Head)
        {
            case SyncedHead.HeadAtCpu:
                CpuMath.Axpy(-T.One, CpuDiff, MutableCpuData);
                break;
            case SyncedHead.HeadAtGpu:
            case SyncedHead.Synced:
                GpuMath.Axpy(-T.One, GpuDiff, MutableGpuData);
                break;
        }
    }

    /// <summary>Σ |data| (0 before the first write), on the side holding the head.</summary>
    public T AsumData() => Reduce(ofDiff: false, squares: false);

    /// <summary>Σ |diff| (0 before the first write).</summary>
    public T AsumDiff() => Reduce(ofDiff: true, squares: false);

    /// <summary>Σ data² (0 before the first write).</summary>
    public T SumsqData() => Reduce(ofDiff: false, squares: true);

    /// <summary>Σ diff² (0 before the first write).</summary>
    public T SumsqDiff() => Reduce(ofDiff: true, squares: true);

    /// <summary>data *= factor, where the head is; nothing before the first write.</summary>
    public void ScaleData(T factor) => Scale(Data, factor, isData: true);

    /// <summary>diff *= factor, where the head is; nothing before the first write.</summary>
    public void ScaleDiff(T factor) => Scale(Diff, factor, isData: false);

    /// <inheritdoc/>
    public override string ToString() => $"Blob<{typeof(T).Name}>({ShapeString})";

    /// <summary>Frees this blob's memory (or lets go of memory shared with other blobs).</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        data.Release();
        diff.Release();
    }

    private static void CheckElementType()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"Blob<{typeof(T).Name}> is not supported; use float or double");
        }
    }

    private static string Format(ReadOnlySpan<int> dims) => string.Join(", ", dims.ToArray());

    private static void CheckedCopy(ReadOnlySpan<T> values, Span<T> target, string name)
    {
        if (values.Length != target.Length)
        {
            throw new ArgumentException($"{name} has {values.Length} elements but the blob holds {target.Length}", name);
        }

        values.CopyTo(target);
    }

    // Runs where the head is and touches nothing else: no allocation before the first write, no copy between sides.
    private T Reduce(bool ofDiff, bool squares)
    {
        switch ((ofDiff ? Diff : Data).Head)
        {
            case SyncedHead.HeadAtCpu:
                var host = ofDiff ? CpuDiff : CpuData;
                return squares ? CpuMath.Sumsq(host) : CpuMath.Asum(host);
            case SyncedHead.HeadAtGpu:
            case SyncedHead.Synced:
                var device = ofDiff ? GpuDiff : GpuData;
                return squares ? GpuMath.Sumsq(device) : GpuMath.Asum(device);
            default:
                return T.Zero;
        }
    }

    private void Scale(SyncedMemory<T> memory, T factor, bool isData)
    {
        switch (memory.Head)
        {
            case SyncedHead.HeadAtCpu:
                CpuMath.Scal(factor, isData ? MutableCpuData : MutableCpuDiff);
                break;
            case SyncedHead.HeadAtGpu:
            case SyncedHead.Synced:
                GpuMath.Scal(factor, isData ? MutableGpuData : MutableGpuDiff);
                break;
        }
    }

    private void Share(Blob<T> other, ref SyncedMemory<T> mine, SyncedMemory<T> theirs, string what)
    {
        ArgumentNullException.ThrowIfNull(other);
        ThrowIfDisposed();
        if (Count != other.Count)
        {
            throw new ArgumentException(
                $"cannot share {what}: this blob has {Count} elements ({ShapeString}), the other {other.Count} ({other.ShapeString})",
                nameof(other));
        }

        if (ReferenceEquals(mine, theirs))
        {
            return;
        }

        theirs.AddReference();
        mine.Release();
        mine = theirs;
    }

    // Count ≤ capacity, and SyncedMemory has already refused capacities past int.MaxValue.
    private int SpanCount() => (int)Count;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
