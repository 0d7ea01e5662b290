using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary><see cref="EuclideanLossLayer{T}"/> on one engine: the loss and both bottoms' gradients, loss weights, bad shapes.</summary>
public abstract class EuclideanLossLayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int[] Shape = [10, 5, 1, 1];

    private EuclideanLossLayer<T> Make(float? lossWeight = null)
    {
        var p = new LayerParameter { Name = "loss", Type = "EuclideanLoss" };
        if (lossWeight is float w)
        {
            p.LossWeight.Add(w);
        }

        return Track(new EuclideanLossLayer<T>(p));
    }

    [TestCase(1f)]
    [TestCase(3.7f)]
    public void Forward_IsHalfTheMeanSquaredDistancePerItem(float weight)
    {
        var a = LayerTestData.Gaussian(50, seed: 1);
        var b = LayerTestData.Gaussian(50, seed: 2);
        var bottom0 = MakeBlob(Shape, a);
        var bottom1 = MakeBlob(Shape, b);
        var top = MakeTop();
        var layer = Make(weight);
        layer.SetUp([bottom0, bottom1], [top]);

        double loss = Scalar(layer.Forward([bottom0, bottom1], [top]));

        var ar = LayerTestData.RoundTo<T>(a);
        var br = LayerTestData.RoundTo<T>(b);
        double expected = ar.Select((v, i) => (v - br[i]) * (v - br[i])).Sum() / (2 * 10);
        Assert.That(top.Shape, Is.Empty);
        Assert.That(Data(top)[0], Is.EqualTo(expected).Within(IsFloat ? 1e-5 : 1e-12));
        Assert.That(loss, Is.EqualTo(expected * weight).Within(IsFloat ? 1e-4 : 1e-6));
        Assert.That(layer.Type, Is.EqualTo("EuclideanLoss"));
    }

    [Test]
    public void Gradient_BothBottoms()
    {
        var bottom0 = MakeBlob(Shape, LayerTestData.Gaussian(50, seed: 3));
        var bottom1 = MakeBlob(Shape, LayerTestData.Gaussian(50, seed: 4));
        var top = MakeTop();

        new GradientChecker<T>(step: 1e-2, threshold: 1e-2).CheckLossGradient(Make(), [bottom0, bottom1], [top]);
    }

    [Test]
    public void Gradient_WithLossWeight()
    {
        var bottom0 = MakeBlob(Shape, LayerTestData.Gaussian(50, seed: 5));
        var bottom1 = MakeBlob(Shape, LayerTestData.Gaussian(50, seed: 6));
        var top = MakeTop();

        new GradientChecker<T>(step: 1e-2, threshold: 1e-2).CheckLossGradient(Make(-2.5f), [bottom0, bottom1], [top]);
    }

    [Test]
    public void Backward_GivesOppositeDiffs()
    {
        var bottom0 = MakeBlob([2, 3], LayerTestData.Gaussian(6, seed: 7));
        var bottom1 = MakeBlob([2, 3], LayerTestData.Gaussian(6, seed: 8));
        var top = MakeTop();
        var layer = Make();
        layer.SetUp([bottom0, bottom1], [top]);
        layer.Forward([bottom0, bottom1], [top]);

        layer.Backward([top], [true, true], [bottom0, bottom1]);

        var expected = Data(bottom0).Select((v, i) => (v - Data(bottom1)[i]) / 2).ToArray();
        TestData.AssertClose<T>(bottom0.CpuDiff, expected, Tolerance, "da");
        TestData.AssertClose<T>(bottom1.CpuDiff, [.. expected.Select(v => -v)], Tolerance, "db");
    }

    [Test]
    public void ShapeMismatch_Throws_NamingTheShapes()
    {
        var layer = Make();

        var e = Assert.Throws<ArgumentException>(() =>
            layer.SetUp([MakeBlob([2, 3], new double[6]), MakeBlob([2, 4], new double[8])], [MakeTop()]));

        LayerTestData.AssertNamesShape(e!.Message, [2, 3], "first bottom");
        LayerTestData.AssertNamesShape(e.Message, [2, 4], "second bottom");
        Assert.Throws<ArgumentException>(() =>
            Make().SetUp([MakeBlob([2, 3], new double[6]), MakeBlob([3, 2], new double[6])], [MakeTop()]), "batch sizes differ");
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class EuclideanLossLayerCpuTests<T> : EuclideanLossLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class EuclideanLossLayerGpuTests<T> : EuclideanLossLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
