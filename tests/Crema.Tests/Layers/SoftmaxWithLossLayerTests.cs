using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// <see cref="SoftmaxWithLossLayer{T}"/> on one engine. This file: the shared setup and Caffe's cases rewritten
/// (logits (10, 5, 2, 3) from N(0, 10²), labels (10, 1, 2, 3) in [0, 5)). The semantics of
/// docs/softmax-loss-semantics.md and SPEC §6's bad input are in the other parts of this class.
/// </summary>
public abstract partial class SoftmaxWithLossLayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int[] CaffeShape = [10, 5, 2, 3];
    private static readonly int[] CaffeLabelShape = [10, 1, 2, 3];

    [Test]
    public void Gradient()
    {
        var c = CaffeCase(LayerTestData.SoftmaxWithLoss(lossWeight: 3));

        new GradientChecker<T>(step: 1e-2, threshold: 1e-2).CheckLossGradient(c.Layer, c.Bottom, c.Top, checkBottom: 0);
    }

    [Test]
    public void ForwardIgnoreLabel()
    {
        var full = CaffeCase(LayerTestData.SoftmaxWithLoss(p => p.Normalize = false));
        double fullLoss = full.Forward();

        double accumulated = 0;
        for (int label = 0; label < 5; label++)
        {
            int ignored = label;
            var c = CaffeCase(LayerTestData.SoftmaxWithLoss(p =>
            {
                p.Normalize = false;
                p.IgnoreLabel = ignored;
            }));
            accumulated += c.Forward();
        }

        // Each position is left out exactly once.
        Assert.That(accumulated, Is.EqualTo(4 * fullLoss).Within(1e-4 * Math.Max(1, 4 * fullLoss)));
    }

    [Test]
    public void GradientIgnoreLabel()
    {
        var c = CaffeCase(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = 0));

        new GradientChecker<T>(step: 1e-2, threshold: 1e-2).CheckLossGradient(c.Layer, c.Bottom, c.Top, checkBottom: 0);
    }

    [Test]
    public void GradientUnnormalized()
    {
        var c = CaffeCase(LayerTestData.SoftmaxWithLoss(p => p.Normalize = false));

        new GradientChecker<T>(step: 1e-2, threshold: 1e-2).CheckLossGradient(c.Layer, c.Bottom, c.Top, checkBottom: 0);
    }

    [Test]
    public void Gradient_WithLabelSmoothingAndClassWeights()
    {
        var c = CaffeCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.LabelSmoothing = 0.2f;
            p.Weight.AddRange([0.5f, 1.5f, 1f, 2f, 0.25f]);
            p.IgnoreLabel = 3;
        }, lossWeight: 2));

        new GradientChecker<T>(step: 1e-2, threshold: 1e-2).CheckLossGradient(c.Layer, c.Bottom, c.Top, checkBottom: 0);
    }

    [Test]
    public void Gradient_WithTheProbabilityTop()
    {
        var c = CaffeCase(LayerTestData.SoftmaxWithLoss(), twoTops: true);

        new GradientChecker<T>(step: 1e-2, threshold: 1e-2).CheckLossGradient(c.Layer, c.Bottom, c.Top, checkBottom: 0);
    }

    [TestCase(NormalizationMode.Valid)]
    [TestCase(NormalizationMode.Full)]
    [TestCase(NormalizationMode.BatchSize)]
    [TestCase(NormalizationMode.None)]
    public void ForwardAndBackward_MatchTheReference(NormalizationMode mode)
    {
        var c = CaffeCase(LayerTestData.SoftmaxWithLoss(p =>
        {
            p.Normalization = mode;
            p.IgnoreLabel = 2;
        }, lossWeight: 1.5f));

        double returned = c.Forward();
        c.Backward();

        var expected = Expected(c);
        TestData.AssertClose(Scalar(c.Loss.CpuData[0]), expected.Loss, Tolerance, "top[0]");
        TestData.AssertClose(returned, 1.5 * expected.Loss, Tolerance, "Forward's return");
        AssertGradient(c, expected, Tolerance);
    }

    /// <summary>Logits (10, 5, 2, 3) from N(0, 10²) and labels (10, 1, 2, 3) in [0, 5), set up with <paramref name="param"/>.</summary>
    private LossCase CaffeCase(LayerParameter param, bool twoTops = false) =>
        MakeCase(CaffeShape, LayerTestData.Gaussian(300, seed: 1701, std: 10), CaffeLabelShape,
            LayerTestData.Labels(60, 5, seed: 1702), param, twoTops);

    /// <summary>A layer made from <paramref name="param"/> and set up on the given logits and labels.</summary>
    protected LossCase MakeCase(int[] shape, double[] logits, int[] labelShape, double[] labels, LayerParameter param,
        bool twoTops = false, bool setUp = true)
    {
        var c = new LossCase(MakeLossLayer(param), MakeBlob(shape, logits), MakeBlob(labelShape, labels), MakeTop(),
            twoTops ? MakeTop() : null);
        if (setUp)
        {
            c.Layer.SetUp(c.Bottom, c.Top);
        }

        return c;
    }

    /// <summary>The reference for the case's current blobs, with top[0].diff[0] = <paramref name="topDiff"/> (default: the loss weight).</summary>
    private protected static SoftmaxLossResult Expected(LossCase c, double? topDiff = null)
    {
        var param = c.Layer.LayerParam;
        var (outer, channels, inner) = SoftmaxLossReference.Split(c.Logits.Shape, param.SoftmaxParam.Axis);
        double weight = topDiff ?? (param.LossWeight.Count > 0 ? param.LossWeight[0] : 1.0);
        return SoftmaxLossReference.Compute(Data(c.Logits), Data(c.Labels), outer, channels, inner,
            SoftmaxLossSettings.From(param.LossParam), weight);
    }

    /// <summary>The bottom diff against the reference gradient: tolerance · max(|expected|, the gradient's scale).</summary>
    private protected static void AssertGradient(LossCase c, SoftmaxLossResult expected, double tolerance)
    {
        var actual = Diff(c.Logits);
        double scale = expected.Gradient.Length == 0 ? 1 : expected.Gradient.Max(Math.Abs);
        for (int k = 0; k < actual.Length; k++)
        {
            double e = expected.Gradient[k];
            double bound = tolerance * Math.Max(Math.Abs(e), scale);
            if (!(Math.Abs(actual[k] - e) <= bound) && !(double.IsNaN(e) && double.IsNaN(actual[k])))
            {
                Assert.Fail($"gradient[{k}] = {actual[k]:R}, expected {e:R} (allowed {bound:G3}; shape {c.Logits.ShapeString})");
            }
        }
    }

    /// <summary>One layer with its bottoms (logits, labels) and tops (loss, optional probabilities).</summary>
    protected sealed record LossCase(SoftmaxWithLossLayer<T> Layer, Blob<T> Logits, Blob<T> Labels, Blob<T> Loss, Blob<T>? Probabilities)
    {
        public IReadOnlyList<Blob<T>> Bottom => [Logits, Labels];

        public IReadOnlyList<Blob<T>> Top => Probabilities is null ? [Loss] : [Loss, Probabilities];

        /// <summary>Forward; the weighted loss it returns.</summary>
        public double Forward() => double.CreateTruncating(Layer.Forward(Bottom, Top));

        /// <summary>Backward to the logits only.</summary>
        public void Backward() => Layer.Backward(Top, [true, false], Bottom);

        /// <summary>top[0].data[0]: the unweighted loss.</summary>
        public double LossValue => double.CreateTruncating(Loss.CpuData[0]);
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SoftmaxWithLossLayerCpuTests<T> : SoftmaxWithLossLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}
