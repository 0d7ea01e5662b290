using Crema.Parameters;

namespace Crema.Tests.Parameters;

/// <summary>
/// The binder's machinery on a message type of the tests' own: a new message is one descriptor, and every scalar
/// kind reads, range-checks and writes back its values.
/// </summary>
public class TextFormatBinderTests
{
    private enum Color
    {
        Red = 0,
        Green = 5,
    }

    private sealed class Sample
    {
        public long Big { get; set; }

        public uint Count { get; set; }

        public ulong? Huge { get; set; }

        public double Ratio { get; set; } = 0.5;

        public Color? Color { get; set; }

        public List<double> Values { get; set; } = [];

        public Sample? Child { get; set; }

        public List<Sample> Items { get; set; } = [];
    }

    private static readonly EnumDescriptor<Color> ColorEnum = new(("RED", Color.Red), ("GREEN", Color.Green));

    private static readonly MessageDescriptor<Sample> LeafMessage = new MessageDescriptor<Sample>("Leaf", () => new())
        .Scalar("big", ScalarKinds.Int64, m => m.Big, (m, v) => m.Big = v);

    private static readonly MessageDescriptor<Sample> SampleMessage = new MessageDescriptor<Sample>("Sample", () => new())
        .Scalar("big", ScalarKinds.Int64, m => m.Big, (m, v) => m.Big = v)
        .Scalar("count", ScalarKinds.UInt32, m => m.Count, (m, v) => m.Count = v)
        .Optional("huge", ScalarKinds.UInt64, m => m.Huge, (m, v) => m.Huge = v)
        .Scalar("ratio", ScalarKinds.Double, m => m.Ratio, (m, v) => m.Ratio = v)
        .Optional("color", ColorEnum, m => m.Color, (m, v) => m.Color = v)
        .Repeated("values", ScalarKinds.Double, m => m.Values)
        .Message("child", LeafMessage, m => m.Child, (m, v) => m.Child = v)
        .RepeatedMessage("items", LeafMessage, m => m.Items);

