namespace Crema.Parameters;

/// <summary>Caffe's <c>FillerParameter.VarianceNorm</c>: which fan xavier and msra divide by.</summary>
public enum VarianceNorm
{
    /// <summary>fan_in = count / shape(0) (Caffe's default).</summary>
    FanIn = 0,

    /// <summary>fan_out = count / shape(1).</summary>
    FanOut = 1,

    /// <summary>(fan_in + fan_out) / 2.</summary>
    Average = 2,
}

/// <summary>Caffe's <c>FillerParameter</c>: how a blob's initial values are drawn.</summary>
public sealed class FillerParameter
{
    /// <summary><c>type</c>: constant (default), uniform, gaussian, xavier or msra.</summary>
    public string Type { get; set; } = "constant";

    /// <summary><c>value</c>: the constant filler's value (default 0).</summary>
    public float Value { get; set; }

    /// <summary><c>min</c>: the uniform filler's lower bound (default 0).</summary>
    public float Min { get; set; }

    /// <summary><c>max</c>: the uniform filler's upper bound (default 1).</summary>
    public float Max { get; set; } = 1;

    /// <summary><c>mean</c>: the gaussian filler's mean (default 0).</summary>
    public float Mean { get; set; }

    /// <summary><c>std</c>: the gaussian filler's standard deviation (default 1).</summary>
    public float Std { get; set; } = 1;

    /// <summary><c>variance_norm</c>: the fan xavier and msra use (default FAN_IN).</summary>
    public VarianceNorm VarianceNorm { get; set; } = VarianceNorm.FanIn;

    /// <summary>A copy.</summary>
    public FillerParameter Clone() => (FillerParameter)MemberwiseClone();
}

/// <summary>Caffe's <c>BlobShape</c>: the dimensions of a blob.</summary>
public sealed class BlobShape
{
    /// <summary><c>dim</c>: one per axis.</summary>
    public List<long> Dim { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public BlobShape Clone() => new() { Dim = [.. Dim] };

    /// <inheritdoc/>
    public override string ToString() => $"({string.Join(", ", Dim)})";
}

/// <summary>Caffe's <c>InputParameter</c>: the shape of each top (one shape for all, or one per top).</summary>
public sealed class InputParameter
{
    /// <summary><c>shape</c>.</summary>
    public List<BlobShape> Shape { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public InputParameter Clone() => new() { Shape = [.. Shape.Select(s => s.Clone())] };
}

/// <summary>Caffe's <c>DummyDataParameter</c> (the <c>shape</c> form; not the legacy num/channels/height/width).</summary>
public sealed class DummyDataParameter
{
    /// <summary><c>data_filler</c>: none (constant 0), one for every top, or one per top.</summary>
    public List<FillerParameter> DataFiller { get; set; } = [];

    /// <summary><c>shape</c>: one for every top, or one per top.</summary>
    public List<BlobShape> Shape { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public DummyDataParameter Clone() => new()
    {
        DataFiller = [.. DataFiller.Select(f => f.Clone())],
        Shape = [.. Shape.Select(s => s.Clone())],
    };
}

/// <summary>Caffe's <c>InnerProductParameter</c>.</summary>
public sealed class InnerProductParameter
{
    /// <summary><c>num_output</c>: N, the number of outputs (must be set and positive).</summary>
    public uint NumOutput { get; set; }

    /// <summary><c>bias_term</c>: whether there is a bias (default true).</summary>
    public bool BiasTerm { get; set; } = true;

    /// <summary><c>weight_filler</c>.</summary>
    public FillerParameter WeightFiller { get; set; } = new();

    /// <summary><c>bias_filler</c>.</summary>
    public FillerParameter BiasFiller { get; set; } = new();

    /// <summary><c>axis</c>: the first axis of the inner product; the axes before it are the batch (default 1).</summary>
    public int Axis { get; set; } = 1;

    /// <summary><c>transpose</c>: weights stored as (K, N) instead of (N, K) (default false).</summary>
    public bool Transpose { get; set; }

    /// <summary>A deep copy.</summary>
    public InnerProductParameter Clone() => new()
    {
        NumOutput = NumOutput,
        BiasTerm = BiasTerm,
        WeightFiller = WeightFiller.Clone(),
        BiasFiller = BiasFiller.Clone(),
        Axis = Axis,
        Transpose = Transpose,
    };
}

/// <summary>Caffe's <c>ReLUParameter</c> (without <c>engine</c>).</summary>
public sealed class ReLUParameter
{
    /// <summary><c>negative_slope</c>: the slope for negative inputs (default 0, leaky when not).</summary>
    public float NegativeSlope { get; set; }

    /// <summary>A copy.</summary>
    public ReLUParameter Clone() => (ReLUParameter)MemberwiseClone();
}

/// <summary>Caffe's <c>AccuracyParameter</c>.</summary>
public sealed class AccuracyParameter
{
    /// <summary><c>top_k</c>: a prediction counts when the label is among the k highest scores (default 1).</summary>
    public uint TopK { get; set; } = 1;

    /// <summary><c>axis</c>: the class axis (default 1); negative counts from the end.</summary>
    public int Axis { get; set; } = 1;

    /// <summary><c>ignore_label</c>: positions with this label are not counted.</summary>
    public int? IgnoreLabel { get; set; }

    /// <summary>A copy.</summary>
    public AccuracyParameter Clone() => (AccuracyParameter)MemberwiseClone();
}
