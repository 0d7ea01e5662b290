using System.Numerics;
using Crema.Core;
using Crema.Kernels;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>ReLU</c>: y = x for x &gt; 0, else <c>negative_slope</c>·x. Backward: dx = dy for x &gt; 0, else
/// negative_slope·dy, with the sign read from the bottom's data (after an in-place forward that is y, whose sign is
/// x's for a non-negative slope, as in Caffe). May run in place (top = bottom). The GPU path (<c>kernels/relu.cu</c>)
/// does the same arithmetic in T, so both engines give the same bits.
/// </summary>
public sealed class ReLULayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public ReLULayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "ReLU";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 1;

    /// <inheritdoc/>
    public override int ExactNumTopBlobs => 1;

    private T Slope => T.CreateTruncating(LayerParam.ReLUParam.NegativeSlope);

    /// <inheritdoc/>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        if (!ReferenceEquals(top[0], bottom[0]))
        {
            top[0].ReshapeLike(bottom[0]);
        }
    }

    /// <inheritdoc/>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var slope = Slope;
        var x = bottom[0].CpuData;
        var y = top[0].MutableCpuData;
        for (int i = 0; i < y.Length; i++)
        {
            T v = x[i];
            y[i] = v > T.Zero ? v : slope * v;
        }
    }

    /// <inheritdoc/>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top) =>
        ReLUKernels.Forward(top[0].Count, Slope, bottom[0].GpuData, top[0].MutableGpuData);

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (!propagateDown[0])
        {
            return;
        }

        var slope = Slope;
        var x = bottom[0].CpuData;
        var dy = top[0].CpuDiff;
        var dx = bottom[0].MutableCpuDiff;
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = x[i] > T.Zero ? dy[i] : slope * dy[i];
        }
    }

    /// <inheritdoc/>
    protected override void BackwardGpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (!propagateDown[0])
        {
            return;
        }

        ReLUKernels.Backward(bottom[0].Count, Slope, bottom[0].GpuData, top[0].GpuDiff, bottom[0].MutableGpuDiff);
    }
}
