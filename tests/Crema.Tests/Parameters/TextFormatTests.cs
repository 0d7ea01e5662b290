using Crema.Parameters;

namespace Crema.Tests.Parameters;

/// <summary>The syntax of protobuf text format: the parse tree, its positions, and what the binder makes of values.</summary>
public class TextFormatTests
{
    private static TextScalar ScalarOf(TextMessage message, int field, int value = 0) =>
        (TextScalar)message.Fields[field].Values[value];

    [Test]
    public void ColonField_RecordsNameAndValuePositions()
    {
        var tree = TextFormat.Parse("name: \"ip\"\n  type: 'Softmax'");

        Assert.That(tree.Fields, Has.Count.EqualTo(2));
        var name = tree.Fields[0];
        var type = tree.Fields[1];
        using (Assert.EnterMultipleScope())
        {
            Assert.That((name.Name, name.Line, name.Column), Is.EqualTo(("name", 1, 1)));
            Assert.That((type.Name, type.Line, type.Column), Is.EqualTo(("type", 2, 3)));
            Assert.That(ScalarOf(tree, 0).Text, Is.EqualTo("ip"));
            Assert.That(ScalarOf(tree, 0).Kind, Is.EqualTo(TextScalarKind.String));
            Assert.That((ScalarOf(tree, 0).Line, ScalarOf(tree, 0).Column), Is.EqualTo((1, 7)));
            Assert.That((ScalarOf(tree, 1).Line, ScalarOf(tree, 1).Column), Is.EqualTo((2, 9)));
            Assert.That(tree.Fields.Select(f => f.IsList), Is.All.False);
        }
    }

    [TestCase("loss_param { ignore_label: 3 }", '{')]
    [TestCase("loss_param: { ignore_label: 3 }", '{')]
    [TestCase("loss_param < ignore_label: 3 >", '<')]
    [TestCase("loss_param: < ignore_label: 3 >", '<')]
    [TestCase("loss_param{ignore_label:3}", '{')]
    public void MessageField_AcceptsBracesOrAngleBrackets_WithOrWithoutColon(string text, char open)
    {
        var tree = TextFormat.Parse(text);

        var message = (TextMessage)tree.Fields[0].Values[0];
        int openColumn = text.IndexOf(open, StringComparison.Ordinal) + 1;
        using (Assert.EnterMultipleScope())
        {
            Assert.That((message.Line, message.Column), Is.EqualTo((1, openColumn)), "a message's position is its opening bracket");
            Assert.That(message.Fields.Single().Name, Is.EqualTo("ignore_label"));
            Assert.That(LayerParameter.Parse(text).LossParam.IgnoreLabel, Is.EqualTo(3));
        }
    }

    [Test]
    public void NestedMessages_KeepTheirFieldsAndPositions()
    {
        var tree = TextFormat.Parse("include {\n  phase: TRAIN\n  stage: \"a\"\n}\nname: \"x\"");

        var include = (TextMessage)tree.Fields[0].Values[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(include.Fields.Select(f => (f.Name, f.Line, f.Column)), Is.EqualTo(new[] { ("phase", 2, 3), ("stage", 3, 3) }));
            Assert.That((tree.Fields[1].Name, tree.Fields[1].Line), Is.EqualTo(("name", 5)));
        }
    }

    [TestCase("bottom: \"a\", bottom: \"b\"; bottom: \"c\"")]
    [TestCase("bottom: \"a\"; bottom: \"b\", bottom: \"c\";")]
    [TestCase("bottom: \"a\" bottom: \"b\"\nbottom: \"c\",")]
    public void CommaAndSemicolon_AreOptionalFieldSeparators(string text)
    {
        Assert.That(LayerParameter.Parse(text).Bottom, Is.EqualTo(new[] { "a", "b", "c" }));
    }

