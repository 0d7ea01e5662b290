using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary><see cref="ReLULayer{T}"/> on one engine: forward and backward against plain loops, Caffe's gradient cases, in place.</summary>
public abstract class ReLULayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int[] Shape = [2, 3, 4, 5];

    private ReLULayer<T> Make(float slope) =>
        Track(new ReLULayer<T>(new LayerParameter { Name = "relu", Type = "ReLU", ReLUParam = { NegativeSlope = slope } }));

    /// <summary>Gaussian values moved away from 0 (|x| ≥ 0.05), where the kink would spoil finite differences.</summary>
    private static double[] AwayFromZero(int count, int seed) =>
        [.. LayerTestData.Gaussian(count, seed).Select(v => Math.Abs(v) < 0.05 ? (v < 0 ? v - 0.1 : v + 0.1) : v)];

    [TestCase(0f)]
    [TestCase(0.01f)]
    [TestCase(0.25f)]
    public void ForwardAndBackward_MatchPlainLoops(float slope)
    {
        var x = AwayFromZero(120, 1);
        var bottom = MakeBlob(Shape, x);
        var top = MakeTop();
        var layer = Make(slope);
        layer.SetUp([bottom], [top]);

        layer.Forward([bottom], [top]);
        var dy = LayerTestData.Gaussian(120, seed: 2);
        top.SetDiff(LayerTestData.Cast<T>(dy));
        layer.Backward([top], [true], [bottom]);

        var xs = LayerTestData.RoundTo<T>(x);
        var dys = LayerTestData.RoundTo<T>(dy);
        double s = double.CreateTruncating(T.CreateTruncating(slope));
        TestData.AssertClose<T>(top.CpuData, [.. xs.Select(v => v > 0 ? v : s * v)], Tolerance, "y");
        TestData.AssertClose<T>(bottom.CpuDiff, [.. xs.Select((v, i) => v > 0 ? dys[i] : s * dys[i])], Tolerance, "dx");
        Assert.That(top.Shape, Is.EqualTo(Shape));
        Assert.That(layer.Type, Is.EqualTo("ReLU"));
    }

    [TestCase(0f)]
    [TestCase(0.01f)]
    public void Gradient(float slope)
    {
        var bottom = MakeBlob(Shape, AwayFromZero(120, 3));
        var top = MakeTop();

        new GradientChecker<T>(step: 1e-3, threshold: 1e-3).CheckGradientExhaustive(Make(slope), [bottom], [top]);
    }

    [Test]
    public void InPlace_GivesTheSameResult()
    {
        var x = AwayFromZero(120, 4);
        var dy = LayerTestData.Gaussian(120, seed: 5);
        var bottom = MakeBlob(Shape, x);
        var top = MakeTop();
        var layer = Make(0.1f);
        layer.SetUp([bottom], [top]);
        layer.Forward([bottom], [top]);
        top.SetDiff(LayerTestData.Cast<T>(dy));
        layer.Backward([top], [true], [bottom]);

        var inPlace = MakeBlob(Shape, x);
        var layer2 = Make(0.1f);
        layer2.SetUp([inPlace], [inPlace]);
        layer2.Forward([inPlace], [inPlace]);
        inPlace.SetDiff(LayerTestData.Cast<T>(dy));
        layer2.Backward([inPlace], [true], [inPlace]);

        Assert.That(Data(inPlace), Is.EqualTo(Data(top)));
        Assert.That(Diff(inPlace), Is.EqualTo(Diff(bottom)));
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class ReLULayerCpuTests<T> : ReLULayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class ReLULayerGpuTests<T> : ReLULayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
