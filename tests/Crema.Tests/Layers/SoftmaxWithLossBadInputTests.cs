using System.Globalization;
using System.Numerics;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// SPEC §6 for SoftmaxWithLoss: invalid labels (named by position and value, on the GPU too), shape mismatches, axis
/// out of range, back-propagation to labels, empty batches, all labels ignored, NaN and ±inf logits, blob counts.
/// </summary>
public abstract partial class SoftmaxWithLossLayerTests<T>
{
    protected const int BadPosition = 13;

    [TestCase(5.0, "5")]
    [TestCase(17.0, "17")]
    [TestCase(-1.0, "-1")]
    [TestCase(2.5, "2.5")]
    [TestCase(double.NaN, "NaN")]
    public void InvalidLabel_Throws_NamingPositionAndValue(double label, string valueText)
    {
        var c = LabelCase(LayerTestData.SoftmaxWithLoss(), (BadPosition, label));

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => c.Forward());

        AssertNamesPositionAndValue(e!.Message, BadPosition, valueText);
    }

    [Test]
    public void InvalidLabel_IsReportedByThrowIfDeviceErrorsAfterADeferredForward()
    {
        var c = LabelCase(LayerTestData.SoftmaxWithLoss(), (BadPosition, 9.0));

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () =>
        {
            c.Layer.ForwardDeferred(c.Bottom, c.Top);
            c.Layer.ThrowIfDeviceErrors();
        });

        AssertNamesPositionAndValue(e!.Message, BadPosition, "9");
    }

    [Test]
    public void InvalidLabel_IsReportedByReadLossAfterADeferredForward()
    {
        var c = LabelCase(LayerTestData.SoftmaxWithLoss(), (BadPosition, -3.0));

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () =>
        {
            c.Layer.ForwardDeferred(c.Bottom, c.Top);
            c.Layer.ReadLoss(c.Top);
        });

        AssertNamesPositionAndValue(e!.Message, BadPosition, "-3");
    }

    [Test]
    public void InvalidLabels_TheFirstPositionIsReported()
    {
        var c = LabelCase(LayerTestData.SoftmaxWithLoss(), (17, 9.0), (5, 7.0), (21, -4.0));

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => c.Forward());

        AssertNamesPositionAndValue(e!.Message, 5, "7");
        Assert.That(e.Message, Does.Not.Match(@"\b17\b").And.Not.Match(@"\b9\b"), "only the first offending position");
    }

    [Test]
    public void InvalidLabel_TheNextForwardWithValidLabelsWorks()
    {
        var c = LabelCase(LayerTestData.SoftmaxWithLoss(), (BadPosition, 5.0));
        Assert.That(() => c.Forward(), Throws.InstanceOf<ArgumentException>());

        c.Labels.SetData(LayerTestData.Cast<T>(LayerTestData.Labels(24, 5, seed: 3)));
        double loss = c.Forward();
        c.Backward();

        var expected = Expected(c);
        TestData.AssertClose(loss, expected.Loss, Tolerance, "loss");
        AssertGradient(c, expected, Tolerance);
    }

    [TestCase(255)]
    [TestCase(-1)]
    public void IgnoreLabel_OutsideTheClassRange_IsIgnoredNotInvalid(int ignore)
    {
        var c = LabelCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = ignore), (BadPosition, ignore), (2, ignore));

        double loss = c.Forward();
        c.Backward();

        var expected = Expected(c);
        TestData.AssertClose(loss, expected.Loss, Tolerance, "loss");
        AssertGradient(c, expected, Tolerance);
    }

    [Test]
    public void ShapeMismatch_BatchSize_Throws_NamingBothShapes()
    {
        int[] labelShape = [9, 1, 2, 3];
        var c = MakeCase(SmallShape, new double[120], labelShape, new double[54], LayerTestData.SoftmaxWithLoss(), setUp: false);

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => c.Layer.SetUp(c.Bottom, c.Top));

        LayerTestData.AssertNamesShape(e!.Message, [4, 5, 2, 3], "logits");
        LayerTestData.AssertNamesShape(e.Message, labelShape, "label");
    }

    [TestCase(new[] { 4, 1, 2, 2 })]
    [TestCase(new[] { 4, 7 })]
    [TestCase(new[] { 4, 5, 2, 3 })]
    public void ShapeMismatch_LabelCount_Throws_NamingBothShapes(int[] labelShape)
    {
        int count = labelShape.Aggregate(1, (a, b) => a * b);
        var c = MakeCase(SmallShape, new double[120], labelShape, new double[count], LayerTestData.SoftmaxWithLoss(), setUp: false);

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => c.Layer.SetUp(c.Bottom, c.Top));

        LayerTestData.AssertNamesShape(e!.Message, [4, 5, 2, 3], "logits");
        LayerTestData.AssertNamesShape(e.Message, labelShape, "label");
    }

    [Test]
    public void ShapeMismatch_AfterSetUp_ForwardThrows()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss());
        c.Labels.Reshape(4, 1, 2, 2);

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => c.Forward());

        LayerTestData.AssertNamesShape(e!.Message, [4, 1, 2, 2], "label");
    }

    [TestCase(4)]
    [TestCase(-5)]
    [TestCase(9)]
    public void AxisOutOfRange_Throws_NamingTheAxis(int axis)
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(axis: axis), setUp: false);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => c.Layer.SetUp(c.Bottom, c.Top));

        Assert.That(e!.Message, Does.Contain(axis.ToString(CultureInfo.InvariantCulture)));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void PropagateDownToLabels_Throws(bool toLogits)
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss());
        c.Forward();

        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => c.Layer.Backward(c.Top, [toLogits, true], c.Bottom));

        Assert.That(e!.Message, Does.Contain("cannot backpropagate to label inputs"));
        Assert.That(c.Layer.AllowForceBackward(1), Is.False);
        Assert.That(c.Layer.AllowForceBackward(0), Is.True);
    }

    [TestCase(NormalizationMode.Valid)]
    [TestCase(NormalizationMode.Full)]
    [TestCase(NormalizationMode.BatchSize)]
    [TestCase(NormalizationMode.None)]
    public void EmptyBatch_GivesLossZero(NormalizationMode mode)
    {
        var c = MakeCase([0, 5, 2, 3], [], [0, 1, 2, 3], [], LayerTestData.SoftmaxWithLoss(p => p.Normalization = mode), twoTops: true);

        double loss = c.Forward();
        c.Backward();

        Assert.That(loss, Is.Zero);
        Assert.That(c.LossValue, Is.Zero);
        Assert.That(c.Probabilities!.Count, Is.Zero);
        Assert.That(c.Logits.Count, Is.Zero);
    }

    [TestCase(NormalizationMode.Valid)]
    [TestCase(NormalizationMode.Full)]
    [TestCase(NormalizationMode.BatchSize)]
    [TestCase(NormalizationMode.None)]
    public void AllLabelsIgnored_GivesLossZeroAndGradientZero(NormalizationMode mode)
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = mode;
            p.IgnoreLabel = 3;
            p.Weight.AddRange([1f, 2f, 3f, 4f, 5f]);
        }), labels: Enumerable.Repeat(3.0, 24).ToArray());
        c.Logits.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(120, seed: 15)));

        double loss = c.Forward();
        c.Backward();

        Assert.That(loss, Is.Zero);
        Assert.That(c.LossValue, Is.Zero);
        Assert.That(c.Logits.GetDiff(), Is.All.EqualTo(T.Zero));
    }

    [Test]
    public void NaNLogit_GivesANaNLoss_AndLeavesOtherPositionsAlone()
    {
        var logits = LayerTestData.Gaussian(120, seed: 2, std: 3);
        logits[(1 * 30) + (2 * 6) + 4] = double.NaN; // position (1, 4), class 2
        var c = MakeCase(SmallShape, logits, SmallLabelShape, LayerTestData.Labels(24, 5, seed: 3), LayerTestData.SoftmaxWithLoss());

        double loss = c.Forward();
        c.Backward();

        Assert.That(loss, Is.NaN);
        Assert.That(c.LossValue, Is.NaN);
        var diff = Diff(c.Logits);
        for (int k = 0; k < 120; k++)
        {
            bool inNaNRow = k / 30 == 1 && k % 6 == 4;
            Assert.That(double.IsNaN(diff[k]), Is.EqualTo(inNaNRow), $"gradient[{k}] = {diff[k]}");
        }

        AssertGradient(c, Expected(c), Tolerance);
    }

    [TestCase(0)]
    [TestCase(3)]
    public void NegativeInfinityLogit_NotTheTarget_GivesAFiniteLossAndGradient(int infiniteClass)
    {
        var logits = LayerTestData.Gaussian(120, seed: 2, std: 3);
        var labels = LayerTestData.Labels(24, 5, seed: 3);
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                labels[(i * 6) + j] = infiniteClass == 0 ? 1 : 0;
                logits[(i * 30) + (infiniteClass * 6) + j] = double.NegativeInfinity;
            }
        }

        var c = MakeCase(SmallShape, logits, SmallLabelShape, labels, LayerTestData.SoftmaxWithLoss(), twoTops: true);

        double loss = c.Forward();
        c.Backward();

        Assert.That(double.IsFinite(loss), Is.True, $"loss {loss}");
        var diff = Diff(c.Logits);
        Assert.That(diff.All(double.IsFinite), Is.True, "gradient finite");
        var expected = Expected(c);
        TestData.AssertClose(loss, expected.Loss, Tolerance, "loss");
        AssertGradient(c, expected, Tolerance);
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                Assert.That(diff[(i * 30) + (infiniteClass * 6) + j], Is.Zero, "a −inf logit has probability 0 and gradient 0");
                Assert.That(Data(c.Probabilities!)[(i * 30) + (infiniteClass * 6) + j], Is.Zero, "probability");
            }
        }
    }

    [Test]
    public void PositiveInfinityLogit_GivesANaNLoss()
    {
        var c = MakeCase([2, 3], [0, double.PositiveInfinity, 1, 0, 1, 2], [2], [0, 1], LayerTestData.SoftmaxWithLoss());

        Assert.That(c.Forward(), Is.NaN);
    }

    [Test]
    public void PositiveInfinityTargetLogit_GivesANaNLoss()
    {
        var c = MakeCase([1, 3], [0, double.PositiveInfinity, 1], [1], [1], LayerTestData.SoftmaxWithLoss());

        Assert.That(c.Forward(), Is.NaN);
    }

    [Test]
    public void AllLogitsNegativeInfinity_GivesANaNLoss()
    {
        double ninf = double.NegativeInfinity;
        var c = MakeCase([2, 3], [ninf, ninf, ninf, 0, 1, 2], [2], [0, 1], LayerTestData.SoftmaxWithLoss());

        Assert.That(c.Forward(), Is.NaN);
    }

    [Test]
    public void WrongBlobCounts_Throw()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss(), setUp: false);
        var extra = MakeBlob([4, 1], new double[4]);

        Assert.That(() => c.Layer.SetUp([c.Logits], [MakeTop()]), Throws.ArgumentException, "one bottom");
        Assert.That(() => c.Layer.SetUp([c.Logits, c.Labels, extra], [MakeTop()]), Throws.ArgumentException, "three bottoms");
        Assert.That(() => c.Layer.SetUp(c.Bottom, [MakeTop(), MakeTop(), MakeTop()]), Throws.ArgumentException, "three tops");
        Assert.That(() => c.Layer.SetUp(c.Bottom, []), Throws.ArgumentException, "no top");
    }

    [Test]
    public void UseAfterDispose_Throws()
    {
        var c = SmallCase(LayerTestData.SoftmaxWithLoss());
        c.Forward();

        c.Layer.Dispose();
        c.Layer.Dispose(); // twice is fine

        Assert.That(() => c.Forward(), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => c.Backward(), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => c.Layer.SetUp(c.Bottom, c.Top), Throws.TypeOf<ObjectDisposedException>());
    }

    /// <summary>The small case with the given labels replaced.</summary>
    private LossCase LabelCase(LayerParameter param, params (int Position, double Value)[] replaced)
    {
        var labels = LayerTestData.Labels(24, 5, seed: 3);
        foreach (var (position, value) in replaced)
        {
            labels[position] = value;
        }

        return SmallCase(param, labels: labels);
    }

    private static void AssertNamesPositionAndValue(string message, int position, string valueText)
    {
        Assert.That(message, Does.Match($@"\b{position}\b"), $"the message names position {position}");
        Assert.That(message, Does.Contain(valueText), $"the message names the value {valueText}");
    }
}
