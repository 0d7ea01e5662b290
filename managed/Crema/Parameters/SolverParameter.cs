namespace Crema.Parameters;

/// <summary>Caffe's <c>SolverParameter.SolverMode</c> (text format: <c>CPU</c>, <c>GPU</c>).</summary>
public enum SolverMode
{
    /// <summary>The CPU engine (<c>CPU</c>).</summary>
    Cpu = 0,

    /// <summary>The GPU engine (<c>GPU</c>).</summary>
    Gpu = 1,
}

/// <summary>
/// Caffe's <c>SolverParameter</c> for the SGD solver: which net to train, the learning-rate schedule, momentum, weight
/// decay, gradient accumulation and clipping, and the display / test / snapshot cadence. Field names follow Caffe's
/// (<c>base_lr</c> is <see cref="BaseLr"/>, and so on); <see cref="Parse"/> reads Caffe's text format and checks the
/// values, with errors at the offending line:column.
/// </summary>
public sealed class SolverParameter
{
    /// <summary>The learning-rate policies <see cref="LrPolicy"/> may name.</summary>
    public static readonly IReadOnlyList<string> LrPolicies = ["fixed", "step", "multistep", "inv", "poly", "exp", "sigmoid"];

    /// <summary><c>net</c>: path of the net's text-format file (used when <see cref="NetParam"/> is null).</summary>
    public string Net { get; set; } = "";

    /// <summary><c>net_param</c>: the net itself, inline; wins over <see cref="Net"/>.</summary>
    public NetParameter? NetParam { get; set; }

    /// <summary><c>base_lr</c>: the learning rate the policy starts from.</summary>
    public float BaseLr { get; set; }

    /// <summary>
    /// <c>lr_policy</c>: <c>fixed</c>, <c>step</c>, <c>multistep</c>, <c>inv</c>, <c>poly</c>, <c>exp</c> or
    /// <c>sigmoid</c>. Caffe has no default (an unset policy is fatal there); here it defaults to <c>fixed</c>.
    /// </summary>
    public string LrPolicy { get; set; } = "fixed";

    /// <summary><c>gamma</c>: the factor of <c>step</c>/<c>multistep</c>/<c>exp</c>, the slope of <c>inv</c>/<c>sigmoid</c>.</summary>
    public float Gamma { get; set; }

    /// <summary><c>power</c>: the exponent of <c>inv</c> and <c>poly</c>.</summary>
    public float Power { get; set; }

    /// <summary><c>stepsize</c>: iterations per step of <c>step</c>; the centre of <c>sigmoid</c>.</summary>
    public int Stepsize { get; set; }

    /// <summary><c>stepvalue</c>: the iterations at which <c>multistep</c> multiplies by gamma (increasing).</summary>
    public List<int> Stepvalue { get; set; } = [];

    /// <summary><c>momentum</c>.</summary>
    public float Momentum { get; set; }

    /// <summary><c>weight_decay</c>: the L2 coefficient (times each param's <c>decay_mult</c>).</summary>
    public float WeightDecay { get; set; }

    /// <summary><c>regularization_type</c>: <c>L2</c> (the only one supported; <c>L1</c> is refused).</summary>
    public string RegularizationType { get; set; } = "L2";

    /// <summary><c>iter_size</c>: forward/backward passes accumulated per iteration (gradients averaged).</summary>
    public int IterSize { get; set; } = 1;

    /// <summary><c>clip_gradients</c>: the largest global L2 norm of the gradients; negative turns clipping off.</summary>
    public float ClipGradients { get; set; } = -1;

    /// <summary><c>average_loss</c>: how many of the last losses the displayed (smoothed) loss averages.</summary>
    public int AverageLoss { get; set; } = 1;

    /// <summary><c>max_iter</c>: the iteration training stops at (also the end of <c>poly</c>).</summary>
    public int MaxIter { get; set; }

    /// <summary><c>display</c>: log the loss every this many iterations; 0 never.</summary>
    public int Display { get; set; }

    /// <summary><c>test_interval</c>: run the test nets every this many iterations; 0 never.</summary>
    public int TestInterval { get; set; }

    /// <summary><c>test_iter</c>: forward passes per test net per test, one entry per test net.</summary>
    public List<int> TestIter { get; set; } = [];

    /// <summary><c>test_net</c>: files of test nets (built in the TEST phase), after the <c>test_net_param</c> ones.</summary>
    public List<string> TestNet { get; set; } = [];

    /// <summary><c>test_net_param</c>: inline test nets (built in the TEST phase), the first test nets.</summary>
    public List<NetParameter> TestNetParam { get; set; } = [];

    /// <summary><c>test_initialization</c>: also test before the first iteration (default true).</summary>
    public bool TestInitialization { get; set; } = true;

    /// <summary><c>test_compute_loss</c>: also report the test nets' summed loss (default false).</summary>
    public bool TestComputeLoss { get; set; }

    /// <summary><c>snapshot_after_train</c>: snapshot when <see cref="MaxIter"/> is reached (default true; needs a prefix).</summary>
    public bool SnapshotAfterTrain { get; set; } = true;

    /// <summary><c>snapshot</c>: write a snapshot every this many iterations; 0 never.</summary>
    public int Snapshot { get; set; }

    /// <summary><c>snapshot_prefix</c>: where snapshots go (a path prefix).</summary>
    public string SnapshotPrefix { get; set; } = "";

    /// <summary><c>random_seed</c>: the seed of the fillers when non-negative; −1 leaves the generator as it is.</summary>
    public long RandomSeed { get; set; } = -1;

