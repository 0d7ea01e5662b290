namespace Crema.Bench.Softmax;

/// <summary>
/// The named shapes of the softmax benchmarks (docs: ANCHORS.md), one set per engine: the GPU shapes are several
/// times larger than a GPU's L2; the CPU shapes keep the managed path to tens of milliseconds per op on two cores.
/// The class axis is always 1; the PyTorch peer (bench/peer/torch_softmax.py) uses the same table.
/// </summary>
public static class SoftmaxCases
{
    /// <summary>The label that marks a position as ignored. -1 is never a class, whatever C is (255 is one at C = 1000).</summary>
    public const int IgnoreLabel = -1;

    /// <summary>The share of positions whose label is <see cref="IgnoreLabel"/>.</summary>
    public const double IgnoredFraction = 0.1;

    /// <summary>Case names, in table order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["imagenet", "vocab32k", "seg21", "smallK10"];

    private static readonly Dictionary<string, (int[] Gpu, int[] Cpu)> Shapes = new(StringComparer.Ordinal)
    {
        ["imagenet"] = ([32768, 1000], [4096, 1000]),
        ["vocab32k"] = ([8192, 32000], [512, 32000]),
        ["seg21"] = ([16, 21, 512, 512], [4, 21, 256, 256]),
        ["smallK10"] = ([4194304, 10], [1048576, 10]),
    };

    /// <summary>The logits' shape of case <paramref name="name"/> on the GPU or the CPU (class axis 1).</summary>
    /// <exception cref="ArgumentException">Unknown case.</exception>
    public static int[] ShapeOf(string name, bool gpu) =>
        Shapes.TryGetValue(name, out var shapes)
            ? (int[])(gpu ? shapes.Gpu : shapes.Cpu).Clone()
            : throw new ArgumentException($"unknown softmax case '{name}' (known: {string.Join(", ", Names)})", nameof(name));

    /// <summary>The labels' shape: the logits' shape without the class axis (one label per position).</summary>
    public static int[] LabelShapeOf(int[] shape) => [shape[0], .. shape.AsSpan(2)];

    /// <summary>Elements of the logits: M positions × C classes.</summary>
    public static long ElementCount(int[] shape)
    {
        long count = 1;
        foreach (int dimension in shape)
        {
            count *= dimension;
        }

        return count;
    }

    /// <summary>The shape as the tables print it: 16×21×512×512.</summary>
    public static string Format(int[] shape) => string.Join('×', shape);
}
