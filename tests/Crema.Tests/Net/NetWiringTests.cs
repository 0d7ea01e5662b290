using System.Numerics;
using Crema.Layers;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Tests.Net;

/// <summary>How a net is built: parsing, phases, wiring by name, in-place layers, splits, automatic tops, errors.</summary>
public abstract class NetWiringTests<T> : NetTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Test]
    public void ParseReadsLayersStateAndForceBackward()
    {
        var param = NetParameter.Parse(Basic + "\nforce_backward: true\nstate { phase: TRAIN level: 2 stage: \"a\" }\n");

        Assert.Multiple(() =>
        {
            Assert.That(param.Name, Is.EqualTo("basic"));
            Assert.That(param.Layer.Select(l => l.Name), Is.EqualTo(new[] { "data", "scale1", "scale2", "loss" }));
            Assert.That(param.Layer[3].Bottom, Is.EqualTo(new[] { "s2", "label" }));
            Assert.That(param.ForceBackward, Is.True);
            Assert.That(param.State.Phase, Is.EqualTo(Phase.Train));
            Assert.That(param.State.Level, Is.EqualTo(2));
            Assert.That(param.State.Stage, Is.EqualTo(new[] { "a" }));
            Assert.That(NetParameter.Parse(param.ToText()).ToText(), Is.EqualTo(param.ToText()));
        });
    }

    [Test]
    public void ParseReadsLegacyInputs()
    {
        var param = NetParameter.Parse("input: \"x\" input_shape { dim: 2 dim: 3 }");

        Assert.That(param.Input, Is.EqualTo(new[] { "x" }));
        Assert.That(param.InputShape[0].Dim, Is.EqualTo(new long[] { 2, 3 }));
    }

    [Test]
    public void ParseErrorGivesLineAndColumn()
    {
        var e = Assert.Throws<TextFormatException>(() => NetParameter.Parse("name: \"n\"\nlayer {\n  nme: \"x\"\n}", "net.prototxt"));

        Assert.That(e!.Message, Does.StartWith("net.prototxt:3:3:").And.Contain("nme").And.Contain("did you mean 'name'"));
    }

    [Test]
    public void ParseFileNamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"crema-net-{Guid.NewGuid():N}.prototxt");
        File.WriteAllText(path, "layer { name: \"a\" type: \"X\" }\nforce_backward: maybe\n");
        try
        {
            var e = Assert.Throws<TextFormatException>(() => NetParameter.ParseFile(path));
            Assert.That(e!.Message, Does.StartWith($"{path}:2:"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void WiresBlobsByName()
    {
        var net = Build(Basic);

        Assert.Multiple(() =>
        {
            Assert.That(net.LayerNames, Is.EqualTo(new[] { "data", "scale1", "scale2", "loss" }));
            Assert.That(net.BlobNames, Is.EqualTo(new[] { "data", "label", "s1", "s2", "loss" }));
            Assert.That(net.BottomVecs[2][0], Is.SameAs(net.TopVecs[1][0]));
            Assert.That(net.BottomVecs[3][1], Is.SameAs(net.BlobByName("label")));
            Assert.That(net.OutputBlobs, Is.EqualTo(new[] { net.BlobByName("loss") }));
            Assert.That(net.BlobLossWeights.Select(double.CreateChecked), Is.EqualTo(new double[] { 0, 0, 0, 0, 1 }));
            Assert.That(net.Layers.All(l => l.Phase == Phase.Train), Is.True);
        });
    }

    [Test]
    public void BlobByNameThrowsNamingTheBlob()
    {
        var net = Build(Basic);

        Assert.That(net.HasBlob("s1"), Is.True);
        Assert.That(net.HasBlob("nope"), Is.False);
        Assert.That(() => net.BlobByName("nope"), Throws.InstanceOf<KeyNotFoundException>().With.Message.Contains("'nope'"));
        Assert.That(net.LayerByName("scale2"), Is.SameAs(net.Layers[2]));
    }

    [Test]
    public void InPlaceLayerReusesItsBottom()
    {
        var net = Build(BasicWith(
            "layer { name: \"scale2\" type: \"NetTestScale\" bottom: \"s1\" top: \"s2\" }",
            "layer { name: \"scale2\" type: \"NetTestScale\" bottom: \"s1\" top: \"s1\" }")
            .Replace("bottom: \"s2\" bottom: \"label\"", "bottom: \"s1\" bottom: \"label\"", StringComparison.Ordinal));
        net.Forward();

        Assert.That(net.TopVecs[2][0], Is.SameAs(net.BottomVecs[2][0]));
        Assert.That(net.BlobNames, Is.EqualTo(new[] { "data", "label", "s1", "loss" }));
        Assert.That(net.BottomVecs[3][0], Is.SameAs(net.BlobByName("s1")));
    }

    [Test]
    public void SplitIsInsertedForABlobWithTwoReaders()
    {
        var net = Build("""
            layer { name: "data" type: "NetTestData" top: "data" top: "label" }
            layer { name: "scale1" type: "NetTestScale" bottom: "data" top: "s1" }
            layer { name: "scale2" type: "NetTestScale" bottom: "data" top: "s2" }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s1" bottom: "label" top: "loss" }
            """);

        Assert.Multiple(() =>
        {
            Assert.That(net.LayerNames, Is.EqualTo(new[] { "data", "data_data_0_split", "scale1", "scale2", "loss" }));
            Assert.That(net.Layers[1], Is.InstanceOf<SplitLayer<T>>());
            Assert.That(net.Param.Layer[1].Top, Is.EqualTo(new[] { "data_data_0_split_0", "data_data_0_split_1" }));
            Assert.That(net.Param.Layer[2].Bottom, Is.EqualTo(new[] { "data_data_0_split_0" }));
            Assert.That(net.Param.Layer[3].Bottom, Is.EqualTo(new[] { "data_data_0_split_1" }));
            Assert.That(net.OutputBlobs, Is.EquivalentTo(new[] { net.BlobByName("s2"), net.BlobByName("loss") }));
            // scale2 feeds no loss, so it is left out of the backward pass.
            Assert.That(net.LayerNeedBackward, Is.EqualTo(new[] { false, false, true, false, true }));
        });

        net.Forward();
        Assert.That(net.BlobByName("data_data_0_split_1").GetData(), Is.EqualTo(net.BlobByName("data").GetData()));
    }

    [Test]
    public void SplitSumsTheReadersDiffs()
    {
        var net = Build("""
            force_backward: true
            layer { name: "data" type: "NetTestData" top: "data" top: "label" }
            layer { name: "scale1" type: "NetTestScale" bottom: "data" top: "s1" }
            layer { name: "scale2" type: "NetTestScale" bottom: "data" top: "s2" }
            layer { name: "loss1" type: "SoftmaxWithLoss" bottom: "s1" bottom: "label" top: "l1" }
            layer { name: "loss2" type: "SoftmaxWithLoss" bottom: "s2" bottom: "label" top: "l2" }
            """);
        net.ForwardBackward();

        var a = ToDouble(net.BlobByName("data_data_0_split_0").GetDiff());
        var b = ToDouble(net.BlobByName("data_data_0_split_1").GetDiff());
        var sum = ToDouble(net.BlobByName("data").GetDiff());
        Assert.That(sum, Is.EqualTo(a.Zip(b, (x, y) => double.CreateChecked(T.CreateChecked(x) + T.CreateChecked(y))).ToArray()));
        Assert.That(a.Any(v => v != 0), Is.True);
    }

    [Test]
    public void ConsumedLossTopCountsAsOneMoreReader()
    {
        var param = NetParameter.Parse("""
            layer { name: "src" type: "A" top: "x" }
            layer { name: "l" type: "B" bottom: "x" top: "loss" loss_weight: 2 }
            layer { name: "c" type: "C" bottom: "loss" top: "y" }
            """);

        var split = NetBuilder.InsertSplits(param, (p, j) => j < p.LossWeight.Count ? p.LossWeight[j] : 0);

        Assert.Multiple(() =>
        {
            Assert.That(split.Layer.Select(l => l.Name), Is.EqualTo(new[] { "src", "l", "loss_l_0_split", "c" }));
            Assert.That(split.Layer[2].Type, Is.EqualTo("Split"));
            Assert.That(split.Layer[2].Top, Is.EqualTo(new[] { "loss_l_0_split_0", "loss_l_0_split_1" }));
            Assert.That(split.Layer[2].LossWeight, Is.EqualTo(new float[] { 2, 0 }));
            Assert.That(split.Layer[1].LossWeight, Is.EqualTo(new float[] { 0 }));
            Assert.That(split.Layer[3].Bottom, Is.EqualTo(new[] { "loss_l_0_split_1" }));
            Assert.That(param.Layer[1].LossWeight, Is.EqualTo(new float[] { 2 }), "the given parameter is not changed");
        });
    }

    [Test]
    public void ConsumedTopOfALossLayerIsSplitWithItsDefaultLossWeight()
    {
        var net = Build(Basic + """

            layer { name: "after" type: "NetTestScale" bottom: "loss" top: "y" }
            """);
        var plain = Build(Basic);

        Assert.That(net.LayerNames, Is.EqualTo(new[] { "data", "scale1", "scale2", "loss", "loss_loss_0_split", "after" }));
        Assert.That(net.Param.Layer[4].LossWeight, Is.EqualTo(new float[] { 1, 0 }));
        Assert.That(net.Layers[3].HasLoss, Is.False);
        Assert.That(net.Param.Layer[5].Bottom, Is.EqualTo(new[] { "loss_loss_0_split_1" }));
        Assert.That(double.CreateChecked(net.Forward()), Is.EqualTo(double.CreateChecked(plain.Forward())));
    }

    [Test]
    public void LegacyInputsAreNetInputs()
    {
        var reference = Build(Basic);
        double expected = double.CreateChecked(reference.Forward());
        var net = Build("""
            input: "data" input_shape { dim: 4 dim: 5 }
            input: "label" input_shape { dim: 4 }
            layer { name: "scale1" type: "NetTestScale" bottom: "data" top: "s1" }
            layer { name: "scale2" type: "NetTestScale" bottom: "s1" top: "s2" }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s2" bottom: "label" top: "loss" }
            layer { name: "extra" type: "NetTestScale" bottom: "data" top: "e" }
            """);

        Assert.That(net.InputBlobs.Select(b => b.ShapeString), Is.EqualTo(new[] { "4 5 (20)", "4 (4)" }));
        Assert.That(net.LayerNames[0], Is.EqualTo("data_input_0_split"));
        net.InputBlobs[0].SetData(reference.BlobByName("data").CpuData);
        net.InputBlobs[1].SetData(reference.BlobByName("label").CpuData);
        Assert.That(double.CreateChecked(net.Forward()), Is.EqualTo(expected));
    }

    [Test]
    public void AutomaticTopIsCreated()
    {
        var net = Build(BasicWith("bottom: \"label\" top: \"loss\"", "bottom: \"label\""));

        Assert.That(net.BlobNames[^1], Is.EqualTo(Net<T>.AutomaticBlobName));
        Assert.That(net.TopVecs[3], Has.Count.EqualTo(1));
        Assert.That(double.CreateChecked(net.Forward()), Is.GreaterThan(0));
    }

    [Test]
    public void IncludeAndExcludeFollowThePhase()
    {
        string text = Basic + """

            layer { name: "test_only" type: "NetTestScale" bottom: "s2" top: "t" include { phase: TEST } }
            layer { name: "not_train" type: "NetTestScale" bottom: "s2" top: "u" exclude { phase: TRAIN } }
            layer { name: "not_test" type: "NetTestScale" bottom: "s2" top: "v" exclude { phase: TEST } }
            layer { name: "staged" type: "NetTestScale" bottom: "s2" top: "w" include { stage: "deploy" } }
            """;

        var train = Build(text, Phase.Train);
        var test = Build(text, Phase.Test);
        var deploy = Build(text.Replace("name: \"basic\"", "name: \"basic\" state { stage: \"deploy\" }", StringComparison.Ordinal), Phase.Test);

        Assert.Multiple(() =>
        {
            Assert.That(train.LayerNames.Where(n => !n.Contains("split", StringComparison.Ordinal)), Is.EqualTo(new[] { "data", "scale1", "scale2", "loss", "not_test" }));
            Assert.That(test.LayerNames.Where(n => !n.Contains("split", StringComparison.Ordinal)), Is.EqualTo(new[] { "data", "scale1", "scale2", "loss", "test_only", "not_train" }));
            Assert.That(deploy.HasLayer("staged"), Is.True);
            Assert.That(test.HasLayer("staged"), Is.False);
            Assert.That(test.Layers.All(l => l.Phase == Phase.Test), Is.True);
        });
    }

    [Test]
    public void IncludeAndExcludeTogetherAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(BasicWith(
            "top: \"s1\" }", "top: \"s1\" include { phase: TRAIN } exclude { phase: TEST } }")));

        Assert.That(e!.Message, Does.Contain("scale1").And.Contain("include").And.Contain("exclude"));
    }

    [Test]
    public void UnknownBottomNamesLayerAndBlob()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(BasicWith("bottom: \"s1\" top: \"s2\"", "bottom: \"nope\" top: \"s2\"")));

        Assert.That(e!.Message, Does.Contain("'scale2'").And.Contain("unknown bottom blob 'nope'"));
    }

    [Test]
    public void DuplicateTopNamesLayerAndBlob()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(Basic + """

            layer { name: "dup" type: "NetTestScale" bottom: "label" top: "s1" }
            """));

        Assert.That(e!.Message, Does.Contain("'dup'").And.Contain("top blob 's1'").And.Contain("layer 'scale1'"));
    }

    [Test]
    public void WrongBlobCountNamesLayerAndBlobs()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(BasicWith("bottom: \"s2\" bottom: \"label\"", "bottom: \"s2\"")));

        Assert.That(e!.Message, Does.Contain("'loss'").And.Contain("'s2'").And.Contain("takes 2 bottom"));
    }

    [Test]
    public void PropagateDownOfWrongLengthNamesLayerAndBlobs()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(BasicWith("bottom: \"label\" top: \"loss\"", "bottom: \"label\" top: \"loss\" propagate_down: true")));

        Assert.That(e!.Message, Does.Contain("'loss'").And.Contain("propagate_down").And.Contain("s2, label"));
    }

    [Test]
    public void SharedParamsOfDifferentShapesNameBothLayers()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(Basic + """

            layer { name: "a" type: "NetTestScale" bottom: "s2" top: "x" param { name: "w" } }
            layer { name: "b" type: "NetTestScale" bottom: "loss" top: "y" param { name: "w" } }
            """.Replace("bottom: \"loss\"", "bottom: \"label\"", StringComparison.Ordinal)));

        Assert.That(e!.Message, Does.Contain("'b'").And.Contain("'w'").And.Contain("layer 'a'").And.Contain("shape"));
    }

    [Test]
    public void UnknownLayerTypeIsRefused()
    {
        Assert.That(() => Build(BasicWith("type: \"NetTestScale\" bottom: \"data\"", "type: \"NoSuchLayer\" bottom: \"data\"")),
            Throws.ArgumentException.With.Message.Contains("NoSuchLayer"));
    }
}

[TestFixture]
public sealed class NetWiringTestsFloat : NetWiringTests<float>;

[TestFixture]
public sealed class NetWiringTestsDouble : NetWiringTests<double>;
