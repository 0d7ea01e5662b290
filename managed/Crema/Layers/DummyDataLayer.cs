using System.Numerics;
using Crema.Core;
using Crema.Fillers;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>DummyData</c>: no bottoms; each top is shaped by <c>dummy_data_param.shape</c> (one for all tops or one
/// per top) and filled by its <c>data_filler</c> (none: constant 0; one for all tops; or one per top). Constant tops
/// are filled once at setup; the others are refilled on every Forward, drawing from <see cref="SeededRandom.Global"/>
/// on the host, so both engines see the same numbers for the same seed.
/// </summary>
public sealed class DummyDataLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Filler> fillers = [];
    private readonly List<bool> refill = [];

    /// <summary>Creates the layer.</summary>
    public DummyDataLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "DummyData";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 0;

    /// <inheritdoc/>
    public override int MinTopBlobs => 1;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Counts of shapes or fillers that fit neither one nor every top; an unknown filler type.</exception>
    public override void LayerSetUp(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var p = LayerParam.DummyDataParam;
        if (p.Shape.Count != 1 && p.Shape.Count != top.Count)
        {
            throw new ArgumentException(
                $"{this}: dummy_data_param.shape must be given once or once per top ({top.Count}); got {p.Shape.Count}");
        }

        if (p.DataFiller.Count > 1 && p.DataFiller.Count != top.Count)
        {
            throw new ArgumentException(
                $"{this}: dummy_data_param.data_filler must be given once, once per top ({top.Count}), or not at all; " +
                $"got {p.DataFiller.Count}");
        }

        fillers.Clear();
        refill.Clear();
        for (int i = 0; i < top.Count; i++)
        {
            var fp = p.DataFiller.Count == 0 ? new FillerParameter() : p.DataFiller[p.DataFiller.Count == 1 ? 0 : i];
            fillers.Add(Filler.Create(fp));
            refill.Add(fp.Type != "constant");
            top[i].Reshape(LayerShapes.Dims(p.Shape[p.Shape.Count == 1 ? 0 : i], "dummy_data_param.shape", this));
            fillers[i].Fill(top[i]);
        }
    }

    /// <summary>Does nothing: the tops keep the shapes of the parameter.</summary>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
    }

    /// <summary>Refills the tops whose filler is not constant.</summary>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        for (int i = 0; i < top.Count; i++)
        {
            if (refill[i])
            {
                fillers[i].Fill(top[i]);
            }
        }
    }

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
    }
}
