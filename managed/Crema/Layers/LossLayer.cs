using System.Numerics;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>LossLayer</c>: two bottoms (predictions, targets), a scalar loss as the first top with a default loss
/// weight of 1, and no gradient to the targets from <c>force_backward</c>.
/// </summary>
public abstract class LossLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer from its parameter.</summary>
    protected LossLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 2;

    /// <inheritdoc/>
    public override int ExactNumTopBlobs => 1;

    /// <inheritdoc/>
    public override bool AutoTopBlobs => true;

    /// <summary>Targets (bottom 1) never take a forced gradient.</summary>
    public override bool AllowForceBackward(int bottomIndex) => bottomIndex != 1;

    /// <summary>Checks that both bottoms have the same first dimension and makes top 0 a scalar (no axes).</summary>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        if (bottom[0].NumAxes == 0 || bottom[1].NumAxes == 0 || bottom[0].Shape[0] != bottom[1].Shape[0])
        {
            throw new ArgumentException(
                $"{this}: the bottoms must have the same first dimension (batch size); got predictions " +
                $"({string.Join(", ", bottom[0].Shape)}) and targets ({string.Join(", ", bottom[1].Shape)})");
        }

        top[0].Reshape([]);
    }

    /// <inheritdoc/>
    public override T DefaultLossWeight(int topIndex) => topIndex == 0 ? T.One : T.Zero;
}
