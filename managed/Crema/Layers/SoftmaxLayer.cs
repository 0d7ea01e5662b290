using System.Numerics;
using Crema.Core;
using Crema.Kernels;
using Crema.Layers.Cpu;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Softmax along <c>softmax_param.axis</c> (default 1; negative counts from the end):
/// y = exp(x − max_c x) / Σ_c exp(x − max_c x), viewed as (outer, C, inner). Backward: dx = y ⊙ (dy − Σ_c dy·y).
/// May run in place (top = bottom).
/// </summary>
public sealed class SoftmaxLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private long outer;
    private long channels;
    private long inner;

    /// <summary>Creates the layer.</summary>
    public SoftmaxLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "Softmax";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 1;

    /// <inheritdoc/>
    public override int ExactNumTopBlobs => 1;

    /// <summary>The class axis in use, after the last Reshape (non-negative).</summary>
    public int Axis { get; private set; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside the bottom's axes.</exception>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var x = bottom[0];
        Axis = LayerShapes.CanonicalAxis(x, LayerParam.SoftmaxParam.Axis, "softmax_param.axis", this);
        outer = x.CountBetween(0, Axis);
        channels = x.Shape[Axis];
        inner = x.CountFrom(Axis + 1);
        if (!ReferenceEquals(top[0], x))
        {
            top[0].ReshapeLike(x);
        }
    }

    /// <inheritdoc/>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        if (bottom[0].Count == 0)
        {
            return;
        }

        var x = bottom[0].CpuData;
        SoftmaxCpu.Forward(outer, channels, inner, x, top[0].MutableCpuData);
    }

    /// <inheritdoc/>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        if (bottom[0].Count == 0)
        {
            return;
        }

        var x = bottom[0].GpuData;
        SoftmaxKernels.Forward(outer, channels, inner, x, top[0].MutableGpuData);
    }

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (!propagateDown[0] || top[0].Count == 0)
        {
            return;
        }

        var y = top[0].CpuData;
        var dy = top[0].CpuDiff;
        SoftmaxCpu.Backward(outer, channels, inner, y, dy, bottom[0].MutableCpuDiff);
    }

    /// <inheritdoc/>
    protected override void BackwardGpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (!propagateDown[0] || top[0].Count == 0)
        {
            return;
        }

        var y = top[0].GpuData;
        var dy = top[0].GpuDiff;
        SoftmaxKernels.Backward(outer, channels, inner, y, dy, bottom[0].MutableGpuDiff);
    }
}
