namespace Crema.Parameters;

/// <summary>
/// <c>idx_data_param</c> (Crema's; Caffe has no IDX reader): the IDX files an <c>IdxData</c> layer reads and how it
/// walks them. Relative paths resolve against <see cref="Root"/>, then the process-wide data folder, then
/// <c>CREMA_DATA</c>, then the folder of the Debian package <c>dataset-fashion-mnist</c> (see
/// <see cref="Crema.IO.DataLocation"/>).
/// </summary>
public sealed class IdxDataParameter
{
    /// <summary><c>images</c>: the IDX file of the inputs (gzip or raw), e.g. <c>train-images-idx3-ubyte.gz</c>.</summary>
    public string Images { get; set; } = "";

    /// <summary><c>labels</c>: the IDX file of the labels, read when the layer has a second top.</summary>
    public string Labels { get; set; } = "";

    /// <summary><c>batch_size</c>: items per forward pass; at least 1 and at most the number of items.</summary>
    public uint BatchSize { get; set; }

    /// <summary><c>shuffle</c>: draw a new permutation of the items at the start of every epoch (default false).</summary>
    public bool Shuffle { get; set; }

    /// <summary>
    /// <c>seed</c>: the seed of the layer's shuffling; unset means one drawn from
    /// <see cref="Crema.Fillers.SeededRandom.Global"/> at setup (so the solver's <c>random_seed</c> fixes it).
    /// </summary>
    public ulong? Seed { get; set; }

    /// <summary><c>root</c>: the folder relative <see cref="Images"/> and <see cref="Labels"/> paths resolve against first.</summary>
    public string Root { get; set; } = "";

    /// <summary>
    /// <c>prefetch</c>: assemble the next batch on a background task while the net runs (default true). Results are
    /// the same either way.
    /// </summary>
    public bool Prefetch { get; set; } = true;

    /// <summary>A copy.</summary>
    public IdxDataParameter Clone() => (IdxDataParameter)MemberwiseClone();
}

/// <summary>
/// Caffe's <c>TransformationParameter</c>, the <c>scale</c> and <c>mean_value</c> part: a data layer writes
/// <c>(value − mean_value[channel]) · scale</c>.
/// </summary>
public sealed class TransformationParameter
{
    /// <summary><c>scale</c>: multiplies every input value after the mean is subtracted (default 1).</summary>
    public float Scale { get; set; } = 1;

    /// <summary><c>mean_value</c>: subtracted before scaling; none, one for every channel, or one per channel.</summary>
    public List<float> MeanValue { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public TransformationParameter Clone() => new() { Scale = Scale, MeanValue = [.. MeanValue] };
}
