using System.Numerics;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>Softmax cross-entropy loss. (Skeleton: implementation in progress.)</summary>
public sealed class SoftmaxWithLossLayer<T> : LossLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public SoftmaxWithLossLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "SoftmaxWithLoss";

    /// <inheritdoc/>

    /// <inheritdoc/>

    /// <inheritdoc/>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top) => throw new NotImplementedException();

    /// <inheritdoc/>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top) => throw new NotImplementedException();

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom) => throw new NotImplementedException();
}
