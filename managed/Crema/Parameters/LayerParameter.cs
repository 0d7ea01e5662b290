namespace Crema.Parameters;

/// <summary>
/// Caffe's <c>LayerParameter</c>: what a layer is, what it reads and writes, and its type-specific settings. Field
/// names follow Caffe's (<c>loss_weight</c> is <see cref="LossWeight"/>, and so on); <see cref="Parse"/> reads
/// Caffe's text format. Sub-messages are never null: an unset one holds Caffe's defaults.
/// </summary>
public sealed class LayerParameter
{
    /// <summary><c>name</c>: the layer's name in its net.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>type</c>: the registry name, e.g. <c>SoftmaxWithLoss</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary><c>bottom</c>: names of the input blobs.</summary>
    public List<string> Bottom { get; set; } = [];

    /// <summary><c>top</c>: names of the output blobs.</summary>
    public List<string> Top { get; set; } = [];

    /// <summary><c>phase</c>: set by the net that builds the layer.</summary>
    public Phase? Phase { get; set; }

    /// <summary><c>loss_weight</c>: one per top; a loss layer's first top defaults to 1, other tops to 0.</summary>
    public List<float> LossWeight { get; set; } = [];

    /// <summary><c>param</c>: per learnable blob: sharing name and learning-rate / decay multipliers.</summary>
    public List<ParamSpec> Param { get; set; } = [];

    /// <summary><c>propagate_down</c>: one per bottom when given; false stops back-propagation to that bottom.</summary>
    public List<bool> PropagateDown { get; set; } = [];

    /// <summary><c>include</c>: the layer is in a net whose state meets any of these rules.</summary>
    public List<NetStateRule> Include { get; set; } = [];

    /// <summary><c>exclude</c>: the layer is left out of a net whose state meets any of these rules.</summary>
    public List<NetStateRule> Exclude { get; set; } = [];

    /// <summary><c>softmax_param</c>.</summary>
    public SoftmaxParameter SoftmaxParam { get; set; } = new();

    /// <summary><c>loss_param</c>.</summary>
    public LossParameter LossParam { get; set; } = new();

    /// <summary><c>input_param</c>.</summary>
    public InputParameter InputParam { get; set; } = new();

    /// <summary><c>dummy_data_param</c>.</summary>
    public DummyDataParameter DummyDataParam { get; set; } = new();

    /// <summary><c>inner_product_param</c>.</summary>
    public InnerProductParameter InnerProductParam { get; set; } = new();

    /// <summary><c>relu_param</c>.</summary>
    public ReLUParameter ReLUParam { get; set; } = new();

    /// <summary><c>accuracy_param</c>.</summary>
    public AccuracyParameter AccuracyParam { get; set; } = new();

    /// <summary><c>transform_param</c>: how a data layer transforms its inputs (scale, mean).</summary>
    public TransformationParameter TransformParam { get; set; } = new();

    /// <summary><c>idx_data_param</c>.</summary>
    public IdxDataParameter IdxDataParam { get; set; } = new();

    /// <summary>Reads a LayerParameter from Caffe's text format (the body, without <c>layer { }</c>).</summary>
    /// <exception cref="TextFormatException">Malformed text or an unknown field; the message gives line:column.</exception>
    public static LayerParameter Parse(string text, string? sourceName = null) =>
        TextFormatBinder.ReadLayerParameter(TextFormat.Parse(text, sourceName));

    /// <summary>Reads a LayerParameter from a file in Caffe's text format; errors name the file as given.</summary>
    /// <exception cref="TextFormatException">Malformed text or an unknown field; the message gives path:line:column.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static LayerParameter ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Writes Caffe's text format (the body, without <c>layer { }</c>), leaving out fields at their defaults;
    /// <see cref="Parse"/> reads it back to an equal parameter.
    /// </summary>
    public string ToText() => TextFormatBinder.LayerParameterMessage.Format(this);

    /// <summary>A deep copy.</summary>
    public LayerParameter Clone() => new()
    {
        Name = Name,
        Type = Type,
        Bottom = [.. Bottom],
        Top = [.. Top],
        Phase = Phase,
        LossWeight = [.. LossWeight],
        Param = [.. Param.Select(p => p.Clone())],
        PropagateDown = [.. PropagateDown],
        Include = [.. Include.Select(r => r.Clone())],
        Exclude = [.. Exclude.Select(r => r.Clone())],
        SoftmaxParam = SoftmaxParam.Clone(),
        LossParam = LossParam.Clone(),
        InputParam = InputParam.Clone(),
        DummyDataParam = DummyDataParam.Clone(),
        InnerProductParam = InnerProductParam.Clone(),
        ReLUParam = ReLUParam.Clone(),
        AccuracyParam = AccuracyParam.Clone(),
        TransformParam = TransformParam.Clone(),
        IdxDataParam = IdxDataParam.Clone(),
    };

