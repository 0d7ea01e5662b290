using System.Numerics;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// The definitions of docs/softmax-loss-semantics.md: normalization modes and the legacy flag, loss weight, the fused
/// mode, two tops, the bottom diff holding no scratch, Caffe's clamp, label smoothing and class weights.
/// </summary>
public abstract partial class SoftmaxWithLossLayerTests<T>
{
    protected static readonly int[] SmallShape = [4, 5, 2, 3];
    protected static readonly int[] SmallLabelShape = [4, 1, 2, 3];

    [TestCase(NormalizationMode.Full, 24)]
    [TestCase(NormalizationMode.Valid, -1)]
    [TestCase(NormalizationMode.BatchSize, 4)]
    [TestCase(NormalizationMode.None, 1)]
    public void Normalization_DividesTheSumByItsCount(NormalizationMode mode, int count)
    {
        var labels = LayerTestData.Labels(24, 5, seed: 3);
        double normalizer = count > 0 ? count : labels.Count(l => l != 0);
        var sum = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = NormalizationMode.None;
            p.IgnoreLabel = 0;
        }), labels: labels);
        var normalized = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = mode;
            p.IgnoreLabel = 0;
        }), labels: labels);

        sum.Forward();
        normalized.Forward();
        sum.Backward();
        normalized.Backward();

        Assert.That(normalized.LossValue, Is.EqualTo(sum.LossValue / normalizer).Within(Tolerance * Math.Max(1, normalized.LossValue)));
        var expected = Expected(normalized);
        Assert.That(expected.Normalizer, Is.EqualTo(normalizer), "the reference's normalizer");
        TestData.AssertClose(normalized.LossValue, expected.Loss, Tolerance, "loss");
        AssertGradient(normalized, expected, Tolerance);
    }

    [TestCase(true, NormalizationMode.Valid)]
    [TestCase(false, NormalizationMode.BatchSize)]
    public void LegacyNormalize_MeansValidOrBatchSize(bool normalize, NormalizationMode mode)
    {
        var legacy = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalize = normalize;
            p.IgnoreLabel = 1;
        }));
        var explicitMode = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = mode;
            p.IgnoreLabel = 1;
        }));

        AssertSameResults(legacy, explicitMode);
    }

    [Test]
    public void Normalization_TakesPrecedenceOverLegacyNormalize()
    {
        var both = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = NormalizationMode.Full;
            p.Normalize = false;
            p.IgnoreLabel = 1;
        }));
        var full = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = NormalizationMode.Full;
            p.IgnoreLabel = 1;
        }));

        AssertSameResults(both, full);
    }

    [Test]
    public void DefaultNormalization_IsValid()
    {
        var unset = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 4));
        var valid = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = NormalizationMode.Valid;
            p.IgnoreLabel = 4;
        }));

        AssertSameResults(unset, valid);
    }

    [TestCase(4f)]
    [TestCase(0.5f)]
    public void LossWeight_PowerOfTwo_ScalesTheReturnAndTheGradientExactly(float lossWeight)
    {
        var one = SmallCase(LayerTestData.SoftmaxWithLoss());
        var weighted = SmallCase(LayerTestData.SoftmaxWithLoss(lossWeight: lossWeight));

        T returnedOne = one.Layer.Forward(one.Bottom, one.Top);
        T returned = weighted.Layer.Forward(weighted.Bottom, weighted.Top);
        one.Backward();
        weighted.Backward();

        var w = T.CreateTruncating(lossWeight);
        Assert.That(weighted.Loss.CpuData[0], Is.EqualTo(one.Loss.CpuData[0]), "top[0] holds the unweighted loss");
        Assert.That(returned, Is.EqualTo(returnedOne * w), "Forward returns loss_weight · loss");
        Assert.That(weighted.Logits.GetDiff(), Is.EqualTo(one.Logits.GetDiff().Select(g => g * w).ToArray()), "gradient");
    }

    [Test]
    public void LossWeight_Three_ScalesTheReturnAndTheGradient()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(lossWeight: 3));

        double returned = c.Forward();
        c.Backward();

        var expected = Expected(c);
        Assert.That(c.Layer.LossWeight(0), Is.EqualTo(T.CreateTruncating(3)));
        TestData.AssertClose(c.LossValue, expected.Loss, Tolerance, "top[0]");
        TestData.AssertClose(returned, 3 * expected.Loss, Tolerance, "Forward's return");
        AssertGradient(c, expected, Tolerance);
    }

    [Test]
    public void LossWeightZero_GivesNoLossAndAZeroGradient()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(lossWeight: 0));

        double returned = c.Forward();
        c.Logits.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(120, seed: 5)));
        c.Backward();

        Assert.That(c.Layer.HasLoss, Is.False);
        Assert.That(returned, Is.Zero);
        Assert.That(c.LossValue, Is.GreaterThan(0), "top[0] still holds the loss");
        Assert.That(c.Logits.GetDiff(), Is.All.EqualTo(T.Zero));
    }

    [Test]
    public void TopDiff_ScalesTheGradient()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss());

        c.Forward();
        c.Loss.SetDiff([T.CreateTruncating(-2.5)]);
        c.Backward();

        AssertGradient(c, Expected(c, topDiff: -2.5), Tolerance);
    }

    [TestCase(1f)]
    [TestCase(3f)]
    public void FusedBackward_GivesTheSameGradientAsForwardThenBackward(float lossWeight)
    {
        var separate = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 2, lossWeight: lossWeight));
        var fused = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 2, lossWeight: lossWeight));
        fused.Layer.FusedBackward = true;
        fused.Logits.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(120, seed: 6, std: 100)));

        double separateReturn = separate.Forward();
        separate.Backward();
        double fusedReturn = fused.Forward();

        Assert.That(fused.Layer.FusedBackward, Is.True);
        Assert.That(fusedReturn, Is.EqualTo(separateReturn), "the loss");
        TestData.AssertClose<T>(fused.Logits.CpuDiff, Diff(separate.Logits), Tolerance, "gradient written by the fused Forward");
    }

    [Test]
    public void FusedBackward_BackwardDoesNothing()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss());
        c.Layer.FusedBackward = true;
        c.Forward();
        var sentinel = LayerTestData.Cast<T>(LayerTestData.Gaussian(120, seed: 7));
        c.Logits.SetDiff(sentinel);

        c.Backward();

        Assert.That(c.Logits.GetDiff(), Is.EqualTo(sentinel));
    }

    [Test]
    public void FusedBackward_UsesTheTopDiffAsItIsAtForwardTime()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss());
        c.Layer.FusedBackward = true;
        c.Loss.SetDiff([T.CreateTruncating(5)]);

        c.Forward();
        c.Loss.SetDiff([T.CreateTruncating(7)]);
        c.Backward();

        AssertGradient(c, Expected(c, topDiff: 5), Tolerance);
    }

    [Test]
    public void TwoTops_TheSecondHoldsTheSoftmaxOutput()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(), twoTops: true);
        var softmaxTop = MakeTop();
        var softmax = MakeSoftmaxLayer(LayerTestData.Softmax());
        softmax.SetUp([c.Logits], [softmaxTop]);

        c.Forward();
        softmax.Forward([c.Logits], [softmaxTop]);

        Assert.That(c.Probabilities!.Shape, Is.EqualTo(SmallShape));
        TestData.AssertClose<T>(c.Probabilities.CpuData, Data(softmaxTop), IsFloat ? 1e-6 : 1e-14, "probabilities vs Softmax");
        TestData.AssertClose<T>(c.Probabilities.CpuData, Expected(c).Probabilities, Tolerance, "probabilities vs reference");
    }

    [Test]
    public void TwoTops_TheSecondHasNoLossWeight_AndLossAndGradientAreThoseOfOneTop()
    {
        // Upstream Caffe crashed here (issue #2968): the inner softmax inherited the loss weight.
        var two = SmallCase(LayerTestData.SoftmaxWithLoss(), twoTops: true);
        var one = SmallCase(LayerTestData.SoftmaxWithLoss());

        Assert.That(two.Layer.LossWeight(0), Is.EqualTo(T.One));
        Assert.That(two.Layer.LossWeight(1), Is.EqualTo(T.Zero));
        AssertSameResults(two, one);
    }

    [Test]
    public void TwoTops_WithALossWeightPerTop()
    {
        var param = LayerTestData.SoftmaxWithLoss();
        param.LossWeight.AddRange([2f, 0f]);
        var two = SmallCase(param, twoTops: true);
        var one = SmallCase(LayerTestData.SoftmaxWithLoss(lossWeight: 2));

        AssertSameResults(two, one);
    }

    [Test]
    public void Forward_DoesNotTouchTheBottomDiff()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 0), twoTops: true);
        var sentinel = LayerTestData.Cast<T>(LayerTestData.Gaussian(120, seed: 8));
        c.Logits.SetDiff(sentinel);

        c.Forward();

        Assert.That(c.Logits.GetDiff(), Is.EqualTo(sentinel), "no scratch in the bottom diff (upstream #2895)");
    }

    [Test]
    public void Backward_OverwritesTheBottomDiff_IgnoredPositionsWithZero()
    {
        var fresh = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 0));
        var dirty = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 0));
        var garbage = LayerTestData.Cast<T>(LayerTestData.Gaussian(120, seed: 9, std: 1e6));
        garbage[0] = T.NaN;
        garbage[1] = T.PositiveInfinity;

        fresh.Forward();
        fresh.Backward();
        dirty.Logits.SetDiff(garbage);
        dirty.Forward();
        dirty.Backward();

        Assert.That(dirty.Logits.GetDiff(), Is.EqualTo(fresh.Logits.GetDiff()));
        var labels = Data(dirty.Labels);
        var diff = Diff(dirty.Logits);
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                if (labels[(i * 6) + j] == 0)
                {
                    for (int c = 0; c < 5; c++)
                    {
                        Assert.That(diff[(i * 30) + (c * 6) + j], Is.Zero, $"ignored position ({i}, {j}), class {c}");
                    }
                }
            }
        }
    }

    [Test]
    public void Backward_WithoutPropagateDown_LeavesTheBottomDiffAlone()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss());
        var sentinel = LayerTestData.Cast<T>(LayerTestData.Gaussian(120, seed: 10));
        c.Forward();
        c.Logits.SetDiff(sentinel);

        c.Layer.Backward(c.Top, [false, false], c.Bottom);

        Assert.That(c.Logits.GetDiff(), Is.EqualTo(sentinel));
    }

    [TestCase(-200.0)]
    [TestCase(double.NegativeInfinity)]
    public void Clamp_ATargetFarBelowTheOthers_GivesExactly87Point3365(double target)
    {
        var c = MakeCase([1, 5], [0, 1, target, -1, 0.5], [1], [2], LayerTestData.SoftmaxWithLoss());

        double returned = c.Forward();
        c.Backward();

        Assert.That(c.Loss.CpuData[0], Is.EqualTo(T.CreateTruncating(87.336544750553)));
        Assert.That(returned, Is.EqualTo(double.CreateTruncating(T.CreateTruncating(87.336544750553))));
        AssertGradient(c, Expected(c), Tolerance);
        Assert.That(Diff(c.Logits).All(double.IsFinite), Is.True, "the gradient is finite");
    }

    [Test]
    public void Clamp_AppliesPerPosition()
    {
        // Three positions, the middle one far below: 87.3365… plus two ordinary losses.
        double[] logits = [0, 1, 2, 0.5, -300, 1, 0, 1, 2];
        var c = MakeCase([3, 3], logits, [3], [0, 1, 2], LayerTestData.SoftmaxWithLoss(p => p.Normalization = NormalizationMode.None));

        c.Forward();

        var expected = Expected(c);
        TestData.AssertClose(c.LossValue, expected.Loss, Tolerance, "loss");
        Assert.That(expected.Loss, Is.GreaterThan(SoftmaxLossReference.Clamp).And.LessThan(SoftmaxLossReference.Clamp + 5));
    }

    [TestCaseSource(typeof(PyTorchCases), nameof(PyTorchCases.All))]
    public void LabelSmoothingAndClassWeights_MatchPyTorch(LossParameter loss, double expectedLoss, double[] expectedGradient)
    {
        var param = LayerTestData.SoftmaxWithLoss();
        param.LossParam = loss.Clone();
        var c = MakeCase(PyTorchCases.Shape, PyTorchCases.Logits, PyTorchCases.LabelShape, PyTorchCases.Labels, param);

        double returned = c.Forward();
        c.Backward();

        TestData.AssertClose(returned, expectedLoss, Tolerance, "loss");
        TestData.AssertClose<T>(c.Logits.CpuDiff, expectedGradient, Tolerance, "gradient");
    }

    [Test]
    public void SmoothingZeroAndUnitWeights_GiveCaffesResultsExactly()
    {
        var plain = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 3));
        var weighted = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.IgnoreLabel = 3;
            p.LabelSmoothing = 0;
            p.Weight.AddRange([1f, 1f, 1f, 1f, 1f]);
        }));

        AssertSameResults(weighted, plain);
    }

    [TestCase(4)]
    [TestCase(6)]
    public void ClassWeights_NotOnePerClass_Throw(int count)
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.Weight.AddRange(Enumerable.Repeat(1f, count))), setUp: false);

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => c.Layer.SetUp(c.Bottom, c.Top));

        Assert.That(e!.Message, Does.Contain(count.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Contain("5"));
    }

    [TestCase(-0.1f)]
    [TestCase(1.5f)]
    [TestCase(float.NaN)]
    public void LabelSmoothing_OutsideZeroToOne_Throws(float epsilon)
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(p => p.LabelSmoothing = epsilon), setUp: false);

        Assert.That(() => c.Layer.SetUp(c.Bottom, c.Top), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public void NegativeAxis_CountsFromTheEnd()
    {
        var positive = SmallCase(LayerTestData.SoftmaxWithLoss(axis: 1));
        var negative = SmallCase(LayerTestData.SoftmaxWithLoss(axis: -3));

        AssertSameResults(negative, positive);
    }

    [TestCase(2, new[] { 4, 3, 6 }, new[] { 4, 3 })]
    [TestCase(-1, new[] { 4, 3, 6 }, new[] { 4, 3 })]
    [TestCase(1, new[] { 6, 7 }, new[] { 6 })]
    [TestCase(2, new[] { 2, 3, 4, 1, 2 }, new[] { 2, 6 })]
    public void OtherAxes_AndLabelShapes_MatchTheReference(int axis, int[] shape, int[] labelShape)
    {
        var (outer, channels, inner) = SoftmaxLossReference.Split(shape, axis);
        var c = MakeCase(shape, LayerTestData.Gaussian(outer * channels * inner, seed: 11, std: 2), labelShape,
            LayerTestData.Labels(outer * inner, channels, seed: 12), LayerTestData.SoftmaxWithLoss(axis: axis), twoTops: true);

        c.Forward();
        c.Backward();

        var expected = Expected(c);
        TestData.AssertClose(c.LossValue, expected.Loss, Tolerance, "loss");
        TestData.AssertClose<T>(c.Probabilities!.CpuData, expected.Probabilities, Tolerance, "probabilities");
        AssertGradient(c, expected, Tolerance);
    }

    [Test]
    public void Reshape_ToAnotherBatchSize_BetweenPasses()
    {
        var c = CaffeCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 1), twoTops: true);
        c.Forward();

        c.Logits.Reshape(3, 5, 2, 3);
        c.Labels.Reshape(3, 1, 2, 3);
        c.Logits.SetData(LayerTestData.Cast<T>(LayerTestData.Gaussian(90, seed: 13, std: 4)));
        c.Labels.SetData(LayerTestData.Cast<T>(LayerTestData.Labels(18, 5, seed: 14)));
        c.Forward();
        c.Backward();

        var expected = Expected(c);
        Assert.That(c.Probabilities!.Shape, Is.EqualTo(new[] { 3, 5, 2, 3 }));
        TestData.AssertClose(c.LossValue, expected.Loss, Tolerance, "loss");
        AssertGradient(c, expected, Tolerance);
    }

    // Shapes that split into several work units on the CPU (inner wider than one unit; many rows) and past the
    // size where the CPU goes parallel; each twice, to see the loss is the same.
    [TestCase(new[] { 3, 2, 10000 }, false)]
    [TestCase(new[] { 700, 100 }, true)]
    [TestCase(new[] { 5000, 70 }, false)]
    [TestCase(new[] { 100000, 3 }, true)]
    [TestCase(new[] { 4, 5, 20000 }, true)]
    [TestCase(new[] { 2, 1000, 150 }, false)]
    public void LargeShapes_MatchTheReference_AndRepeat(int[] shape, bool smoothingAndWeights)
    {
        var (outer, channels, inner) = SoftmaxLossReference.Split(shape, 1);
        int[] labelShape = [.. shape.Where((_, k) => k != 1)];
        var labels = LayerTestData.Labels(outer * inner, channels, seed: 21);
        for (int p = 0; p < labels.Length; p += 5)
        {
            labels[p] = 255;
        }

        var c = MakeCase(shape, LayerTestData.Gaussian((long)outer * channels * inner, seed: 20, std: 4), labelShape, labels,
            LayerTestData.SoftmaxWithLoss(p =>
            {
                p.IgnoreLabel = 255;
                if (smoothingAndWeights)
                {
                    p.LabelSmoothing = 0.1f;
                    p.Weight.AddRange(Enumerable.Range(0, channels).Select(k => 0.5f + (k % 4)));
                }
            }), twoTops: true);

        T first = c.Layer.Forward(c.Bottom, c.Top);
        T second = c.Layer.Forward(c.Bottom, c.Top);
        c.Backward();

        Assert.That(second, Is.EqualTo(first), "the same loss twice");
        var expected = Expected(c);
        TestData.AssertClose(c.LossValue, expected.Loss, Tolerance, "loss");
        TestData.AssertClose<T>(c.Probabilities!.CpuData, expected.Probabilities, Tolerance, "probabilities");
        AssertGradient(c, expected, Tolerance);
    }

    /// <summary>Logits (4, 5, 2, 3) from N(0, 3²) and labels (4, 1, 2, 3) in [0, 5) (or <paramref name="labels"/>).</summary>
    private LossCase SmallCase(LayerParameter param, bool twoTops = false, double[]? labels = null, bool setUp = true) =>
        MakeCase(SmallShape, LayerTestData.Gaussian(120, seed: 2, std: 3), SmallLabelShape,
            labels ?? LayerTestData.Labels(24, 5, seed: 3), param, twoTops, setUp);

    /// <summary>Forward and Backward on both; the loss, the return and the gradient must be bitwise equal.</summary>
    private static void AssertSameResults(LossCase actual, LossCase expected)
    {
        T actualReturn = actual.Layer.Forward(actual.Bottom, actual.Top);
        T expectedReturn = expected.Layer.Forward(expected.Bottom, expected.Top);
        actual.Backward();
        expected.Backward();

        Assert.That(actual.Loss.CpuData[0], Is.EqualTo(expected.Loss.CpuData[0]), "top[0]");
        Assert.That(actualReturn, Is.EqualTo(expectedReturn), "Forward's return");
        Assert.That(actual.Logits.GetDiff(), Is.EqualTo(expected.Logits.GetDiff()), "gradient");
    }
}
