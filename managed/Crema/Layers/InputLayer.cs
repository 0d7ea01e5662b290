using System.Numerics;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>Input</c>: no bottoms; each top is shaped by <c>input_param.shape</c> (one shape for all tops, one per
/// top, or none to leave the tops as they are) at setup. Forward writes nothing: whoever owns the net fills the tops.
/// </summary>
public sealed class InputLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public InputLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "Input";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 0;

    /// <inheritdoc/>
    public override int MinTopBlobs => 1;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The number of shapes is neither 0, 1 nor the number of tops, or a bad dimension.</exception>
    public override void LayerSetUp(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var shapes = LayerParam.InputParam.Shape;
        if (shapes.Count > 1 && shapes.Count != top.Count)
        {
            throw new ArgumentException(
                $"{this}: input_param.shape must be given once, once per top ({top.Count}), or not at all; got {shapes.Count}");
        }

        for (int i = 0; i < top.Count && shapes.Count > 0; i++)
        {
            top[i].Reshape(LayerShapes.Dims(shapes[shapes.Count == 1 ? 0 : i], "input_param.shape", this));
        }
    }

    /// <summary>Does nothing: the tops keep the shape set up or given to them since.</summary>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
    }

    /// <inheritdoc/>
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
    }

    /// <inheritdoc/>
    protected override void BackwardGpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
    }
}