    [Test]
    public void SeparatorsInsideMessages_AreAccepted()
    {
        var layer = LayerParameter.Parse("loss_param { ignore_label: 1; normalize: false, } include < phase: TEST; >");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(layer.LossParam.IgnoreLabel, Is.EqualTo(1));
            Assert.That(layer.LossParam.Normalize, Is.False);
            Assert.That(layer.Include.Single().Phase, Is.EqualTo(Phase.Test));
        }
    }

    [Test]
    public void Comments_RunToTheEndOfTheLine()
    {
        var tree = TextFormat.Parse("# header: not a field\nname: \"a\" # trailing { ' \"\n# last line without newline");

        Assert.That(tree.Fields.Single().Name, Is.EqualTo("name"));
        Assert.That((tree.Fields[0].Line, tree.Fields[0].Column), Is.EqualTo((2, 1)));
        Assert.That(ScalarOf(tree, 0).Text, Is.EqualTo("a"));
    }

    [Test]
    public void HashInsideAString_IsNotAComment()
    {
        Assert.That(LayerParameter.Parse("name: \"a#b\"").Name, Is.EqualTo("a#b"));
    }

    [Test]
    public void Tab_CountsAsOneColumn()
    {
        var tree = TextFormat.Parse("\tname:\t\"x\"");

        Assert.That((tree.Fields[0].Line, tree.Fields[0].Column), Is.EqualTo((1, 2)));
        Assert.That((ScalarOf(tree, 0).Line, ScalarOf(tree, 0).Column), Is.EqualTo((1, 8)));
    }

    [Test]
    public void CrLfLineEndings_CountAsOneLine()
    {
        var tree = TextFormat.Parse("name: \"a\"\r\n\r\n  type: \"b\"\r\n");

        Assert.That((tree.Fields[1].Line, tree.Fields[1].Column), Is.EqualTo((3, 3)));
    }

    [Test]
    public void ByteOrderMark_IsSkippedAndIsNotAColumn()
    {
        var tree = TextFormat.Parse("\uFEFFname: \"a\"");

        Assert.That((tree.Fields[0].Line, tree.Fields[0].Column), Is.EqualTo((1, 1)));
    }

    [TestCase("")]
    [TestCase("  \n\t\n")]
    [TestCase("# only a comment")]
    public void EmptyText_GivesAnEmptyMessage_AndADefaultLayer(string text)
    {
        Assert.That(TextFormat.Parse(text).Fields, Is.Empty);
        Assert.That(LayerParameter.Parse(text).ToText(), Is.Empty);
    }

    [TestCase("\"plain\"", "plain")]
    [TestCase("'single'", "single")]
    [TestCase("'say \"hi\"'", "say \"hi\"")]
    [TestCase("\"it's\"", "it's")]
    [TestCase(@"""a\nb\tc\\d\""e\'f""", "a\nb\tc\\d\"e'f")]
    [TestCase(@"""\r\a\b\f\v\?""", "\r\a\b\f\v?")]
    [TestCase(@"""\x41\x4a\x4B\x7""", "AJK\x07")]
    [TestCase(@"""\101\0\12\1011""", "A\0\nA1")]
    [TestCase(@"""\303\251t\303\251""", "été")]
    [TestCase(@"""\u00e9\U0001F600""", "é\U0001F600")]
    [TestCase(@"""\uD83D\uDE00""", "\U0001F600")]
    [TestCase("\"café ☕\"", "café ☕")]
    [TestCase("\"\"", "")]
    public void String_ResolvesEscapes(string literal, string expected)
    {
        Assert.That(LayerParameter.Parse("name: " + literal).Name, Is.EqualTo(expected));
    }

    [TestCase("\"conv\" \"1\"", "conv1")]
    [TestCase("'a' \"b\"\n  'c'", "abc")]
    [TestCase("\"a\" # comment\n \"b\"", "ab")]
    [TestCase(@"""\303"" ""\251""", "é")]
    public void AdjacentStrings_Concatenate(string literal, string expected)
    {
        var tree = TextFormat.Parse("name: " + literal);

        Assert.That(ScalarOf(tree, 0).Text, Is.EqualTo(expected));
        Assert.That((ScalarOf(tree, 0).Line, ScalarOf(tree, 0).Column), Is.EqualTo((1, 7)), "the value is where its first literal starts");
    }

    [Test]
    public void BareIdentifier_IsAnIdentifierScalar()
    {
        var tree = TextFormat.Parse("phase: TRAIN");

        Assert.That(ScalarOf(tree, 0).Kind, Is.EqualTo(TextScalarKind.Identifier));
        Assert.That(ScalarOf(tree, 0).Text, Is.EqualTo("TRAIN"));
    }

    [TestCase("0", 0)]
    [TestCase("255", 255)]
    [TestCase("-1", -1)]
    [TestCase("- 7", -7)]
    [TestCase("0x1F", 31)]
    [TestCase("0XfF", 255)]
    [TestCase("-0x10", -16)]
    [TestCase("017", 15)]
    [TestCase("2147483647", int.MaxValue)]
    [TestCase("-2147483648", int.MinValue)]
    [TestCase("0x7FFFFFFF", int.MaxValue)]
    public void Integer_DecimalHexOctalAndNegative(string text, int expected)
    {
        Assert.That(LayerParameter.Parse($"loss_param {{ ignore_label: {text} }}").LossParam.IgnoreLabel, Is.EqualTo(expected));
    }

    [Test]
    public void NegativeNumber_IsPositionedAtItsMinusSign()
    {
        var tree = TextFormat.Parse("axis: -12");

        var value = ScalarOf(tree, 0);
        Assert.That((value.Kind, value.Text, value.IsNegative, value.Column), Is.EqualTo((TextScalarKind.Integer, "12", true, 7)));
    }

    [TestCase("1", 1f)]
    [TestCase("1.5", 1.5f)]
    [TestCase(".5", 0.5f)]
    [TestCase("1.", 1f)]
    [TestCase("1e-3", 1e-3f)]
    [TestCase("1E+2", 100f)]
    [TestCase("2.5e1", 25f)]
    [TestCase("1.5f", 1.5f)]
    [TestCase("1.5F", 1.5f)]
    [TestCase("2f", 2f)]
    [TestCase("-0.25", -0.25f)]
    [TestCase("0x10", 16f)]
    [TestCase("1e-50", 0f)]
    [TestCase("inf", float.PositiveInfinity)]
    [TestCase("-inf", float.NegativeInfinity)]
    [TestCase("Infinity", float.PositiveInfinity)]
    [TestCase("-INFINITY", float.NegativeInfinity)]
    [TestCase("INF", float.PositiveInfinity)]
    public void Float_AcceptsEveryProtobufForm(string text, float expected)
    {
        Assert.That(LayerParameter.Parse($"loss_weight: {text}").LossWeight.Single(), Is.EqualTo(expected));
    }

    [TestCase("nan")]
    [TestCase("NaN")]
    [TestCase("-nan")]
    [TestCase("NAN")]
    public void Float_AcceptsNan(string text)
    {
        Assert.That(LayerParameter.Parse($"loss_weight: {text}").LossWeight.Single(), Is.NaN);
    }

    [TestCase("true", true)]
    [TestCase("True", true)]
    [TestCase("t", true)]
    [TestCase("1", true)]
    [TestCase("false", false)]
    [TestCase("False", false)]
    [TestCase("f", false)]
    [TestCase("0", false)]
    public void Bool_AcceptsProtobufSpellings(string text, bool expected)
    {
        Assert.That(LayerParameter.Parse($"propagate_down: {text}").PropagateDown.Single(), Is.EqualTo(expected));
    }

    [Test]
    public void RepeatedField_ByRepetition_AppendsInOrder()
    {
        var layer = LayerParameter.Parse("bottom: \"data\"\ntop: \"out\"\nbottom: \"label\"\nloss_weight: 1\nloss_weight: 0.5");

        Assert.That(layer.Bottom, Is.EqualTo(new[] { "data", "label" }));
        Assert.That(layer.Top, Is.EqualTo(new[] { "out" }));
        Assert.That(layer.LossWeight, Is.EqualTo(new[] { 1f, 0.5f }));
    }

    [Test]
    public void ListForm_GivesEachValueItsPosition()
    {
        var tree = TextFormat.Parse("loss_weight: [1, 2.5, -inf]");

        var field = tree.Fields.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(field.IsList, Is.True);
            Assert.That(field.Values.Select(v => v.Column), Is.EqualTo(new[] { 15, 18, 23 }));
            Assert.That(LayerParameter.Parse("loss_weight: [1, 2.5, -inf]").LossWeight, Is.EqualTo(new[] { 1f, 2.5f, float.NegativeInfinity }));
        }
    }

    [Test]
    public void ListForm_MixesWithRepetition_AndMayBeEmpty()
    {
        var layer = LayerParameter.Parse("bottom: \"a\"\nbottom: [\"b\", 'c']\ntop: []\npropagate_down: [true, 0, f]");

        Assert.That(layer.Bottom, Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(layer.Top, Is.Empty);
        Assert.That(layer.PropagateDown, Is.EqualTo(new[] { true, false, false }));
    }

    [TestCase("include: [{ phase: TRAIN }, < phase: TEST >]")]
    [TestCase("include [{ phase: TRAIN }, { phase: TEST }]")]
    [TestCase("include { phase: TRAIN } include: { phase: TEST }")]
    public void RepeatedMessages_ByListOrRepetition(string text)
    {
        Assert.That(LayerParameter.Parse(text).Include.Select(r => r.Phase), Is.EqualTo(new Phase?[] { Phase.Train, Phase.Test }));
    }

    [TestCase("loss_param { normalization: FULL }", NormalizationMode.Full)]
    [TestCase("loss_param { normalization: BATCH_SIZE }", NormalizationMode.BatchSize)]
    [TestCase("loss_param { normalization: 0 }", NormalizationMode.Full)]
    [TestCase("loss_param { normalization: 1 }", NormalizationMode.Valid)]
    [TestCase("loss_param { normalization: 0x3 }", NormalizationMode.None)]
    public void Enum_ByNameOrByNumber(string text, NormalizationMode expected)
    {
        Assert.That(LayerParameter.Parse(text).LossParam.Normalization, Is.EqualTo(expected));
    }

    [TestCase("phase: TRAIN", Phase.Train)]
    [TestCase("phase: TEST", Phase.Test)]
    [TestCase("phase: 1", Phase.Test)]
    public void Phase_ByNameOrByNumber(string text, Phase expected)
    {
        Assert.That(LayerParameter.Parse(text).Phase, Is.EqualTo(expected));
    }

    [Test]
    public void SourceName_IsKeptOnTheTree()
    {
        var tree = TextFormat.Parse("a { b: 1 }", "net.prototxt");

        Assert.That(tree.SourceName, Is.EqualTo("net.prototxt"));
        Assert.That(((TextMessage)tree.Fields[0].Values[0]).SourceName, Is.EqualTo("net.prototxt"));
    }

    [Test]
    public void UnknownFieldNames_StillParse_TheTreeIsGeneric()
    {
        var tree = TextFormat.Parse("layer { name: \"a\" convolution_param { num_output: 3 kernel_size: [3, 3] } }");

        var layer = (TextMessage)tree.Fields[0].Values[0];
        var convolution = (TextMessage)layer.Fields[1].Values[0];
        Assert.That(convolution.Fields.Select(f => f.Name), Is.EqualTo(new[] { "num_output", "kernel_size" }));
        Assert.That(convolution.Fields[1].Values, Has.Count.EqualTo(2));
    }
}
