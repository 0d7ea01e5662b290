using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// The float64 reference itself, before any layer is compared with it: PyTorch's values for label smoothing and class
/// weights, Caffe's plain loss by hand, and its gradient against central differences of its loss.
/// </summary>
public class SoftmaxLossReferenceTests
{
    [TestCaseSource(typeof(PyTorchCases), nameof(PyTorchCases.All))]
    public void MatchesPyTorch(LossParameter loss, double expectedLoss, double[] expectedGradient)
    {
        var result = SoftmaxLossReference.Compute(PyTorchCases.Logits, PyTorchCases.Labels, 2, 3, 2,
            SoftmaxLossSettings.From(loss), topDiff: 1);

        Assert.That(result.Loss, Is.EqualTo(expectedLoss).Within(1e-12).Percent);
        TestData.AssertClose<double>(result.Gradient, expectedGradient, 1e-13, "gradient");
    }

    [Test]
    public void PlainLoss_IsTheMeanNegativeLogLikelihood()
    {
        double[] logits = [1, 2, 3, 0, 0, 0];
        var result = SoftmaxLossReference.Compute(logits, [2, 0], 2, 3, 1, new SoftmaxLossSettings(), topDiff: 1);

        double first = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3;
        double second = Math.Log(3);
        Assert.That(result.Loss, Is.EqualTo((first + second) / 2).Within(1e-15));
        Assert.That(result.Gradient[2], Is.EqualTo((Math.Exp(3 - first - 3) - 1) / 2).Within(1e-15));
        Assert.That(result.FirstInvalid, Is.EqualTo(-1));
    }

    [Test]
    public void InvalidLabels_TheFirstIsFound_AndGetNoGradient()
    {
        var result = SoftmaxLossReference.Compute(new double[12], [0, 3, 2.5, -1], 4, 3, 1, new SoftmaxLossSettings(), topDiff: 1);

        Assert.That(result.FirstInvalid, Is.EqualTo(1));
        Assert.That(result.Gradient.Skip(3), Is.All.Zero);
        Assert.That(result.Normalizer, Is.EqualTo(1));
    }

    [TestCase(NormalizationMode.Valid, 0.0, false)]
    [TestCase(NormalizationMode.Full, 0.2, true)]
    [TestCase(NormalizationMode.BatchSize, 1.0, true)]
    [TestCase(NormalizationMode.None, 0.05, false)]
    public void Gradient_IsTheDerivativeOfTheLoss(NormalizationMode mode, double epsilon, bool weighted)
    {
        const int Outer = 3;
        const int Channels = 4;
        const int Inner = 2;
        var logits = LayerTestData.Gaussian(Outer * Channels * Inner, seed: 4, std: 2);
        double[] labels = [0, 3, 1, 1, 2, 1];
        var settings = new SoftmaxLossSettings(1, mode, epsilon, weighted ? [0.5, 2, 1, 0.25] : null);
        var analytic = SoftmaxLossReference.Compute(logits, labels, Outer, Channels, Inner, settings, topDiff: 1.5).Gradient;

        const double Step = 1e-5;
        for (int k = 0; k < logits.Length; k++)
        {
            var plus = (double[])logits.Clone();
            var minus = (double[])logits.Clone();
            plus[k] += Step;
            minus[k] -= Step;
            double numeric = 1.5 * (SoftmaxLossReference.Compute(plus, labels, Outer, Channels, Inner, settings, 1).Loss -
                SoftmaxLossReference.Compute(minus, labels, Outer, Channels, Inner, settings, 1).Loss) / (2 * Step);
            Assert.That(analytic[k], Is.EqualTo(numeric).Within(1e-8), $"element {k}");
        }
    }

    [Test]
    public void SoftmaxBackward_IsTheDerivative()
    {
        var x = LayerTestData.Gaussian(12, seed: 5);
        var dy = LayerTestData.Gaussian(12, seed: 6);
        var dx = SoftmaxLossReference.SoftmaxBackward(SoftmaxLossReference.Softmax(x, 2, 3, 2), dy, 2, 3, 2);

        const double Step = 1e-6;
        for (int k = 0; k < x.Length; k++)
        {
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[k] += Step;
            minus[k] -= Step;
            var yPlus = SoftmaxLossReference.Softmax(plus, 2, 3, 2);
            var yMinus = SoftmaxLossReference.Softmax(minus, 2, 3, 2);
            double numeric = 0;
            for (int m = 0; m < x.Length; m++)
            {
                numeric += dy[m] * (yPlus[m] - yMinus[m]) / (2 * Step);
            }

            Assert.That(dx[k], Is.EqualTo(numeric).Within(1e-8), $"element {k}");
        }
    }

    [Test]
    public void SpecialValues_FollowTheDefinition()
    {
        double ninf = double.NegativeInfinity;
        var negativeTarget = SoftmaxLossReference.Compute([0, ninf, 1], [1], 1, 3, 1, new SoftmaxLossSettings(), 1);
        var negativeOther = SoftmaxLossReference.Compute([ninf, 0, 1], [1], 1, 3, 1, new SoftmaxLossSettings(), 1);
        var positive = SoftmaxLossReference.Compute([0, double.PositiveInfinity, 1], [0], 1, 3, 1, new SoftmaxLossSettings(), 1);
        var allNegative = SoftmaxLossReference.Compute([ninf, ninf, ninf], [0], 1, 3, 1, new SoftmaxLossSettings(), 1);

        Assert.That(negativeTarget.Loss, Is.EqualTo(SoftmaxLossReference.Clamp));
        Assert.That(negativeOther.Loss, Is.EqualTo(Math.Log(1 + Math.E) - 0).Within(1e-15));
        Assert.That(negativeOther.Gradient[0], Is.Zero);
        Assert.That(positive.Loss, Is.NaN);
        Assert.That(allNegative.Loss, Is.NaN);
    }
}
