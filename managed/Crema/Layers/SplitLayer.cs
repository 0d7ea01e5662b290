using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>Split</c>: one bottom to any number of tops that all see the bottom's data (shared, not copied); the
/// backward pass sums the tops' diffs into the bottom's diff. The net inserts one wherever a blob has several
/// consumers, so that each consumer writes its own diff.
/// </summary>
public sealed class SplitLayer<T>(LayerParameter param) : Layer<T>(param)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public override string Type => "Split";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 1;

    /// <inheritdoc/>
    public override int MinTopBlobs => 1;

    /// <summary>Gives every top the bottom's shape.</summary>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        for (int i = 0; i < top.Count; i++)
        {
            if (ReferenceEquals(top[i], bottom[0]))
            {
                throw new ArgumentException($"{this} cannot work in place: top {i} is its bottom");
            }

            top[i].ReshapeLike(bottom[0]);
        }
    }

    /// <inheritdoc/>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top) => ShareBottom(bottom, top);

    /// <inheritdoc/>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top) => ShareBottom(bottom, top);

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

    private static void ShareBottom(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        foreach (var blob in top)
        {
            blob.ShareData(bottom[0]);
        }
    }
}
