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
    public void Create_FromCaffeText_GivesTheLayerTheTextDescribes()
    {
        const string Text = """
            name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss"
            loss_weight: 2
            softmax_param { axis: -1 }
            loss_param { ignore_label: 255 normalization: FULL label_smoothing: 0.25 weight: 1 weight: 0.5 weight: 2 }
            """;
        Engine.UseCpu();
        var fromText = LayerParameter.Parse(Text);
        var built = LayerTestData.SoftmaxWithLoss(p =>
        {
            p.IgnoreLabel = 255;
            p.Normalization = NormalizationMode.Full;
            p.LabelSmoothing = 0.25f;
            p.Weight.AddRange([1f, 0.5f, 2f]);
        }, lossWeight: 2, axis: -1);

        Assert.That(Run(LayerRegistry<T>.Create(fromText)), Is.EqualTo(Run(LayerRegistry<T>.Create(built))));
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

    // Loss and gradient of a (2, 4, 3) batch with the class axis last, one label 255 (ignored).
    private static T[] Run(Layer<T> layer)
    {
        using (layer)
        {
            using var logits = LayerTestData.Blob<T>([2, 4, 3], LayerTestData.Gaussian(24, seed: 40));
            using var labels = LayerTestData.Blob<T>([2, 4], [0, 1, 2, 255, 2, 2, 1, 0]);
            using var loss = new Blob<T>();
            Blob<T>[] bottom = [logits, labels];
            layer.SetUp(bottom, [loss]);
            T value = layer.Forward(bottom, [loss]);
            layer.Backward([loss], [true, false], bottom);
            return [value, .. logits.GetDiff()];
        }
    }
}
