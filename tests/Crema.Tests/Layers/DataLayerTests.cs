using System.Numerics;
using Crema.Core;
using Crema.Fillers;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary><see cref="InputLayer{T}"/> and <see cref="DummyDataLayer{T}"/> on one engine: shapes, fills, refills, seeds, errors.</summary>
public abstract class DataLayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static BlobShape Shape(params long[] dims) => new() { Dim = [.. dims] };

    [Test]
    public void Input_ShapesTheTops_OncePerTopOrForAll()
    {
        var one = Track(LayerRegistry<T>.Create(new LayerParameter { Type = "Input", InputParam = { Shape = { Shape(2, 3) } } }));
        var a = MakeTop();
        var b = MakeTop();
        one.SetUp([], [a, b]);
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(b.Shape, Is.EqualTo(new[] { 2, 3 }));

        var each = Track(LayerRegistry<T>.Create(new LayerParameter { Type = "Input", InputParam = { Shape = { Shape(4), Shape(1, 2, 3) } } }));
        each.SetUp([], [a, b]);
        each.Forward([], [a, b]);
        Assert.That(a.Shape, Is.EqualTo(new[] { 4 }));
        Assert.That(b.Shape, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(each.Type, Is.EqualTo("Input"));
    }

    [Test]
    public void Input_WrongShapeCount_Throws()
    {
        var layer = Track(LayerRegistry<T>.Create(new LayerParameter
        {
            Type = "Input",
            InputParam = { Shape = { Shape(1), Shape(2), Shape(3) } },
        }));

        Assert.Throws<ArgumentException>(() => layer.SetUp([], [MakeTop(), MakeTop()]));
    }

    [Test]
    public void DummyData_ConstantFilledOnce_OthersRefilled()
    {
        SeededRandom.SetGlobalSeed(9);
        var layer = Track(LayerRegistry<T>.Create(new LayerParameter
        {
            Type = "DummyData",
            DummyDataParam =
            {
                Shape = { Shape(2, 3), Shape(4) },
                DataFiller = { new FillerParameter { Type = "constant", Value = 7 }, new FillerParameter { Type = "uniform", Min = -1, Max = 1 } },
            },
        }));
        var constant = MakeTop();
        var uniform = MakeTop();
        layer.SetUp([], [constant, uniform]);
        var first = Data(uniform);
        constant.MutableCpuData[0] = T.Zero; // a constant top is not written again

        layer.Forward([], [constant, uniform]);

        var reference = new SeededRandom(9);
        var expectedFirst = Enumerable.Range(0, 4).Select(_ => double.CreateTruncating(T.CreateTruncating(reference.NextUniform(-1, 1)))).ToArray();
        var expectedSecond = Enumerable.Range(0, 4).Select(_ => double.CreateTruncating(T.CreateTruncating(reference.NextUniform(-1, 1)))).ToArray();
        Assert.That(constant.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(Data(constant), Is.EqualTo(new double[] { 0, 7, 7, 7, 7, 7 }));
        Assert.That(first, Is.EqualTo(expectedFirst));
        Assert.That(Data(uniform), Is.EqualTo(expectedSecond));
        Assert.That(layer.Type, Is.EqualTo("DummyData"));
    }

    [Test]
    public void DummyData_NoFiller_GivesZeros()
    {
        var layer = Track(LayerRegistry<T>.Create(new LayerParameter { Type = "DummyData", DummyDataParam = { Shape = { Shape(3) } } }));
        var top = MakeTop();
        layer.SetUp([], [top]);
        layer.Forward([], [top]);

        Assert.That(Data(top), Is.EqualTo(new double[3]));
    }

    [Test]
    public void DummyData_BadCounts_AndUnknownFiller_Throw()
    {
        var noShape = Track(LayerRegistry<T>.Create(new LayerParameter { Type = "DummyData" }));
        Assert.Throws<ArgumentException>(() => noShape.SetUp([], [MakeTop()]), "no shape");

        var fillers = Track(LayerRegistry<T>.Create(new LayerParameter
        {
            Type = "DummyData",
            DummyDataParam = { Shape = { Shape(3) }, DataFiller = { new(), new(), new() } },
        }));
        Assert.Throws<ArgumentException>(() => fillers.SetUp([], [MakeTop(), MakeTop()]), "3 fillers for 2 tops");

        var unknown = Track(LayerRegistry<T>.Create(new LayerParameter
        {
            Type = "DummyData",
            DummyDataParam = { Shape = { Shape(3) }, DataFiller = { new FillerParameter { Type = "gausian" } } },
        }));
        var e = Assert.Throws<ArgumentException>(() => unknown.SetUp([], [MakeTop()]));
        Assert.That(e!.Message, Does.Contain("'gausian'"));
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class DataLayerCpuTests<T> : DataLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class DataLayerGpuTests<T> : DataLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