    /// <inheritdoc/>
    public override string ToString() => $"{Type} layer '{Name}'";
}

/// <summary>Caffe's <c>ParamSpec</c>: how one learnable blob of a layer is shared and learned.</summary>
public sealed class ParamSpec
{
    /// <summary><c>name</c>: layers giving the same name share the blob.</summary>
    public string? Name { get; set; }

    // Null while not given: a layer sharing a param by name may leave the multipliers to the owner (Caffe's has_lr_mult).
    private float? lrMult;
    private float? decayMult;

    /// <summary><c>lr_mult</c>: multiplier on the learning rate (default 1; 0 freezes the blob).</summary>
    public float LrMult { get => lrMult ?? 1; set => lrMult = value; }

    /// <summary><c>decay_mult</c>: multiplier on the weight decay (default 1).</summary>
    public float DecayMult { get => decayMult ?? 1; set => decayMult = value; }

    /// <summary>Whether <c>lr_mult</c> was given (a sharer that gives none takes the owner's).</summary>
    public bool HasLrMult => lrMult.HasValue;

    /// <summary>Whether <c>decay_mult</c> was given (a sharer that gives none takes the owner's).</summary>
    public bool HasDecayMult => decayMult.HasValue;

    /// <summary>The given <c>lr_mult</c>, or null.</summary>
    internal float? LrMultIfGiven => lrMult;

    /// <summary>The given <c>decay_mult</c>, or null.</summary>
    internal float? DecayMultIfGiven => decayMult;

    /// <summary>A copy.</summary>
    public ParamSpec Clone() => (ParamSpec)MemberwiseClone();
}

/// <summary>Caffe's <c>NetStateRule</c>: a condition on the net's phase (and level / stages).</summary>
public sealed class NetStateRule
{
    /// <summary><c>phase</c>.</summary>
    public Phase? Phase { get; set; }

    /// <summary><c>min_level</c>.</summary>
    public int? MinLevel { get; set; }

    /// <summary><c>max_level</c>.</summary>
    public int? MaxLevel { get; set; }

    /// <summary><c>stage</c>: all must be in the net's stages.</summary>
    public List<string> Stage { get; set; } = [];

    /// <summary><c>not_stage</c>: none may be in the net's stages.</summary>
    public List<string> NotStage { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public NetStateRule Clone() => new()
    {
        Phase = Phase,
        MinLevel = MinLevel,
        MaxLevel = MaxLevel,
        Stage = [.. Stage],
        NotStage = [.. NotStage],
    };
}

/// <summary>Caffe's <c>SoftmaxParameter</c>.</summary>
public sealed class SoftmaxParameter
{
    /// <summary><c>axis</c>: the class axis (default 1); negative counts from the end.</summary>
    public int Axis { get; set; } = 1;

    /// <summary>A copy.</summary>
    public SoftmaxParameter Clone() => (SoftmaxParameter)MemberwiseClone();
}

/// <summary>Caffe's <c>LossParameter</c>, plus PyTorch's <c>label_smoothing</c> and per-class <c>weight</c>.</summary>
public sealed class LossParameter
{
    /// <summary><c>ignore_label</c>: positions with this label add nothing to the loss or gradient.</summary>
    public int? IgnoreLabel { get; set; }

    /// <summary><c>normalization</c>: unset means <see cref="Normalize"/> decides, else VALID.</summary>
    public NormalizationMode? Normalization { get; set; }

    /// <summary><c>normalize</c> (legacy): used only when <see cref="Normalization"/> is unset; true = VALID, false = BATCH_SIZE.</summary>
    public bool? Normalize { get; set; }

    /// <summary><c>label_smoothing</c> in [0, 1]: PyTorch's ε (default 0, off).</summary>
    public float LabelSmoothing { get; set; }

    /// <summary><c>weight</c>: one per class, PyTorch's class weights (default none).</summary>
    public List<float> Weight { get; set; } = [];

    /// <summary>The normalization in effect: <see cref="Normalization"/>, else the legacy <see cref="Normalize"/>, else VALID.</summary>
    public NormalizationMode EffectiveNormalization =>
        Normalization ?? (Normalize is bool legacy ? (legacy ? NormalizationMode.Valid : NormalizationMode.BatchSize) : NormalizationMode.Valid);

    /// <summary>A deep copy.</summary>
    public LossParameter Clone() => new()
    {
        IgnoreLabel = IgnoreLabel,
        Normalization = Normalization,
        Normalize = Normalize,
        LabelSmoothing = LabelSmoothing,
        Weight = [.. Weight],
    };
}
