using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary><see cref="SplitLayer{T}"/> on one engine: tops share the bottom's data; backward sums the tops' diffs.</summary>
public abstract class SplitLayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private SplitLayer<T> Make() => Track(new SplitLayer<T>(new LayerParameter { Name = "split", Type = "Split" }));

    [Test]
    public void Forward_TopsShareTheBottomData()
    {
        var x = LayerTestData.Gaussian(24, seed: 1);
        var bottom = MakeBlob([2, 3, 4], x);
        var top0 = MakeTop();
        var top1 = MakeTop();
        var layer = Make();
        layer.SetUp([bottom], [top0, top1]);

        layer.Forward([bottom], [top0, top1]);

        Assert.That(top0.Shape, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(Data(top0), Is.EqualTo(LayerTestData.RoundTo<T>(x)));
        Assert.That(Data(top1), Is.EqualTo(LayerTestData.RoundTo<T>(x)));
        Assert.That(top0.Data, Is.SameAs(bottom.Data));
        Assert.That(layer.Type, Is.EqualTo("Split"));
    }

    [Test]
    public void Backward_SumsTheTopDiffs()
    {
        var bottom = MakeBlob([2, 3], LayerTestData.Gaussian(6, seed: 1));
        var tops = new[] { MakeTop(), MakeTop(), MakeTop() };
        var layer = Make();
        layer.SetUp([bottom], tops);
        layer.Forward([bottom], tops);
        var diffs = Enumerable.Range(0, 3).Select(i => LayerTestData.Gaussian(6, seed: 10 + i)).ToArray();
        for (int i = 0; i < 3; i++)
        {
            tops[i].SetDiff(LayerTestData.Cast<T>(diffs[i]));
        }

        layer.Backward(tops, [true], [bottom]);

        var rounded = diffs.Select(LayerTestData.RoundTo<T>).ToArray();
        var expected = Enumerable.Range(0, 6).Select(j => rounded[0][j] + rounded[1][j] + rounded[2][j]).ToArray();
        TestData.AssertClose<T>(bottom.CpuDiff, expected, Tolerance, "dx");
    }

    [Test]
    public void Gradient()
    {
        var bottom = MakeBlob([2, 3, 2], LayerTestData.Gaussian(12, seed: 2));

        new GradientChecker<T>(step: 1e-2, threshold: 1e-2).CheckGradientExhaustive(Make(), [bottom], [MakeTop(), MakeTop()]);
    }

    [Test]
    public void InPlace_Throws()
    {
        var bottom = MakeBlob([2], new double[2]);

        Assert.Throws<ArgumentException>(() => Make().SetUp([bottom], [bottom]));
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SplitLayerCpuTests<T> : SplitLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SplitLayerGpuTests<T> : SplitLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
