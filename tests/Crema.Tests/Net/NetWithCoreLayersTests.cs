using Crema.Core;
using Crema.Fillers;
using Crema.Layers;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Tests.Net;

/// <summary>The real layers wired by a net: an MLP from DummyData to SoftmaxWithLoss, on the CPU.</summary>
public class NetWithCoreLayersTests
{
    private const string Mlp = """
        name: "mlp"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { data_filler { type: "gaussian" std: 1 } shape { dim: 4 dim: 6 }
                                   data_filler { type: "constant" value: 2 } shape { dim: 4 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 5 weight_filler { type: "xavier" } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                param { lr_mult: LR } inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    [Test]
    public void ForwardBackward_GivesAFiniteLoss_AndGradientsForEveryLearnableParam()
    {
        using var net = new Net<double>(NetParameter.Parse(Mlp.Replace("LR", "1")), Phase.Train);
        double loss = net.ForwardBackward();

        Assert.That(double.IsFinite(loss) && loss > 0, Is.True, $"loss {loss}");
        Assert.That(net.LearnableParams, Has.Count.EqualTo(4));
        foreach (var param in net.LearnableParams)
        {
            Assert.That(param.AsumDiff(), Is.GreaterThan(0.0), param.ToString());
        }
    }

    [Test]
    public void BackwardWithAccuracyLayer_SkipsTheAccuracy_AndGivesTheSameGradients()
    {
        // Caffe's TestBackwardWithAccuracyLayer: an Accuracy reading ip2 and the labels (so both get a Split) must
        // not break Backward; it feeds no loss, so it is pruned and the gradients are those of the net without it.
        string withAccuracy = Mlp.Replace("LR", "1") +
            "\nlayer { name: \"accuracy\" type: \"Accuracy\" bottom: \"ip2\" bottom: \"label\" top: \"accuracy\" }";
        // Same seed, same draws (weights at construction, data in Forward) for both nets.
        SeededRandom.SetGlobalSeed(7);
        using var net = new Net<double>(NetParameter.Parse(withAccuracy), Phase.Train);
        double loss = net.ForwardBackward();
        SeededRandom.SetGlobalSeed(7);
        using var plain = new Net<double>(NetParameter.Parse(Mlp.Replace("LR", "1")), Phase.Train);
        double plainLoss = plain.ForwardBackward();

        int accuracy = net.LayerNames.ToList().IndexOf("accuracy");
        Assert.That(net.LayerNeedBackward[accuracy], Is.False);
        Assert.That(net.LayerNames, Has.Some.EndsWith("_split"), "ip2 and label have two readers each");
        Assert.That(net.BlobByName("accuracy").GetData()[0], Is.InRange(0.0, 1.0));
        Assert.That(loss, Is.EqualTo(plainLoss));
        for (int i = 0; i < plain.LearnableParams.Count; i++)
        {
            Assert.That(net.LearnableParams[i].GetDiff(), Is.EqualTo(plain.LearnableParams[i].GetDiff()), $"param {i}");
        }
    }

    [Test]
    public void LrMultZero_OnInnerProduct_GivesExactlyZeroWeightDiff()
    {
        using var net = new Net<double>(NetParameter.Parse(Mlp.Replace("LR", "0")), Phase.Train);
        net.ForwardBackward();

        var ip2 = net.Layers[net.LayerNames.ToList().IndexOf("ip2")];
        Assert.That(ip2.Blobs[0].AsumDiff(), Is.Zero);
        Assert.That(ip2.Blobs[1].AsumDiff(), Is.GreaterThan(0.0), "the bias keeps lr_mult 1");
    }

    [Test]
    public void Update_SubtractsTheDiffFromEveryParam()
    {
        using var net = new Net<double>(NetParameter.Parse(Mlp.Replace("LR", "1")), Phase.Train);
        net.ForwardBackward();
        var before = net.LearnableParams.Select(p => (p.GetData(), p.GetDiff())).ToList();

        net.Update();

        for (int i = 0; i < before.Count; i++)
        {
            var (data, diff) = before[i];
            var expected = data.Zip(diff, (d, g) => d - g).ToArray();
            Assert.That(net.LearnableParams[i].GetData(), Is.EqualTo(expected));
        }
    }
}
