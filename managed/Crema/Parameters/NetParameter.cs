namespace Crema.Parameters;

/// <summary>
/// Caffe's <c>NetParameter</c>: a net's name, its layers in order, <c>force_backward</c> and the state that
/// <c>include</c>/<c>exclude</c> rules are checked against. <see cref="Parse"/> reads Caffe's text format (a
/// <c>.prototxt</c> with <c>layer { … }</c> blocks). The legacy net inputs (<c>input</c>, <c>input_shape</c>,
/// <c>input_dim</c>) are read too.
/// </summary>
public sealed class NetParameter
{
    /// <summary><c>name</c>: the net's name.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>layer</c>: the layers, in the order they run forward.</summary>
    public List<LayerParameter> Layer { get; set; } = [];

    /// <summary><c>force_backward</c>: every layer computes bottom diffs, wanted by a loss or not.</summary>
    public bool ForceBackward { get; set; }

    /// <summary><c>state</c>: the phase, level and stages the net is built for (the phase is overridden by the net's constructor).</summary>
    public NetState State { get; set; } = new();

    /// <summary><c>input</c> (legacy): names of blobs the net takes as inputs, fed by the caller.</summary>
    public List<string> Input { get; set; } = [];

    /// <summary><c>input_shape</c> (legacy): one shape per <see cref="Input"/>.</summary>
    public List<BlobShape> InputShape { get; set; } = [];

    /// <summary><c>input_dim</c> (older legacy): four dimensions per <see cref="Input"/>, flattened.</summary>
    public List<int> InputDim { get; set; } = [];

    /// <summary><c>debug_info</c>: log per-layer statistics of data and diffs (see <c>Net.DebugInfo</c>).</summary>
    public bool DebugInfo { get; set; }

    /// <summary>Reads a NetParameter from Caffe's text format.</summary>
    /// <exception cref="TextFormatException">Malformed text or an unknown field; the message gives line:column.</exception>
    public static NetParameter Parse(string text, string? sourceName = null) =>
        TextFormatBinder.NetParameterMessage.Read(TextFormat.Parse(text, sourceName));

    /// <summary>Reads a NetParameter from a file in Caffe's text format; errors name the file as given.</summary>
    /// <exception cref="TextFormatException">Malformed text or an unknown field; the message gives path:line:column.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static NetParameter ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Writes Caffe's text format, leaving out fields at their defaults; <see cref="Parse"/> reads it back.</summary>
    public string ToText() => TextFormatBinder.NetParameterMessage.Format(this);

    /// <summary>A deep copy.</summary>
    public NetParameter Clone() => new()
    {
        Name = Name,
        Layer = [.. Layer.Select(l => l.Clone())],
        ForceBackward = ForceBackward,
        State = State.Clone(),
        Input = [.. Input],
        InputShape = [.. InputShape.Select(s => s.Clone())],
        InputDim = [.. InputDim],
        DebugInfo = DebugInfo,
    };
}

/// <summary>Caffe's <c>NetState</c>: what a net is built for; <see cref="NetStateRule"/>s are checked against it.</summary>
public sealed class NetState
{
    /// <summary><c>phase</c> (default TEST, as in Caffe).</summary>
    public Phase Phase { get; set; } = Phase.Test;

    /// <summary><c>level</c>.</summary>
    public int Level { get; set; }

    /// <summary><c>stage</c>: the stages the net is in.</summary>
    public List<string> Stage { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public NetState Clone() => new() { Phase = Phase, Level = Level, Stage = [.. Stage] };

    /// <summary>
    /// Whether <paramref name="rule"/> holds: its phase (if set) is this phase, the level is within its bounds, every
    /// one of its stages is among ours and none of its not-stages is.
    /// </summary>
    public bool Meets(NetStateRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return (rule.Phase is not Phase p || p == Phase)
            && (rule.MinLevel is not int min || Level >= min)
            && (rule.MaxLevel is not int max || Level <= max)
            && rule.Stage.TrueForAll(Stage.Contains)
            && !rule.NotStage.Exists(Stage.Contains);
    }
}
