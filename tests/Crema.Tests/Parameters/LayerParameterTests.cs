using Crema.Parameters;

namespace Crema.Tests.Parameters;

/// <summary>LayerParameter read from realistic Caffe definitions, written back, cloned, and its normalization rule.</summary>
public class LayerParameterTests
{
    private const string SoftmaxWithLossText = """
        # Caffe's FCN-style loss: ignore the void label, divide by the labelled pixels.
        name: "loss"
        type: "SoftmaxWithLoss"
        bottom: "score"
        bottom: "label"
        top: "loss"
        loss_param {
          ignore_label: 255
          normalization: VALID
        }
        include { phase: TRAIN }
        """;

    [Test]
    public void SoftmaxWithLoss_WithLossParamAndInclude_ReadsEveryField()
    {
        var layer = LayerParameter.Parse(SoftmaxWithLossText);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(layer.Name, Is.EqualTo("loss"));
            Assert.That(layer.Type, Is.EqualTo("SoftmaxWithLoss"));
            Assert.That(layer.Bottom, Is.EqualTo(new[] { "score", "label" }));
            Assert.That(layer.Top, Is.EqualTo(new[] { "loss" }));
            Assert.That(layer.LossParam.IgnoreLabel, Is.EqualTo(255));
            Assert.That(layer.LossParam.Normalization, Is.EqualTo(NormalizationMode.Valid));
            Assert.That(layer.LossParam.Normalize, Is.Null);
            Assert.That(layer.Include, Has.Count.EqualTo(1));
            Assert.That(layer.Include[0].Phase, Is.EqualTo(Phase.Train));
            Assert.That(layer.Exclude, Is.Empty);
            Assert.That(layer.LossWeight, Is.Empty, "unset: the layer decides its default");
            Assert.That(layer.SoftmaxParam.Axis, Is.EqualTo(1), "an unset sub-message holds Caffe's defaults");
            Assert.That(layer.Phase, Is.Null);
            Assert.That(layer.ToString(), Is.EqualTo("SoftmaxWithLoss layer 'loss'"));
        }
    }

    [Test]
    public void Softmax_WithNegativeAxis_ReadsTheAxis()
    {
        var layer = LayerParameter.Parse("""
            name: "prob"
            type: "Softmax"
            bottom: "fc8"
            top: "prob"
            softmax_param { axis: -1 }
            """);

        Assert.That(layer.SoftmaxParam.Axis, Is.EqualTo(-1));
        Assert.That(layer.Type, Is.EqualTo("Softmax"));
        Assert.That(layer.LossParam.IgnoreLabel, Is.Null);
    }

    [Test]
    public void EveryField_IsRead()
    {
        var layer = LayerParameter.Parse("""
            name: "fc"  type: "InnerProduct"
            bottom: "data" top: "fc"
            phase: TEST
            loss_weight: 0.5 loss_weight: 0
            param { name: "fc_w" lr_mult: 1 decay_mult: 1 }
            param { lr_mult: 2 decay_mult: 0 }
            propagate_down: false
            include { phase: TEST min_level: 1 max_level: 3 stage: "val" stage: "extra" not_stage: "deploy" }
            exclude { not_stage: "train" }
            softmax_param { axis: 2 }
            loss_param {
              ignore_label: -1
              normalize: false
              label_smoothing: 0.1
              weight: [1, 2.5, 0.25]
            }
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(layer.Phase, Is.EqualTo(Phase.Test));
            Assert.That(layer.LossWeight, Is.EqualTo(new[] { 0.5f, 0f }));
            Assert.That(layer.Param.Select(p => (p.Name, p.LrMult, p.DecayMult)), Is.EqualTo(new[] { ("fc_w", 1f, 1f), (null, 2f, 0f) }));
            Assert.That(layer.PropagateDown, Is.EqualTo(new[] { false }));
            var include = layer.Include.Single();
            Assert.That((include.Phase, include.MinLevel, include.MaxLevel), Is.EqualTo((Phase.Test, 1, 3)));
            Assert.That(include.Stage, Is.EqualTo(new[] { "val", "extra" }));
            Assert.That(include.NotStage, Is.EqualTo(new[] { "deploy" }));
            var exclude = layer.Exclude.Single();
            Assert.That((exclude.Phase, exclude.MinLevel, exclude.MaxLevel), Is.EqualTo(((Phase?)null, (int?)null, (int?)null)));
            Assert.That(exclude.NotStage, Is.EqualTo(new[] { "train" }));
            Assert.That(layer.SoftmaxParam.Axis, Is.EqualTo(2));
            Assert.That(layer.LossParam.IgnoreLabel, Is.EqualTo(-1));
            Assert.That(layer.LossParam.Normalize, Is.False);
            Assert.That(layer.LossParam.Normalization, Is.Null);
            Assert.That(layer.LossParam.LabelSmoothing, Is.EqualTo(0.1f));
            Assert.That(layer.LossParam.Weight, Is.EqualTo(new[] { 1f, 2.5f, 0.25f }));
        }
    }

    [Test]
    public void ToText_WritesCaffeStyle_LeavingDefaultsOut()
    {
        var text = LayerParameter.Parse(SoftmaxWithLossText).ToText();

        Assert.That(text, Is.EqualTo("""
            name: "loss"
            type: "SoftmaxWithLoss"
            bottom: "score"
            bottom: "label"
            top: "loss"
            include {
              phase: TRAIN
            }
            loss_param {
              ignore_label: 255
              normalization: VALID
            }

            """));
    }

    [TestCase(SoftmaxWithLossText)]
    [TestCase("name: \"prob\" type: \"Softmax\" bottom: \"fc8\" top: \"prob\" softmax_param { axis: -1 }")]
    [TestCase("""
        name: "fc" type: "InnerProduct" bottom: "data" top: "fc" phase: TEST
        loss_weight: [0.5, 0, 1e-7, -inf, 3.4028235e38]
        param { name: "w" lr_mult: 0 decay_mult: 1 } param { } param { lr_mult: 2 decay_mult: 0 }
        propagate_down: [true, false]
        include { phase: TEST min_level: -2 max_level: 3 stage: "a" stage: "b" not_stage: "c" }
        include { } exclude < phase: TRAIN >
        loss_param { ignore_label: -2147483648 normalization: NONE normalize: true label_smoothing: 0.05 weight: [1, 0.1] }
        """)]
    [TestCase(@"name: ""quote\"" backslash\\ tab\t newline\n bell\a del\177 é ☕"" type: ""x""")]
    public void ParseOfToText_GivesAnEqualLayer(string text)
    {
        var layer = LayerParameter.Parse(text);

        string written = layer.ToText();
        var again = LayerParameter.Parse(written, "written");

        Assert.That(again.ToText(), Is.EqualTo(written));
        Assert.That(again.Name, Is.EqualTo(layer.Name));
        Assert.That(again.LossWeight, Is.EqualTo(layer.LossWeight));
    }

    [Test]
    public void ToText_OfALayerBuiltInCode_ParsesBack()
    {
        var layer = new LayerParameter
        {
            Name = "loss",
            Type = "SoftmaxWithLoss",
            Bottom = ["x", "y"],
            LossWeight = [float.NaN, 1e-45f, float.MaxValue, -0f],
            LossParam = { Normalization = NormalizationMode.BatchSize, Weight = [0.1f, 1f / 3] },
        };

        var again = LayerParameter.Parse(layer.ToText());

        Assert.That(again.LossWeight[0], Is.NaN);
        Assert.That(again.LossWeight.Skip(1), Is.EqualTo(layer.LossWeight.Skip(1)));
        Assert.That(float.IsNegative(again.LossWeight[3]), Is.True, "-0 keeps its sign");
        Assert.That(again.LossParam.Weight, Is.EqualTo(layer.LossParam.Weight), "floats are written exactly");
        Assert.That(again.LossParam.Normalization, Is.EqualTo(NormalizationMode.BatchSize));
    }

    [Test]
    public void ToText_OfADefaultLayer_IsEmpty()
    {
        Assert.That(new LayerParameter().ToText(), Is.Empty);
    }

    [Test]
    public void Clone_IsDeep_ChangingTheCloneLeavesTheOriginal()
    {
        var original = LayerParameter.Parse("""
            name: "a" type: "SoftmaxWithLoss" bottom: "x" top: "y" phase: TRAIN loss_weight: 2
            param { name: "p" lr_mult: 3 } propagate_down: true
            include { phase: TRAIN stage: "s" not_stage: "n" min_level: 1 } exclude { phase: TEST }
            softmax_param { axis: 2 } loss_param { ignore_label: 7 normalization: FULL weight: 1 }
            """);
        string before = original.ToText();

        var clone = original.Clone();
        Assert.That(clone.ToText(), Is.EqualTo(before), "a clone starts equal");

        clone.Name = "b";
        clone.Type = "Softmax";
        clone.Bottom.Add("x2");
        clone.Top[0] = "y2";
        clone.Phase = Phase.Test;
        clone.LossWeight[0] = 5;
        clone.Param[0].LrMult = 9;
        clone.Param[0].Name = "q";
        clone.Param.Add(new ParamSpec());
        clone.PropagateDown[0] = false;
        clone.Include[0].Phase = Phase.Test;
        clone.Include[0].Stage.Add("s2");
        clone.Include[0].NotStage.Clear();
        clone.Include[0].MinLevel = 4;
        clone.Exclude.Clear();
        clone.SoftmaxParam.Axis = 0;
        clone.LossParam.IgnoreLabel = null;
        clone.LossParam.Normalization = NormalizationMode.None;
        clone.LossParam.Weight.Add(2);

        Assert.That(original.ToText(), Is.EqualTo(before));
        Assert.That(clone.ToText(), Is.Not.EqualTo(before));
    }

    [Test]
    public void Clone_OfSubMessages_IsIndependent()
    {
        var spec = new ParamSpec { Name = "w", LrMult = 2 };
        var rule = new NetStateRule { Phase = Phase.Train, Stage = ["a"] };
        var softmax = new SoftmaxParameter { Axis = 3 };
        var loss = new LossParameter { IgnoreLabel = 1, Weight = [1f] };

        var (specCopy, ruleCopy, softmaxCopy, lossCopy) = (spec.Clone(), rule.Clone(), softmax.Clone(), loss.Clone());
        specCopy.LrMult = 0;
        ruleCopy.Stage.Add("b");
        softmaxCopy.Axis = 0;
        lossCopy.Weight[0] = 5;

        using (Assert.EnterMultipleScope())
        {
            Assert.That((specCopy.Name, spec.LrMult), Is.EqualTo(("w", 2f)));
            Assert.That((ruleCopy.Phase, rule.Stage.Count), Is.EqualTo((Phase.Train, 1)));
            Assert.That(softmax.Axis, Is.EqualTo(3));
            Assert.That((lossCopy.IgnoreLabel, loss.Weight[0]), Is.EqualTo((1, 1f)));
        }
    }

    [TestCase(null, null, NormalizationMode.Valid)]
    [TestCase(null, true, NormalizationMode.Valid)]
    [TestCase(null, false, NormalizationMode.BatchSize)]
    [TestCase(NormalizationMode.Full, null, NormalizationMode.Full)]
    [TestCase(NormalizationMode.Full, false, NormalizationMode.Full)]
    [TestCase(NormalizationMode.None, true, NormalizationMode.None)]
    [TestCase(NormalizationMode.BatchSize, true, NormalizationMode.BatchSize)]
    [TestCase(NormalizationMode.Valid, false, NormalizationMode.Valid)]
    public void EffectiveNormalization_NormalizationWins_ElseLegacyNormalize_ElseValid(
        NormalizationMode? normalization, bool? normalize, NormalizationMode expected)
    {
        var loss = new LossParameter { Normalization = normalization, Normalize = normalize };

        Assert.That(loss.EffectiveNormalization, Is.EqualTo(expected));
    }

    [TestCase("loss_param { normalize: false }", NormalizationMode.BatchSize)]
    [TestCase("loss_param { normalize: true }", NormalizationMode.Valid)]
    [TestCase("loss_param { normalize: false normalization: FULL }", NormalizationMode.Full)]
    [TestCase("loss_param { }", NormalizationMode.Valid)]
    [TestCase("", NormalizationMode.Valid)]
    public void EffectiveNormalization_FromText(string text, NormalizationMode expected)
    {
        Assert.That(LayerParameter.Parse(text).LossParam.EffectiveNormalization, Is.EqualTo(expected));
    }

    [Test]
    public void ParseFile_ReadsTheFile_AndErrorsNameIt()
    {
        string directory = Path.Combine(Path.GetTempPath(), "crema-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string good = Path.Combine(directory, "loss.prototxt");
            File.WriteAllText(good, SoftmaxWithLossText);
            string bad = Path.Combine(directory, "bad.prototxt");
            File.WriteAllText(bad, "name: \"x\"\nloss_param {\n  normalization: VALIDD\n}\n");

            Assert.That(LayerParameter.ParseFile(good).LossParam.IgnoreLabel, Is.EqualTo(255));
            var error = Assert.Throws<TextFormatException>(() => LayerParameter.ParseFile(bad));
            Assert.That(error.Message, Is.EqualTo($"{bad}:3:18: unknown value 'VALIDD' for normalization (expected FULL, VALID, BATCH_SIZE, NONE)"));
            Assert.That(() => LayerParameter.ParseFile(Path.Combine(directory, "missing.prototxt")), Throws.InstanceOf<FileNotFoundException>());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void UnknownField_IsNeverSkipped()
    {
        Assert.That(() => LayerParameter.Parse("name: \"a\"\nblobs_lr: 1"), Throws.InstanceOf<TextFormatException>());
    }
}
