using Crema.Parameters;

namespace Crema.Tests.Parameters;

/// <summary>
/// The data layer's sub-messages in Caffe's text format: idx_data_param and transform_param; their defaults, every
/// field, round trip, deep clone and errors.
/// </summary>
public class DataLayerParameterTests
{
    [Test]
    public void Defaults()
    {
        var p = new LayerParameter();

        using (Assert.EnterMultipleScope())
        {
            var d = p.IdxDataParam;
            Assert.That((d.Images, d.Labels, d.BatchSize, d.Shuffle, d.Seed, d.Root, d.Prefetch), Is.EqualTo(("", "", 0u, false, (ulong?)null, "", true)));
            Assert.That(p.TransformParam.Scale, Is.EqualTo(1f));
            Assert.That(p.TransformParam.MeanValue, Is.Empty);
        }
    }

    [Test]
    public void ReadsEveryField()
    {
        var p = LayerParameter.Parse("""
            name: "mnist" type: "IdxData" top: "data" top: "label"
            include { phase: TRAIN }
            transform_param { scale: 0.00390625 mean_value: 33.3 mean_value: 1 }
            idx_data_param {
              images: "train-images-idx3-ubyte.gz"
              labels: "train-labels-idx1-ubyte.gz"
              batch_size: 64
              shuffle: true
              seed: 18446744073709551615
              root: "/data/fashion"
              prefetch: false
            }
            """);

        var d = p.IdxDataParam;
        Assert.That((d.Images, d.Labels, d.BatchSize, d.Shuffle, d.Seed, d.Root, d.Prefetch),
            Is.EqualTo(("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 64u, true, (ulong?)ulong.MaxValue, "/data/fashion", false)));
        Assert.That(p.TransformParam.Scale, Is.EqualTo(0.00390625f));
        Assert.That(p.TransformParam.MeanValue, Is.EqualTo(new[] { 33.3f, 1f }));
    }

    [Test]
    public void RoundTrip_ThroughToText_KeepsAGivenZeroSeed()
    {
        var p = LayerParameter.Parse("""
            type: "IdxData"
            transform_param { scale: 0.5 mean_value: 2 }
            idx_data_param { images: "a b.gz" labels: "l" batch_size: 3 shuffle: true seed: 0 root: "r" prefetch: false }
            """);

        string text = p.ToText();
        var again = LayerParameter.Parse(text);

        Assert.That(again.ToText(), Is.EqualTo(text));
        Assert.That(text, Does.Contain("seed: 0"), "a seed of 0 is given, not absent");
        Assert.That(again.IdxDataParam.Seed, Is.EqualTo(0UL));
        Assert.That((again.IdxDataParam.Images, again.IdxDataParam.Prefetch, again.TransformParam.MeanValue.Single()), Is.EqualTo(("a b.gz", false, 2f)));
        Assert.That(new LayerParameter().ToText(), Does.Not.Contain("idx_data_param").And.Not.Contain("transform_param"), "defaults are left out");
        Assert.That(LayerParameter.Parse("idx_data_param { batch_size: 2 }").ToText(), Does.Not.Contain("seed"), "an absent seed stays absent");
    }

    [Test]
    public void Clone_IsDeep()
    {
        var p = LayerParameter.Parse("transform_param { scale: 2 mean_value: 1 } idx_data_param { images: \"i\" seed: 4 }");

        var c = p.Clone();
        c.TransformParam.MeanValue.Add(5);
        c.TransformParam.Scale = 3;
        c.IdxDataParam.Images = "j";
        c.IdxDataParam.Seed = null;

        Assert.That(p.TransformParam.MeanValue, Is.EqualTo(new[] { 1f }));
        Assert.That(p.TransformParam.Scale, Is.EqualTo(2f));
        Assert.That((p.IdxDataParam.Images, p.IdxDataParam.Seed), Is.EqualTo(("i", (ulong?)4)));
    }

    [TestCase("idx_data_param { batchsize: 3 }", "did you mean 'batch_size'")]
    [TestCase("idx_data_param { batch_size: -1 }", "batch_size")]
    [TestCase("idx_data_param { seed: -1 }", "seed")]
    [TestCase("idx_data_param { shuffle: maybe }", "shuffle")]
    [TestCase("idx_data_param { images: 3 }", "images")]
    [TestCase("idx_data_param { root: \"a\" root: \"b\" }", "given twice")]
    [TestCase("transform_param { scale: \"x\" }", "scale")]
    [TestCase("transform_param { mirror: true }", "TransformationParameter")]
    public void BadText_Throws_WithLineAndColumn(string text, string mentions)
    {
        var e = Assert.Throws<TextFormatException>(() => LayerParameter.Parse(text, "net.prototxt"));

        Assert.That(e!.Message, Does.Contain("net.prototxt:1:").And.Contain(mentions));
    }
}
