using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Kernels;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>EuclideanLoss</c>: loss = Σ (a − b)² / (2N), N = bottom[0].shape(0). Backward writes
/// ±(loss weight / N)·(a − b) into each bottom asked for: + for a, − for b. Both bottoms may take a forced gradient.
/// On the GPU (<c>kernels/euclidean_loss.cu</c>) the loss is summed in double in a fixed order and stays on the
/// device until <see cref="Layer{T}.ReadLoss"/>, and Backward reads the top diff there: no host round-trip.
/// </summary>
public sealed class EuclideanLossLayer<T> : LossLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Blob<T> difference = new();

    /// <summary>Creates the layer.</summary>
    public EuclideanLossLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "EuclideanLoss";

    /// <summary>Either bottom may take a gradient (both are predictions, in Caffe's view).</summary>
    public override bool AllowForceBackward(int bottomIndex) => true;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The bottoms differ in batch size or in their per-item count.</exception>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        base.Reshape(bottom, top);
        if (bottom[0].CountFrom(1) != bottom[1].CountFrom(1))
        {
            throw new ArgumentException(
                $"{this}: the bottoms must have the same count per item; got {LayerShapes.Text(bottom[0].Shape)} and " +
                $"{LayerShapes.Text(bottom[1].Shape)}");
        }

        difference.ReshapeLike(bottom[0]);
    }

    /// <inheritdoc/>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var a = bottom[0].CpuData;
        var b = bottom[1].CpuData;
        var d = difference.MutableCpuData;
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = a[i] - b[i];
        }

        int num = bottom[0].Shape[0];
        T loss = num == 0 ? T.Zero : CpuMath.Dot<T>(d, d) / T.CreateTruncating(2 * (double)num);
        top[0].MutableCpuData[0] = loss;
    }

    /// <inheritdoc/>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top) =>
        EuclideanLossKernels.Forward(bottom[0].Count, bottom[0].Shape[0], bottom[0].GpuData, bottom[1].GpuData,
            difference.MutableGpuData, top[0].MutableGpuData);

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        int num = bottom[0].Shape[0];
        if (num == 0)
        {
            return;
        }

        T scale = top[0].CpuDiff[0] / T.CreateTruncating(num);
        for (int i = 0; i < 2; i++)
        {
            if (!propagateDown[i])
            {
                continue;
            }

            T alpha = i == 0 ? scale : -scale;
            var dx = bottom[i].MutableCpuDiff;
            var d = difference.CpuData;
            for (int j = 0; j < dx.Length; j++)
            {
                dx[j] = alpha * d[j];
            }
        }
    }

    /// <inheritdoc/>
    protected override void BackwardGpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        int num = bottom[0].Shape[0];
        if (num == 0 || !(propagateDown[0] || propagateDown[1]))
        {
            return;
        }

        EuclideanLossKernels.Backward(difference.Count, num, difference.GpuData, top[0].GpuDiff,
            propagateDown[0] ? bottom[0].MutableGpuDiff : null, propagateDown[1] ? bottom[1].MutableGpuDiff : null);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            difference.Dispose();
        }

        base.Dispose(disposing);
    }
}
