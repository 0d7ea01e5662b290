using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;
using static Crema.Tests.Kernels.LayerKernelReference;

namespace Crema.Tests.Kernels;

/// <summary>
/// The references the ReLU and accuracy kernel tests compare against agree with the CPU layers (the definition), so a
/// GPU kernel that passes those tests computes what the CPU path computes. Runs without a GPU.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class LayerKernelReferenceTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    [TestCase(0.0)]
    [TestCase(0.01)]
    [TestCase(-0.5)]
    public void ReLUReference_IsTheCpuLayer(double slopeValue)
    {
        const int n = 41;
        var x = WithSpecials<T>(n, seed: 1);
        var dy = TestData.Uniform<T>(n, seed: 2);
        using var bottom = new Blob<T>(n);
        using var top = new Blob<T>();
        bottom.SetData(x);
        using var layer = new ReLULayer<T>(new LayerParameter { Name = "relu", Type = "ReLU", ReLUParam = { NegativeSlope = (float)slopeValue } });
        layer.SetUp([bottom], [top]);
        layer.Forward([bottom], [top]);
        top.SetDiff(dy);
        layer.Backward([top], [true], [bottom]);

        T slope = T.CreateTruncating((float)slopeValue);
        AssertSameValues(top.GetData(), ReLU(x, slope), "y");
        AssertSameValues(bottom.GetDiff(), ReLUGrad(x, dy, slope), "dx");
    }

    [TestCase(100L, 10L, 1L, 1, null)]
    [TestCase(100L, 10L, 1L, 3, 0)]
    [TestCase(64L, 33L, 1L, 33, null)]
    [TestCase(4L, 21L, 37L, 3, 0)]
    [TestCase(3L, 200L, 5L, 2, null)]
    public void AccuracyReference_IsTheCpuLayer(long outer, long channels, long inner, int topK, int? ignore)
    {
        T[] scores = [.. TestData.Uniform<T>((int)(outer * channels * inner), seed: 3).Select(v => T.Round(v * T.CreateTruncating(4)))];
        var labels = SoftmaxReference.Labels<T>(outer * inner, channels, seed: 4, ignore, ignoredFraction: 0.2);
        labels[1] = T.CreateTruncating(1.7); // truncated to class 1
        var expected = Accuracy(scores, labels, outer, channels, inner, topK, ignore);

        using var scoreBlob = new Blob<T>((int)outer, (int)channels, (int)inner);
        using var labelBlob = new Blob<T>((int)outer, (int)inner);
        using var top0 = new Blob<T>();
        using var top1 = new Blob<T>();
        scoreBlob.SetData(scores);
        labelBlob.SetData(labels);
        using var layer = new AccuracyLayer<T>(new LayerParameter
        {
            Name = "acc",
            Type = "Accuracy",
            AccuracyParam = { TopK = (uint)topK, IgnoreLabel = ignore },
        });
        layer.SetUp([scoreBlob, labelBlob], [top0, top1]);
        layer.Forward([scoreBlob, labelBlob], [top0, top1]);

        static T Fraction(long h, long n) => n == 0 ? T.Zero : T.CreateTruncating(h / (double)n);
        Assert.That(expected.BadPosition, Is.EqualTo(-1));
        Assert.That(top0.GetData()[0], Is.EqualTo(Fraction(expected.Correct, expected.Counted)));
        Assert.That(top1.GetData(), Is.EqualTo(expected.CorrectPerClass.Select((h, c) => Fraction(h, expected.CountPerClass[c])).ToArray()));
    }

    [TestCase(double.NaN, 0)]
    [TestCase(-1.0, null)]
    [TestCase(1e10, null)]
    [TestCase(3.0, 7)]
    public void AccuracyReference_InvalidLabels_AreTheCpuLayersInvalidLabels(double bad, int? ignore)
    {
        var scores = TestData.Uniform<T>(15, seed: 5);
        T[] labels = [T.One, T.Zero, T.CreateTruncating(bad), T.CreateTruncating(bad), T.One];

        var expected = Accuracy(scores, labels, 5, 3, 1, 1, ignore);

        using var scoreBlob = new Blob<T>(5, 3);
        using var labelBlob = new Blob<T>(5);
        using var top = new Blob<T>();
        scoreBlob.SetData(scores);
        labelBlob.SetData(labels);
        using var layer = new AccuracyLayer<T>(new LayerParameter { Name = "acc", Type = "Accuracy", AccuracyParam = { IgnoreLabel = ignore } });
        layer.SetUp([scoreBlob, labelBlob], [top]);
        var e = Assert.Throws<ArgumentException>(() => layer.Forward([scoreBlob, labelBlob], [top]));
        Assert.That(expected.BadPosition, Is.EqualTo(2));
        Assert.That(e!.Message, Does.Contain($"at position {expected.BadPosition}"));
    }
}
