using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// The GPU path adds in a fixed order (no floating-point atomics): 20 forward and backward passes give bitwise-equal
/// losses and gradients, on a wide class axis (C = 1000) and on a spatial one (inner > 1).
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SoftmaxWithLossDeterminismGpuTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Runs = 20;

    [SetUp]
    public void UseGpu() => Engine.UseGpu();

    [TestCase(new[] { 64, 1000 }, NormalizationMode.Valid, false)]
    [TestCase(new[] { 64, 1000 }, NormalizationMode.Valid, true)]
    [TestCase(new[] { 8, 21, 32, 32 }, NormalizationMode.Valid, false)]
    [TestCase(new[] { 8, 21, 32, 32 }, NormalizationMode.Full, true)]
    public void ForwardAndBackward_AreBitwiseRepeatable(int[] shape, NormalizationMode mode, bool smoothingAndWeights)
    {
        var (outer, channels, inner) = SoftmaxLossReference.Split(shape, 1);
        int[] labelShape = [.. shape.Where((_, k) => k != 1)];
        var labels = LayerTestData.Labels(outer * inner, channels, seed: 31);
        for (int p = 0; p < labels.Length; p += 7)
        {
            labels[p] = 255;
        }

        var param = LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = mode;
            p.IgnoreLabel = 255;
            if (smoothingAndWeights)
            {
                p.LabelSmoothing = 0.1f;
                p.Weight.AddRange(Enumerable.Range(0, channels).Select(c => 0.5f + (c % 3)));
            }
        });
        using var logits = LayerTestData.Blob<T>(shape, LayerTestData.Gaussian(outer * channels * inner, seed: 30, std: 4));
        using var labelBlob = LayerTestData.Blob<T>(labelShape, labels);
        using var loss = new Blob<T>();
        using var layer = new SoftmaxWithLossLayer<T>(param);
        Blob<T>[] bottom = [logits, labelBlob];
        Blob<T>[] top = [loss];
        layer.SetUp(bottom, top);

        T firstLoss = default;
        T[] firstGradient = [];
        for (int run = 0; run < Runs; run++)
        {
            T value = layer.Forward(bottom, top);
            layer.Backward(top, [true, false], bottom);
            var gradient = logits.GetDiff();
            if (run == 0)
            {
                firstLoss = value;
                firstGradient = gradient;
                Assert.That(T.IsFinite(value), Is.True, $"loss {value}");
                continue;
            }

            Assert.That(value, Is.EqualTo(firstLoss), $"loss of run {run}");
            Assert.That(gradient, Is.EqualTo(firstGradient), $"gradient of run {run}");
        }
    }
}
