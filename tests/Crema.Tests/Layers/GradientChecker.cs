using System.Globalization;
using System.Numerics;
using System.Text;
using Crema.Core;
using Crema.Layers;

namespace Crema.Tests.Layers;

/// <summary>
/// Finite-difference gradient checks after Caffe's description. Each bottom element x is moved by ±step (in T, so
/// the numeric forward passes of a double layer run in double), the layer runs forward, and the central difference
/// of an objective is compared with the bottom diff that Backward gives for the same objective:
/// |analytic − numeric| ≤ threshold · max(|analytic|, |numeric|, 1).
/// <list type="bullet">
/// <item><see cref="CheckGradientSingle"/>: objective 2·top[i][j] (every top's diff 0 except 2 at that element).</item>
/// <item><see cref="CheckGradientExhaustive"/>: the same for every element of every top (one set of forward passes
/// serves all of them: each gives the whole Jacobian row).</item>
/// <item><see cref="CheckGradient"/>: objective Σ over tops of top²/2 (diff = top data).</item>
/// <item><see cref="CheckLossGradient"/>: a loss layer's own loss, the value Forward returns, with the top diffs
/// that SetUp wrote (the loss weights), so the loss weight is checked too.</item>
/// </list>
/// Bottoms that may not take a gradient (<see cref="Layer{T}.AllowForceBackward"/> false: labels) are not checked and
/// get propagateDown false. Before each Backward the checked diffs are filled with seeded garbage, so a layer that
/// adds to its bottom diff instead of writing it fails.
/// </summary>
internal sealed class GradientChecker<T>(double step, double threshold, int seed = 1701)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int MaxReported = 12;

    /// <summary>Objective 2·top[<paramref name="topIndex"/>][<paramref name="topDataIndex"/>].</summary>
    public void CheckGradientSingle(Layer<T> layer, IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top,
        int checkBottom, int topIndex, long topDataIndex) =>
        Report(FindMismatches(layer, bottom, top, checkBottom, [Objective.Element(topIndex, topDataIndex)]));

    /// <summary>Objective 2·top[i][j] for every element of every top.</summary>
    public void CheckGradientExhaustive(Layer<T> layer, IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top,
        int checkBottom = -1)
    {
        layer.SetUp(bottom, top);
        var objectives = new List<Objective>();
        for (int i = 0; i < top.Count; i++)
        {
            for (long j = 0; j < top[i].Count; j++)
            {
                objectives.Add(Objective.Element(i, j));
            }
        }

        Report(FindMismatches(layer, bottom, top, checkBottom, objectives));
    }

    /// <summary>Objective Σ over tops of top²/2.</summary>
    public void CheckGradient(Layer<T> layer, IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top,
        int checkBottom = -1) =>
        Report(FindMismatches(layer, bottom, top, checkBottom, [Objective.SumOfSquares]));

    /// <summary>Objective: the weighted loss that Forward returns.</summary>
    public void CheckLossGradient(Layer<T> layer, IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top,
        int checkBottom = -1) =>
        Report(FindMismatches(layer, bottom, top, checkBottom, [Objective.Loss]));

    /// <summary>
    /// Runs the check and returns one line per mismatching (objective, bottom, element), at most
    /// <see cref="MaxReported"/>, plus a count line when there were more. Empty when the gradients agree.
    /// </summary>
    public IReadOnlyList<string> FindMismatches(Layer<T> layer, IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top,
        int checkBottom, IReadOnlyList<Objective> objectives)
    {
        layer.SetUp(bottom, top);
        var propagateDown = new bool[bottom.Count];
        var checkedBottoms = new List<int>();
        for (int b = 0; b < bottom.Count; b++)
        {
            if (checkBottom < 0 ? layer.AllowForceBackward(b) : b == checkBottom)
            {
                propagateDown[b] = true;
                checkedBottoms.Add(b);
            }
        }

        Assert.That(checkedBottoms, Is.Not.Empty, "no bottom to check");

        // The top diffs the layer got from SetUp: the Loss objective keeps them.
        var setUpDiffs = top.Select(t => t.CpuDiff.ToArray()).ToArray();

        // Analytic: a forward and a backward pass per objective.
        var random = new Random(seed);
        var analytic = new double[objectives.Count][][];
        for (int o = 0; o < objectives.Count; o++)
        {
            foreach (int b in checkedBottoms)
            {
                var garbage = bottom[b].MutableCpuDiff;
                for (int k = 0; k < garbage.Length; k++)
                {
                    garbage[k] = T.CreateTruncating(10 + random.NextDouble());
                }
            }

            SetTopDiffs(objectives[o], top, setUpDiffs); // before Forward: a fused layer reads it there
            layer.Forward(bottom, top);
            SetTopDiffs(objectives[o], top, setUpDiffs);
            layer.Backward(top, propagateDown, bottom);
            analytic[o] = [.. bottom.Select((blob, b) => propagateDown[b] ? TestData.ToDouble<T>(blob.CpuDiff) : [])];
        }

        // Numeric: two forward passes per bottom element, each evaluating every objective. Forward's return (the Loss
        // objective) weights each top by its diff: give back the ones SetUp wrote.
        SetTopDiffs(Objective.Loss, top, setUpDiffs);
        var failures = new List<string>();
        int failureCount = 0;
        foreach (int b in checkedBottoms)
        {
            var blob = bottom[b];
            for (long k = 0; k < blob.Count; k++)
            {
                T original = blob.CpuData[(int)k];
                T plus = original + T.CreateTruncating(step);
                T minus = original - T.CreateTruncating(step);
                double realStep = double.CreateTruncating(plus) - double.CreateTruncating(minus);

                blob.MutableCpuData[(int)k] = plus;
                var positive = Evaluate(layer, bottom, top, objectives);
                blob.MutableCpuData[(int)k] = minus;
                var negative = Evaluate(layer, bottom, top, objectives);
                blob.MutableCpuData[(int)k] = original;

                for (int o = 0; o < objectives.Count; o++)
                {
                    double numeric = (positive[o] - negative[o]) / realStep;
                    double computed = analytic[o][b][k];
                    double scale = Math.Max(Math.Max(Math.Abs(computed), Math.Abs(numeric)), 1.0);
                    if (!(Math.Abs(computed - numeric) <= threshold * scale))
                    {
                        failureCount++;
                        if (failures.Count < MaxReported)
                        {
                            failures.Add(string.Create(CultureInfo.InvariantCulture,
                                $"{objectives[o]}: bottom {b} index {k} (x = {double.CreateTruncating(original):R}): analytic {computed:R}, numeric {numeric:R}, allowed {threshold * scale:G3}"));
                        }
                    }
                }
            }
        }

        if (failureCount > failures.Count)
        {
            failures.Add($"… {failureCount - failures.Count} more");
        }

        return failures;
    }

    private static void Report(IReadOnlyList<string> failures)
    {
        if (failures.Count > 0)
        {
            var message = new StringBuilder("gradient check failed (threshold · max(|analytic|, |numeric|, 1)):");
            foreach (var line in failures)
            {
                message.Append("\n  ").Append(line);
            }

            Assert.Fail(message.ToString());
        }
    }

    private static double[] Evaluate(Layer<T> layer, IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top,
        IReadOnlyList<Objective> objectives)
    {
        double loss = double.CreateTruncating(layer.Forward(bottom, top));
        var values = new double[objectives.Count];
        double[][]? tops = null;
        for (int o = 0; o < objectives.Count; o++)
        {
            var objective = objectives[o];
            if (objective.Kind == ObjectiveKind.Loss)
            {
                values[o] = loss;
                continue;
            }

            tops ??= [.. top.Select(t => TestData.ToDouble<T>(t.CpuData))];
            if (objective.Kind == ObjectiveKind.Element)
            {
                values[o] = 2 * tops[objective.TopIndex][objective.TopDataIndex];
            }
            else
            {
                double sum = 0;
                foreach (var t in tops)
                {
                    foreach (double v in t)
                    {
                        sum += v * v;
                    }
                }

                values[o] = sum / 2;
            }
        }

        return values;
    }

    private static void SetTopDiffs(Objective objective, IReadOnlyList<Blob<T>> top, T[][] setUpDiffs)
    {
        for (int i = 0; i < top.Count; i++)
        {
            var diff = top[i].MutableCpuDiff;
            switch (objective.Kind)
            {
                case ObjectiveKind.Loss:
                    setUpDiffs[i].CopyTo(diff);
                    break;
                case ObjectiveKind.SumOfSquares:
                    top[i].CpuData.CopyTo(diff);
                    break;
                default:
                    diff.Clear();
                    if (i == objective.TopIndex)
                    {
                        diff[(int)objective.TopDataIndex] = T.CreateTruncating(2);
                    }

                    break;
            }
        }
    }
}

/// <summary>What a gradient check differentiates.</summary>
public enum ObjectiveKind
{
    /// <summary>2·top[i][j].</summary>
    Element,

    /// <summary>Σ top²/2.</summary>
    SumOfSquares,

    /// <summary>The weighted loss Forward returns.</summary>
    Loss,
}

/// <summary>One objective of a gradient check.</summary>
internal readonly record struct Objective(ObjectiveKind Kind, int TopIndex, long TopDataIndex)
{
    internal static Objective Loss => new(ObjectiveKind.Loss, -1, -1);

    internal static Objective SumOfSquares => new(ObjectiveKind.SumOfSquares, -1, -1);

    internal static Objective Element(int topIndex, long topDataIndex) => new(ObjectiveKind.Element, topIndex, topDataIndex);

    public override string ToString() => Kind switch
    {
        ObjectiveKind.Element => $"2·top[{TopIndex}][{TopDataIndex}]",
        ObjectiveKind.SumOfSquares => "Σ top²/2",
        _ => "loss",
    };
}