    /// <summary><c>solver_mode</c>: <c>CPU</c> or <c>GPU</c> (default GPU, as in Caffe); the caller selects the engine.</summary>
    public SolverMode SolverMode { get; set; } = SolverMode.Gpu;

    /// <summary><c>type</c>: the solver; only <c>SGD</c>.</summary>
    public string Type { get; set; } = "SGD";

    /// <summary>Reads a SolverParameter from Caffe's text format and checks it (see <see cref="Validate"/>).</summary>
    /// <exception cref="TextFormatException">Malformed text, an unknown field or a bad value; the message gives line:column.</exception>
    public static SolverParameter Parse(string text, string? sourceName = null)
    {
        var message = TextFormat.Parse(text, sourceName);
        var result = TextFormatBinder.SolverParameterMessage.Read(message);
        if (result.Check() is (string field, string error))
        {
            // Point at the offending field (its last occurrence), or at the start of the text when it was not given.
            var given = message.Fields.LastOrDefault(f => f.Name == field);
            throw new TextFormatException(sourceName, given?.Line ?? 1, given?.Column ?? 1, error);
        }

        return result;
    }

    /// <summary>Reads a SolverParameter from a file in Caffe's text format; errors name the file as given.</summary>
    /// <exception cref="TextFormatException">Malformed text, an unknown field or a bad value; the message gives path:line:column.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SolverParameter ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Writes Caffe's text format, leaving out fields at their defaults; <see cref="Parse"/> reads it back.</summary>
    public string ToText() => TextFormatBinder.SolverParameterMessage.Format(this);

    /// <summary>
    /// Checks the values: the type is SGD, the regularization L2, the policy known and given what it needs
    /// (<c>stepsize</c> &gt; 0 for <c>step</c>, <c>max_iter</c> &gt; 0 for <c>poly</c>, increasing <c>stepvalue</c>),
    /// <c>iter_size</c> and <c>average_loss</c> at least 1, and non-negative counts.
    /// </summary>
    /// <exception cref="ArgumentException">A bad value; the message names the field.</exception>
    public void Validate()
    {
        if (Check() is (string field, string error))
        {
            throw new ArgumentException($"{field}: {error}");
        }
    }

    /// <summary>A deep copy.</summary>
    public SolverParameter Clone()
    {
        var copy = (SolverParameter)MemberwiseClone();
        copy.NetParam = NetParam?.Clone();
        copy.Stepvalue = [.. Stepvalue];
        copy.TestIter = [.. TestIter];
        copy.TestNet = [.. TestNet];
        copy.TestNetParam = [.. TestNetParam.Select(n => n.Clone())];
        return copy;
    }

    // The first problem found, as (field, message), or null.
    private (string Field, string Message)? Check()
    {
        if (Type != "SGD")
        {
            return ("type", $"solver type '{Type}' is not supported; only SGD is");
        }

        if (RegularizationType == "L1")
        {
            return ("regularization_type", "L1 regularization is not supported; use L2");
        }

        if (RegularizationType != "L2")
        {
            return ("regularization_type", $"unknown regularization_type '{RegularizationType}'; only L2 is supported");
        }

        if (!LrPolicies.Contains(LrPolicy))
        {
            return ("lr_policy", $"unknown lr_policy '{LrPolicy}'; expected one of {string.Join(", ", LrPolicies)}");
        }

        if (LrPolicy == "step" && Stepsize <= 0)
        {
            return ("stepsize", $"lr_policy step needs stepsize > 0, got {Stepsize}");
        }

        if (LrPolicy == "poly" && MaxIter <= 0)
        {
            return ("max_iter", $"lr_policy poly needs max_iter > 0, got {MaxIter}");
        }

        for (int i = 1; i < Stepvalue.Count; i++)
        {
            if (Stepvalue[i] <= Stepvalue[i - 1])
            {
                return ("stepvalue", $"stepvalue must increase: {Stepvalue[i]} follows {Stepvalue[i - 1]}");
            }
        }

        if (IterSize < 1)
        {
            return ("iter_size", $"iter_size must be at least 1, got {IterSize}");
        }

        if (AverageLoss < 1)
        {
            return ("average_loss", $"average_loss must be at least 1, got {AverageLoss}");
        }

        foreach (var (name, value) in new[]
        {
            ("max_iter", MaxIter), ("display", Display), ("test_interval", TestInterval), ("snapshot", Snapshot),
        })
        {
            if (value < 0)
            {
                return (name, $"{name} must not be negative, got {value}");
            }
        }

        if (TestIter.Find(t => t < 0) is var negative and < 0)
        {
            return ("test_iter", $"test_iter must not be negative, got {negative}");
        }

        // As Caffe: one test_iter per test net; the net (net/net_param) makes up the test nets not given explicitly.
        int explicitNets = TestNet.Count + TestNetParam.Count;
        bool generic = NetParam is not null || Net.Length > 0;
        if (TestIter.Count < explicitNets || (!generic && TestIter.Count != explicitNets))
        {
            return ("test_iter", $"test_iter is given {TestIter.Count} times for {explicitNets} test nets (test_net/test_net_param); give one per test net");
        }

        if (TestIter.Count > 0 && TestInterval == 0)
        {
            return ("test_interval", "test_iter is given but test_interval is 0: say how often to test");
        }

        if (Snapshot > 0 && SnapshotPrefix.Length == 0)
        {
            return ("snapshot_prefix", $"snapshot is {Snapshot} but snapshot_prefix is empty: say where snapshots go");
        }

        return null;
    }
}
