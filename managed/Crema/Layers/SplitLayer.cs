using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>Split</c>: one bottom to any number of tops that share its data (Forward copies nothing). Backward
/// writes the sum of the tops' diffs into the bottom's diff: a blob read by several layers gets every reader's
/// gradient. Nets insert it where a blob has several consumers.
/// </summary>
public sealed class SplitLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public SplitLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "Split";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 1;

    /// <inheritdoc/>
    public override int MinTopBlobs => 1;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A top is the bottom itself (Split cannot run in place).</exception>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        for (int i = 0; i < top.Count; i++)
        {
            if (ReferenceEquals(top[i], bottom[0]))
            {
                throw new ArgumentException($"{this} cannot run in place: top {i} is the bottom");
            }

            top[i].ReshapeLike(bottom[0]);
            top[i].ShareData(bottom[0]);
        }
    }

    /// <summary>Nothing to do: the tops share the bottom's data.</summary>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
    }

    /// <inheritdoc/>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
    }

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (!propagateDown[0] || bottom[0].Count == 0)
        {
            return;
        }

        var dx = bottom[0].MutableCpuDiff;
        CpuMath.Copy(top[0].CpuDiff, dx);
        for (int i = 1; i < top.Count; i++)
        {
            CpuMath.Axpy(T.One, top[i].CpuDiff, dx);
        }
    }

    /// <inheritdoc/>
    protected override void BackwardGpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (!propagateDown[0] || bottom[0].Count == 0)
        {
            return;
        }

        var dx = bottom[0].MutableGpuDiff;
        GpuMath.Copy(top[0].GpuDiff, dx);
        for (int i = 1; i < top.Count; i++)
        {
            GpuMath.Axpy(T.One, top[i].GpuDiff, dx);
        }
    }
}
