using Crema.Parameters;

namespace Crema.Tests.Parameters;

/// <summary>
/// The core layers' sub-messages in Caffe's text format: input_param, dummy_data_param (with fillers),
/// inner_product_param, relu_param, accuracy_param; their defaults, round trip, deep clone and errors.
/// </summary>
public class CoreLayerParameterTests
{
    [Test]
    public void Defaults_AreCaffes()
    {
        var p = new LayerParameter();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(p.InputParam.Shape, Is.Empty);
            Assert.That(p.DummyDataParam.Shape, Is.Empty);
            Assert.That(p.DummyDataParam.DataFiller, Is.Empty);
            Assert.That(p.InnerProductParam.NumOutput, Is.Zero);
            Assert.That(p.InnerProductParam.BiasTerm, Is.True);
            Assert.That(p.InnerProductParam.Axis, Is.EqualTo(1));
            Assert.That(p.InnerProductParam.Transpose, Is.False);
            Assert.That(p.InnerProductParam.WeightFiller.Type, Is.EqualTo("constant"));
            Assert.That(p.ReLUParam.NegativeSlope, Is.Zero);
            Assert.That(p.AccuracyParam.TopK, Is.EqualTo(1));
            Assert.That(p.AccuracyParam.Axis, Is.EqualTo(1));
            Assert.That(p.AccuracyParam.IgnoreLabel, Is.Null);
            var f = new FillerParameter();
            Assert.That((f.Type, f.Value, f.Min, f.Max, f.Mean, f.Std, f.VarianceNorm),
                Is.EqualTo(("constant", 0f, 0f, 1f, 0f, 1f, VarianceNorm.FanIn)));
        }
    }

    [Test]
    public void InnerProduct_ReadsEveryField()
    {
        var p = LayerParameter.Parse("""
            name: "fc6" type: "InnerProduct" bottom: "pool5" top: "fc6"
            inner_product_param {
              num_output: 4096
              bias_term: false
              weight_filler { type: "xavier" variance_norm: AVERAGE }
              bias_filler { type: "constant" value: 0.1 }
              axis: 2
              transpose: true
            }
            """);

        var ip = p.InnerProductParam;
        Assert.That((ip.NumOutput, ip.BiasTerm, ip.Axis, ip.Transpose), Is.EqualTo((4096u, false, 2, true)));
        Assert.That((ip.WeightFiller.Type, ip.WeightFiller.VarianceNorm), Is.EqualTo(("xavier", VarianceNorm.Average)));
        Assert.That((ip.BiasFiller.Type, ip.BiasFiller.Value), Is.EqualTo(("constant", 0.1f)));
    }

    [Test]
    public void Fillers_ReadEveryField()
    {
        var p = LayerParameter.Parse("""
            type: "DummyData"
            dummy_data_param {
              data_filler { type: "uniform" min: -0.5 max: 0.5 }
              data_filler { type: "gaussian" mean: 1 std: 0.01 }
              data_filler { type: "msra" variance_norm: FAN_OUT }
              shape { dim: 10 dim: 3 dim: 28 dim: 28 }
              shape { dim: 10 }
              shape: { dim: [2, 5] }
            }
            """);

        var d = p.DummyDataParam;
        Assert.That(d.DataFiller.Select(f => f.Type), Is.EqualTo(new[] { "uniform", "gaussian", "msra" }));
        Assert.That((d.DataFiller[0].Min, d.DataFiller[0].Max), Is.EqualTo((-0.5f, 0.5f)));
        Assert.That((d.DataFiller[1].Mean, d.DataFiller[1].Std), Is.EqualTo((1f, 0.01f)));
        Assert.That(d.DataFiller[2].VarianceNorm, Is.EqualTo(VarianceNorm.FanOut));
        Assert.That(d.Shape.Select(s => s.Dim), Is.EqualTo(new[] { new long[] { 10, 3, 28, 28 }, [10], [2, 5] }));
    }

    [Test]
    public void InputReLUAccuracy_ReadEveryField()
    {
        var input = LayerParameter.Parse("type: \"Input\" top: \"data\" input_param { shape { dim: 64 dim: 1 dim: 28 dim: 28 } }");
        var relu = LayerParameter.Parse("type: \"ReLU\" relu_param { negative_slope: 0.1 }");
        var acc = LayerParameter.Parse("type: \"Accuracy\" accuracy_param { top_k: 5 axis: -1 ignore_label: 255 }");

        Assert.That(input.InputParam.Shape.Single().Dim, Is.EqualTo(new long[] { 64, 1, 28, 28 }));
        Assert.That(relu.ReLUParam.NegativeSlope, Is.EqualTo(0.1f));
        Assert.That((acc.AccuracyParam.TopK, acc.AccuracyParam.Axis, acc.AccuracyParam.IgnoreLabel), Is.EqualTo((5u, -1, (int?)255)));
    }

    [Test]
    public void RoundTrip_ThroughToText()
    {
        const string text = """
            name: "all"
            type: "InnerProduct"
            input_param { shape { dim: 2 dim: 3 } }
            dummy_data_param { data_filler { type: "gaussian" std: 0.5 } shape { dim: 4 } }
            inner_product_param { num_output: 7 bias_term: false weight_filler { type: "msra" variance_norm: FAN_OUT } axis: 2 transpose: true }
            relu_param { negative_slope: 0.25 }
            accuracy_param { top_k: 3 ignore_label: 0 }
            """;
        var p = LayerParameter.Parse(text);

        var again = LayerParameter.Parse(p.ToText());

        Assert.That(again.ToText(), Is.EqualTo(p.ToText()));
        Assert.That(again.InnerProductParam.WeightFiller.VarianceNorm, Is.EqualTo(VarianceNorm.FanOut));
        Assert.That(again.AccuracyParam.IgnoreLabel, Is.Zero);
        Assert.That(again.DummyDataParam.DataFiller.Single().Std, Is.EqualTo(0.5f));
        Assert.That(new LayerParameter().ToText(), Does.Not.Contain("_param"), "defaults are left out");
    }

    [Test]
    public void Clone_IsDeep()
    {
        var p = LayerParameter.Parse("""
            input_param { shape { dim: 2 } }
            dummy_data_param { data_filler { type: "uniform" } shape { dim: 4 } }
            inner_product_param { num_output: 3 weight_filler { type: "xavier" } }
            relu_param { negative_slope: 0.5 }
            accuracy_param { top_k: 2 }
            """);

        var c = p.Clone();
        c.InputParam.Shape[0].Dim[0] = 9;
        c.DummyDataParam.DataFiller[0].Type = "gaussian";
        c.DummyDataParam.Shape.Clear();
        c.InnerProductParam.WeightFiller.Type = "msra";
        c.InnerProductParam.NumOutput = 8;
        c.ReLUParam.NegativeSlope = 0;
        c.AccuracyParam.TopK = 1;

        Assert.That(p.ToText(), Is.EqualTo(LayerParameter.Parse(p.ToText()).ToText()));
        Assert.That(p.InputParam.Shape[0].Dim[0], Is.EqualTo(2));
        Assert.That(p.DummyDataParam.DataFiller[0].Type, Is.EqualTo("uniform"));
        Assert.That(p.DummyDataParam.Shape, Has.Count.EqualTo(1));
        Assert.That(p.InnerProductParam.WeightFiller.Type, Is.EqualTo("xavier"));
        Assert.That(p.InnerProductParam.NumOutput, Is.EqualTo(3));
        Assert.That(p.ReLUParam.NegativeSlope, Is.EqualTo(0.5f));
        Assert.That(p.AccuracyParam.TopK, Is.EqualTo(2));
    }

    [TestCase("inner_product_param { num_output: -1 }", "num_output")]
    [TestCase("inner_product_param { num_ouput: 3 }", "did you mean 'num_output'")]
    [TestCase("inner_product_param { weight_filler { variance_norm: FAN } }", "FAN")]
    [TestCase("inner_product_param { weight_filler { typ: \"xavier\" } }", "FillerParameter")]
    [TestCase("input_param { shape { dim: 1.5 } }", "dim")]
    [TestCase("relu_param { negative_slope: \"x\" }", "negative_slope")]
    [TestCase("accuracy_param { top_k: 1 top_k: 2 }", "given twice")]
    [TestCase("dummy_data_param { shape: 3 }", "BlobShape")]
    public void BadText_Throws_WithLineAndColumn(string text, string mentions)
    {
        var e = Assert.Throws<TextFormatException>(() => LayerParameter.Parse(text, "net.prototxt"));

        Assert.That(e!.Message, Does.Contain("net.prototxt:1:").And.Contain(mentions));
    }
}