    [Test]
    public void NewMessageType_IsOneDescriptor_AndReadsEveryKind()
    {
        var sample = SampleMessage.Parse("""
            big: -9223372036854775808 count: 4294967295 huge: 0xFFFFFFFFFFFFFFFF ratio: 1e300
            color: GREEN values: [1, -0.5, inf] values: 2
            child { big: 7 } items { big: 1 } items < >
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sample.Big, Is.EqualTo(long.MinValue));
            Assert.That(sample.Count, Is.EqualTo(uint.MaxValue));
            Assert.That(sample.Huge, Is.EqualTo(ulong.MaxValue));
            Assert.That(sample.Ratio, Is.EqualTo(1e300));
            Assert.That(sample.Color, Is.EqualTo(Color.Green));
            Assert.That(sample.Values, Is.EqualTo(new[] { 1, -0.5, double.PositiveInfinity, 2 }));
            Assert.That(sample.Child?.Big, Is.EqualTo(7));
            Assert.That(sample.Items.Select(i => i.Big), Is.EqualTo(new long[] { 1, 0 }));
        }
    }

    [Test]
    public void Format_WritesSetFieldsInDeclarationOrder_AndParsesBack()
    {
        var sample = SampleMessage.Parse("items { } values: 0.1 color: 5 child { } count: 3 ratio: 0.5");

        string text = SampleMessage.Format(sample);

        Assert.That(text, Is.EqualTo("count: 3\ncolor: GREEN\nvalues: 0.1\nitems {\n}\n"),
            "ratio is at its default, the child message is empty");
        Assert.That(SampleMessage.Format(SampleMessage.Parse(text)), Is.EqualTo(text));
    }

    [TestCase("count: -1", 1, 8, "integer -1 is out of range for 'count'")]
    [TestCase("count: 4294967296", 1, 8, "integer 4294967296 is out of range for 'count'")]
    [TestCase("huge: -0", 1, 7, "integer -0 is out of range for 'huge'")]
    [TestCase("huge: 18446744073709551616", 1, 7, "integer 18446744073709551616 is out of range for 'huge'")]
    [TestCase("big: 9223372036854775808", 1, 6, "integer 9223372036854775808 is out of range for 'big'")]
    [TestCase("ratio: 1e400", 1, 8, "number 1e400 is out of range for 'ratio'")]
    [TestCase("color: BLUE", 1, 8, "unknown value 'BLUE' for color (expected RED, GREEN)")]
    [TestCase("color: 1", 1, 8, "unknown value 1 for color (expected RED, GREEN)")]
    [TestCase("child: 1", 1, 8, "expected a Leaf message for 'child', got 1")]
    [TestCase("child { count: 1 }", 1, 9, "unknown field 'count' in Leaf")]
    [TestCase("items: [1]", 1, 9, "expected a Leaf message for 'items', got 1")]
    public void SampleErrors_NameFieldAndMessage(string text, int line, int column, string message)
    {
        var error = Assert.Throws<TextFormatException>(() => SampleMessage.Parse(text));

        Assert.That(error.Message, Is.EqualTo($"<text>:{line}:{column}: {message}"));
    }

    [Test]
    public void HugeDecimal_IsStillAFineDouble()
    {
        Assert.That(SampleMessage.Parse("ratio: 100000000000000000000000").Ratio, Is.EqualTo(1e23));
    }

    [Test]
    public void SignedZero_IsReadInSignedAndFloatFields()
    {
        var sample = SampleMessage.Parse("big: -0 ratio: -0");

        Assert.That(sample.Big, Is.Zero);
        Assert.That(double.IsNegative(sample.Ratio), Is.True);
    }

    [Test]
    public void ReadInto_AppendsRepeatedFieldsToAnExistingMessage()
    {
        var sample = new Sample { Values = [9] };

        SampleMessage.ReadInto(sample, TextFormat.Parse("values: 1 count: 2"));

        Assert.That(sample.Values, Is.EqualTo(new double[] { 9, 1 }));
        Assert.That(sample.Count, Is.EqualTo(2));
    }

    [Test]
    public void AddingAFieldTwice_IsAProgrammingError()
    {
        var descriptor = new MessageDescriptor<Sample>("Twice", () => new())
            .Scalar("big", ScalarKinds.Int64, m => m.Big, (m, v) => m.Big = v);

        Assert.That(
            () => descriptor.Scalar("big", ScalarKinds.Int64, m => m.Big, (m, v) => m.Big = v),
            Throws.ArgumentException.With.Message.Contains("Twice already has a field 'big'"));
    }

    [Test]
    public void SubMessageDescriptorDeclaredLater_FailsLoudly()
    {
        MessageDescriptor<Sample>? notYetInitialised = null;

        Assert.That(
            () => new MessageDescriptor<Sample>("Parent", () => new()).Message("child", notYetInitialised!, m => m, (m, v) => m.Child = v),
            Throws.ArgumentNullException);
    }

    [Test]
    public void Descriptors_ListTheirFieldsInOrder()
    {
        Assert.That(
            TextFormatBinder.LayerParameterMessage.Fields.Select(f => f.Name),
            Is.EqualTo(new[]
            {
                "name", "type", "bottom", "top", "phase", "loss_weight", "param", "propagate_down", "include", "exclude",
                "softmax_param", "loss_param", "input_param", "dummy_data_param", "inner_product_param", "relu_param",
                "accuracy_param", "transform_param", "idx_data_param",
            }));
        Assert.That(TextFormatBinder.LayerParameterMessage.Fields.Where(f => f.IsRepeated).Select(f => f.Name), Is.EqualTo(new[]
        {
            "bottom", "top", "loss_weight", "param", "propagate_down", "include", "exclude",
        }));
    }

    [TestCase("bottm", "bottom")]
    [TestCase("BOTTOM", "bottom")]
    [TestCase("tpo", "top")]
    [TestCase("ignore_lable", "ignore_label")]
    [TestCase("los_weight", "loss_weight")]
    [TestCase("propagatedown", "propagate_down")]
    public void Suggest_FindsTheClosestName(string word, string expected)
    {
        string[] names = ["name", "type", "bottom", "top", "loss_weight", "ignore_label", "propagate_down"];

        Assert.That(MessageDescriptor<Sample>.Suggest(word, names), Is.EqualTo(expected));
    }

    [TestCase("xy")]
    [TestCase("bias")]
    [TestCase("convolution_param")]
    [TestCase("botton_x")]
    public void Suggest_GivesNothingWhenNoNameIsClose(string word)
    {
        string[] names = ["name", "type", "bottom", "top", "loss_weight"];

        Assert.That(MessageDescriptor<Sample>.Suggest(word, names), Is.Null);
    }
}
