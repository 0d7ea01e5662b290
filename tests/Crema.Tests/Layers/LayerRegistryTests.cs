using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class LayerRegistryTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Test]
    public void Create_Softmax_GivesASoftmaxLayer()
    {
        using var layer = LayerRegistry<T>.Create(new LayerParameter { Type = "Softmax", Name = "prob" });

        Assert.That(layer, Is.InstanceOf<SoftmaxLayer<T>>());
        Assert.That(layer.Type, Is.EqualTo("Softmax"));
        Assert.That(layer.ToString(), Does.Contain("prob"));
    }

    [Test]
    public void Create_SoftmaxWithLoss_GivesALossLayer()
    {
        using var layer = LayerRegistry<T>.Create(new LayerParameter { Type = "SoftmaxWithLoss" });

        Assert.That(layer, Is.InstanceOf<SoftmaxWithLossLayer<T>>());
        Assert.That(layer, Is.InstanceOf<LossLayer<T>>());
        Assert.That(layer.Type, Is.EqualTo("SoftmaxWithLoss"));
        Assert.That(layer.ExactNumBottomBlobs, Is.EqualTo(2));
    }

    [Test]
    public void Create_UnknownType_ListsTheKnownTypes()
    {
        var e = Assert.Throws<ArgumentException>(() => LayerRegistry<T>.Create(new LayerParameter { Type = "SoftMax" }));

        Assert.That(e!.Message, Does.Contain("'SoftMax'").And.Contain("Softmax").And.Contain("SoftmaxWithLoss"));
        foreach (var type in LayerRegistry<T>.Types)
        {
            Assert.That(e.Message, Does.Contain(type));
        }
    }

    [Test]
    public void Types_AreSorted_AndHoldTheBuiltInLayers()
    {
        var types = LayerRegistry<T>.Types;

        Assert.That(types, Does.Contain("Softmax").And.Contain("SoftmaxWithLoss"));
        Assert.That(types, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
    }

    [Test]
    public void Register_AddsAType_AndRefusesItTwice()
    {
        string type = $"TestOnly{typeof(T).Name}Square";
        LayerRegistry<T>.Register(type, p => new SquareLayer<T>(p));

        using var layer = LayerRegistry<T>.Create(new LayerParameter { Type = type });

        Assert.That(layer, Is.InstanceOf<SquareLayer<T>>());
        Assert.That(LayerRegistry<T>.Types, Does.Contain(type));
        Assert.That(() => LayerRegistry<T>.Register(type, p => new SquareLayer<T>(p)), Throws.ArgumentException);
        Assert.That(() => LayerRegistry<T>.Register(" ", p => new SquareLayer<T>(p)), Throws.ArgumentException);
    }

    [Test]
    public void Create_SoftmaxLayer_ForwardsOnTheCpu()
    {
        Engine.UseCpu();
        using var layer = LayerRegistry<T>.Create(LayerTestData.Softmax());
        using var bottom = LayerTestData.Blob<T>([1, 3], [0, 1, 2]);
        using var top = new Blob<T>();

        layer.SetUp([bottom], [top]);
        layer.Forward([bottom], [top]);

        TestData.AssertClose<T>(top.CpuData, SoftmaxLossReference.Softmax([0, 1, 2], 1, 3, 1), TestData.Tolerance<T>(), "y");
    }
}
