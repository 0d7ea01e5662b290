using System.Globalization;
using Crema.Parameters;
using FsCheck;
using FsCheck.Fluent;

namespace Crema.Tests.Layers;

/// <summary>Which labels a property case ignores.</summary>
internal enum IgnoreKind
{
    /// <summary>No ignore_label.</summary>
    None,

    /// <summary>ignore_label is the label at one position, so every position with that label is ignored.</summary>
    Present,

    /// <summary>ignore_label −1, which no label has.</summary>
    Absent,

    /// <summary>ignore_label 255 (outside [0, C)), put at about a fifth of the positions.</summary>
    OutOfRange,
}

/// <summary>
/// One random SoftmaxWithLoss setting for the property tests: a shape with 1–3 axes before the class axis and 0–3
/// after it (dimensions from 1, C from 1 to 40), the axis given as positive or negative, a label shape, the loss
/// settings, and a seed for the logits and labels (C sometimes 60–200 too).
/// </summary>
internal sealed record LossPropertyCase(
    int[] Shape,
    int Axis,
    int LabelLayout,
    int Seed,
    double Scale,
    IgnoreKind Ignore,
    NormalizationMode? Normalization,
    bool? Normalize,
    float? LossWeight,
    float Smoothing,
    bool Weighted,
    bool TwoTops,
    bool Fused)
{
    private const int MaxCount = 6000;

    public int Outer => SoftmaxLossReference.Split(Shape, Axis).Outer;

    public int Channels => SoftmaxLossReference.Split(Shape, Axis).Channels;

    public int Inner => SoftmaxLossReference.Split(Shape, Axis).Inner;

    /// <summary>top[0].diff[0] after SetUp: the loss weight.</summary>
    public double TopDiff => LossWeight ?? 1f;

    /// <summary>The label blob's shape: the logits' without the class axis, with it as 1, or (N, rest).</summary>
    public int[] LabelShape
    {
        get
        {
            int axis = Axis < 0 ? Axis + Shape.Length : Axis;
            return LabelLayout switch
            {
                0 => [.. Shape.Where((_, k) => k != axis)],
                1 => [.. Shape.Select((d, k) => k == axis ? 1 : d)],
                _ => [Shape[0], Outer * Inner / Shape[0]],
            };
        }
    }

    public int? IgnoreLabel => Ignore switch
    {
        IgnoreKind.Present => (int)Labels()[new Random(Seed + 2).Next(Outer * Inner)],
        IgnoreKind.Absent => -1,
        IgnoreKind.OutOfRange => 255,
        _ => null,
    };

    public double[] Logits() => LayerTestData.Gaussian((long)Outer * Channels * Inner, Seed, std: Scale);

    public double[] Labels()
    {
        var labels = LayerTestData.Labels(Outer * Inner, Channels, Seed + 1);
        if (Ignore == IgnoreKind.OutOfRange)
        {
            var random = new Random(Seed + 3);
            for (int p = 0; p < labels.Length; p++)
            {
                if (random.Next(5) == 0)
                {
                    labels[p] = 255;
                }
            }
        }

        return labels;
    }

    public float[] Weights()
    {
        if (!Weighted)
        {
            return [];
        }

        var random = new Random(Seed + 4);
        return [.. Enumerable.Range(0, Channels).Select(_ => (float)(2 * random.NextDouble()))];
    }

    public LayerParameter Parameter()
    {
        var param = LayerTestData.SoftmaxWithLoss(p =>
        {
            p.IgnoreLabel = IgnoreLabel;
            p.Normalization = Normalization;
            p.Normalize = Normalize;
            p.LabelSmoothing = Smoothing;
            p.Weight.AddRange(Weights());
        }, axis: Axis);
        if (LossWeight is float weight)
        {
            param.LossWeight.Add(weight);
            if (TwoTops)
            {
                param.LossWeight.Add(0);
            }
        }

        return param;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"shape ({string.Join(", ", Shape)}), axis {Axis}, labels ({string.Join(", ", LabelShape)}), seed {Seed}, scale {Scale}, " +
        $"ignore {Ignore} ({IgnoreLabel?.ToString(CultureInfo.InvariantCulture) ?? "none"}), normalization {Normalization?.ToString() ?? "unset"}, " +
        $"normalize {Normalize?.ToString() ?? "unset"}, loss_weight {LossWeight?.ToString(CultureInfo.InvariantCulture) ?? "unset"}, " +
        $"smoothing {Smoothing}, weighted {Weighted}, two tops {TwoTops}, fused {Fused}");

    /// <summary>Cases with logits drawn from N(0, s²), s one of <paramref name="scales"/>.</summary>
    public static Arbitrary<LossPropertyCase> Arbitrary(params double[] scales) => Arb.From(Generator(scales));

    private static Gen<LossPropertyCase> Generator(double[] scales)
    {
        var flag = Gen.Elements(true, false);
        var dim = Gen.Frequency((2, Gen.Constant(1)), (3, Gen.Choose(2, 3)), (1, Gen.Choose(4, 6)));
        // C up to 40 as the issue asks, plus some past 64, where the CPU switches to per-row vector calls.
        var channels = Gen.Frequency((1, Gen.Constant(1)), (2, Gen.Choose(2, 6)), (4, Gen.Choose(7, 40)), (1, Gen.Choose(60, 200)));
        var shapes =
            from before in Gen.Choose(1, 3)
            from after in Gen.Choose(0, 3)
            from dims in Gen.ArrayOf(dim, before + after)
            from c in channels
            let shape = dims.Take(before).Append(c).Concat(dims.Skip(before)).ToArray()
            where shape.Aggregate(1L, (a, d) => a * d) <= MaxCount
            from negative in flag
            select (Shape: shape, Axis: negative ? before - shape.Length : before);
        var settings =
            from ignore in Gen.Elements(IgnoreKind.None, IgnoreKind.Present, IgnoreKind.Absent, IgnoreKind.OutOfRange)
            from normalization in Gen.Elements<NormalizationMode?>(null, NormalizationMode.Full, NormalizationMode.Valid,
                NormalizationMode.BatchSize, NormalizationMode.None)
            from normalize in Gen.Elements<bool?>(null, true, false)
            from lossWeight in Gen.Elements<float?>(null, 1f, 0.5f, 3f, 2.5f, 0f)
            from smoothing in Gen.Frequency((3, Gen.Constant(0f)), (1, Gen.Elements(0.05f, 0.1f, 0.3f, 1f)))
            from weighted in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            select (ignore, normalization, normalize, lossWeight, smoothing, weighted);
        return
            from s in shapes
            from layout in Gen.Choose(0, 2)
            from seed in Gen.Choose(0, 1 << 30)
            from scale in Gen.Elements(scales)
            from loss in settings
            from twoTops in flag
            from fused in flag
            select new LossPropertyCase(s.Shape, s.Axis, layout, seed, scale, loss.ignore, loss.normalization, loss.normalize,
                loss.lossWeight, loss.smoothing, loss.weighted, twoTops, fused);
    }
}
