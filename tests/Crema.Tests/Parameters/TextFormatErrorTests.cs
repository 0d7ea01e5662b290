using Crema.Parameters;

namespace Crema.Tests.Parameters;

/// <summary>Every error the parser and the binder raise: its exact message and line:column.</summary>
public class TextFormatErrorTests
{
    private static void AssertError(string text, int line, int column, string message)
    {
        var error = Assert.Throws<TextFormatException>(() => LayerParameter.Parse(text));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Message, Is.EqualTo($"<text>:{line}:{column}: {message}"));
            Assert.That((error.Line, error.Column), Is.EqualTo((line, column)));
            Assert.That(error.SourceName, Is.Null);
        }
    }

    // --- structure ---

    [Test]
    public void UnclosedMessage_IsReportedAtEndOfInput_WithWhereItOpened()
    {
        AssertError(
            "name: \"loss\"\ntype: \"SoftmaxWithLoss\"\nloss_param { ignore_label: 255\n",
            4, 1, "'}' expected at end of input (opened at 3:12)");
    }

    [Test]
    public void UnclosedAngleBracketMessage_AsksForTheAngleBracket()
    {
        AssertError("loss_param < ignore_label: 1", 1, 29, "'>' expected at end of input (opened at 1:12)");
    }

    [Test]
    public void UnclosedOuterMessage_AfterAClosedInnerOne_NamesTheOuter()
    {
        AssertError("include {\n  phase: TRAIN\nloss_param {\n}", 4, 2, "'}' expected at end of input (opened at 1:9)");
    }

    [TestCase("loss_param { ignore_label: 1 >", 1, 30, "'}' expected, got '>' (opened at 1:12)")]
    [TestCase("loss_param < ignore_label: 1 }", 1, 30, "'>' expected, got '}' (opened at 1:12)")]
    public void MismatchedClosingBracket_NamesTheExpectedOne(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("name: \"a\" }", 1, 11, "unexpected '}' (no message is open)")]
    [TestCase("loss_param { }\n>", 2, 1, "unexpected '>' (no message is open)")]
    public void CloserWithoutAnOpenMessage_IsAnError(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("x 5", 1, 3, "expected ':' or '{' after field name 'x'")]
    [TestCase("name \"a\"", 1, 6, "expected ':' or '{' after field name 'name'")]
    [TestCase("loss_param\n  ignore_label: 1", 2, 3, "expected ':' or '{' after field name 'loss_param'")]
    [TestCase("name", 1, 5, "expected ':' or '{' after field name 'name'")]
    [TestCase("name = \"a\"", 1, 6, "unexpected character '='")]
    public void FieldNameWithoutColonOrBrace_IsAnError(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("5", 1, 1, "expected a field name, got 5")]
    [TestCase("name: \"a\";\n\"b\": 1", 2, 1, "expected a field name, got \"b\"")]
    [TestCase("{ }", 1, 1, "expected a field name, got '{'")]
    [TestCase("name: \"a\";;", 1, 11, "expected a field name, got ';'")]
    [TestCase("loss_param { : 1 }", 1, 14, "expected a field name or '}', got ':'")]
    [TestCase("include < 0 >", 1, 11, "expected a field name or '>', got 0")]
    public void NonFieldWhereAFieldShouldStart_IsAnError(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("name:", 1, 6, "expected a value for 'name', got end of input")]
    [TestCase("loss_param { normalize: }", 1, 25, "expected a value for 'normalize', got '}'")]
    [TestCase("name: ,", 1, 7, "expected a value for 'name', got ','")]
    [TestCase("loss_weight: [1, ]", 1, 18, "expected a value for 'loss_weight', got ']'")]
    public void MissingValue_IsAnError(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("phase: -TRAIN", 1, 9, "expected a number after '-', got TRAIN")]
    [TestCase("axis: -\"1\"", 1, 8, "expected a number after '-', got \"1\"")]
    [TestCase("axis: -", 1, 8, "expected a number after '-', got end of input")]
    public void MinusBeforeANonNumber_IsAnError(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("bottom: [\"a\", \"b\"", 1, 18, "']' expected at end of input (opened at 1:9)")]
    [TestCase("loss_weight: [1 2]", 1, 17, "expected ',' or ']' in the list for 'loss_weight', got 2")]
    [TestCase("include [1]", 1, 10, "expected '{' in the list for 'include' (a list of scalars needs ':' after the field name), got 1")]
    public void MalformedList_IsAnError(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [Test]
    public void DeepNesting_IsAnError_NotAStackOverflow()
    {
        string allowed = string.Concat(Enumerable.Repeat("a {", TextFormat.MaxDepth)) + new string('}', TextFormat.MaxDepth);
        Assert.That(TextFormat.Parse(allowed).Fields, Has.Count.EqualTo(1));

        string text = string.Concat(Enumerable.Repeat("a {", 100_000));
        AssertError(text, 1, (3 * TextFormat.MaxDepth) + 3, "messages are nested more than 100 deep");
    }

    // --- tokens ---

    [TestCase("name: \"abc\ntype: \"x\"", 1, 7, "unterminated string")]
    [TestCase("type: \"x\"\nname: 'abc", 2, 7, "unterminated string")]
    [TestCase("name: \"abc\\", 1, 7, "unterminated string")]
    [TestCase("name: \"ab\\\nc\"", 1, 7, "unterminated string")]
    public void UnterminatedString_IsReportedAtItsOpeningQuote(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase(@"name: ""a\qb""", 1, 9, @"unknown escape sequence '\q'")]
    [TestCase(@"name: ""\xZZ""", 1, 8, @"expected a hex digit after '\x'")]
    [TestCase(@"name: ""\777""", 1, 8, @"octal escape '\777' is out of range")]
    [TestCase(@"name: ""\u12""", 1, 8, @"expected 4 hex digits after '\u'")]
    [TestCase(@"name: ""\U0011FFFF""", 1, 8, @"invalid Unicode escape '\U0011FFFF'")]
    [TestCase(@"name: ""\uDC00""", 1, 8, @"invalid Unicode escape '\uDC00'")]
    [TestCase(@"name: ""\377""", 1, 7, "string is not valid UTF-8")]
    public void BadEscape_IsReportedAtItsBackslash(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("loss_weight: 12abc", 1, 14, "invalid number '12abc'")]
    [TestCase("loss_weight: 1.2.3", 1, 14, "invalid number '1.2.3'")]
    [TestCase("loss_weight: 1e", 1, 14, "invalid number '1e'")]
    [TestCase("loss_weight: 1e+x", 1, 14, "invalid number '1e+x'")]
    [TestCase("loss_weight: 0x", 1, 14, "invalid number '0x'")]
    [TestCase("loss_weight: 0xZ1", 1, 14, "invalid number '0xZ1'")]
    [TestCase("loss_weight: 1.5ff", 1, 14, "invalid number '1.5ff'")]
    [TestCase("loss_weight: 09", 1, 14, "invalid octal number '09'")]
    public void MalformedNumber_IsReportedAtItsFirstCharacter(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("name: @", 1, 7, "unexpected character '@'")]
    [TestCase("loss_weight: +1", 1, 14, "unexpected character '+'")]
    [TestCase("name:\u0001", 1, 6, "unexpected character U+0001")]
    [TestCase("name: \"a\"\n\t$", 2, 2, "unexpected character '$'")]
    public void UnexpectedCharacter_IsNamed(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    // --- binding ---

    [TestCase("name: \"a\"\nbottm: \"x\"", 2, 1, "unknown field 'bottm' in LayerParameter (did you mean 'bottom'?)")]
    [TestCase("Name: \"a\"", 1, 1, "unknown field 'Name' in LayerParameter (did you mean 'name'?)")]
    [TestCase("los_param { }", 1, 1, "unknown field 'los_param' in LayerParameter (did you mean 'loss_param'?)")]
    [TestCase("convolution_param { num_output: 1 }", 1, 1, "unknown field 'convolution_param' in LayerParameter")]
    [TestCase("loss_param {\n  ignore_lable: 1\n}", 2, 3, "unknown field 'ignore_lable' in LossParameter (did you mean 'ignore_label'?)")]
    [TestCase("param { lr_mul: 1 }", 1, 9, "unknown field 'lr_mul' in ParamSpec (did you mean 'lr_mult'?)")]
    [TestCase("include { phase: TRAIN stages: \"a\" }", 1, 24, "unknown field 'stages' in NetStateRule (did you mean 'stage'?)")]
    [TestCase("softmax_param { engine: CAFFE }", 1, 17, "unknown field 'engine' in SoftmaxParameter")]
    public void UnknownField_IsAnError_WithASuggestionWhenOneIsClose(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("name: \"a\"\nname: \"b\"", 2, 1, "field 'name' of LayerParameter is given twice")]
    [TestCase("phase: TRAIN phase: TRAIN", 1, 14, "field 'phase' of LayerParameter is given twice")]
    [TestCase("softmax_param { axis: 1 }\nsoftmax_param { }", 2, 1, "field 'softmax_param' of LayerParameter is given twice")]
    [TestCase("loss_param { normalize: true normalize: false }", 1, 30, "field 'normalize' of LossParameter is given twice")]
    [TestCase("name: [\"a\"]", 1, 1, "field 'name' of LayerParameter is not repeated, so it cannot take a list")]
    public void NonRepeatedField_IsGivenAtMostOnce(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("loss_weight: \"abc\"", 1, 14, "expected a number for 'loss_weight', got \"abc\"")]
    [TestCase("loss_weight: abc", 1, 14, "expected a number for 'loss_weight', got abc")]
    [TestCase("loss_weight { }", 1, 13, "expected a number for 'loss_weight', got a message")]
    [TestCase("softmax_param { axis: 1.5 }", 1, 23, "expected an integer for 'axis', got 1.5")]
    [TestCase("softmax_param { axis: 1e3 }", 1, 23, "expected an integer for 'axis', got 1e3")]
    [TestCase("softmax_param { axis: -inf }", 1, 23, "expected an integer for 'axis', got -inf")]
    [TestCase("loss_param { normalize: yes }", 1, 25, "expected true or false for 'normalize', got yes")]
    [TestCase("loss_param { normalize: 2 }", 1, 25, "expected true or false for 'normalize', got 2")]
    [TestCase("loss_param { normalize: \"true\" }", 1, 25, "expected true or false for 'normalize', got \"true\"")]
    [TestCase("loss_param { normalize: TRUE }", 1, 25, "expected true or false for 'normalize', got TRUE")]
    [TestCase("name: loss", 1, 7, "expected a string for 'name', got loss")]
    [TestCase("name: 5", 1, 7, "expected a string for 'name', got 5")]
    [TestCase("name { }", 1, 6, "expected a string for 'name', got a message")]
    [TestCase("type: \"a\\nb\"\nbottom: [1]", 2, 10, "expected a string for 'bottom', got 1")]
    [TestCase("include { phase: \"TRAIN\" }", 1, 18, "expected one of TRAIN, TEST for 'phase', got \"TRAIN\"")]
    [TestCase("loss_param: 5", 1, 13, "expected a LossParameter message for 'loss_param', got 5")]
    [TestCase("include: \"x\"", 1, 10, "expected a NetStateRule message for 'include', got \"x\"")]
    public void WrongSortOfValue_SaysWhatTheFieldTakes(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [Test]
    public void StringInAnError_IsShownEscaped()
    {
        AssertError("loss_weight: \"a\\\"b\\n\"", 1, 14, "expected a number for 'loss_weight', got \"a\\\"b\\n\"");
    }

    [TestCase("loss_param { normalization: VALIDD }", 1, 29, "unknown value 'VALIDD' for normalization (expected FULL, VALID, BATCH_SIZE, NONE)")]
    [TestCase("loss_param { normalization: valid }", 1, 29, "unknown value 'valid' for normalization (expected FULL, VALID, BATCH_SIZE, NONE)")]
    [TestCase("loss_param { normalization: 7 }", 1, 29, "unknown value 7 for normalization (expected FULL, VALID, BATCH_SIZE, NONE)")]
    [TestCase("loss_param { normalization: -1 }", 1, 29, "unknown value -1 for normalization (expected FULL, VALID, BATCH_SIZE, NONE)")]
    [TestCase("include {\n\tphase: TRAINING\n}", 2, 9, "unknown value 'TRAINING' for phase (expected TRAIN, TEST)")]
    [TestCase("phase: 99999999999", 1, 8, "unknown value 99999999999 for phase (expected TRAIN, TEST)")]
    public void UnknownEnumValue_ListsTheValidOnes(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [TestCase("loss_param { ignore_label: 99999999999 }", 1, 28, "integer 99999999999 is out of range for 'ignore_label'")]
    [TestCase("loss_param { ignore_label: 2147483648 }", 1, 28, "integer 2147483648 is out of range for 'ignore_label'")]
    [TestCase("loss_param { ignore_label: -2147483649 }", 1, 28, "integer -2147483649 is out of range for 'ignore_label'")]
    [TestCase("loss_param { ignore_label: 0x80000000 }", 1, 28, "integer 0x80000000 is out of range for 'ignore_label'")]
    [TestCase("softmax_param { axis: 99999999999999999999999 }", 1, 23, "integer 99999999999999999999999 is out of range for 'axis'")]
    [TestCase("loss_weight: 1e39", 1, 14, "number 1e39 is out of range for 'loss_weight'")]
    [TestCase("loss_weight: -1e39", 1, 14, "number -1e39 is out of range for 'loss_weight'")]
    [TestCase("loss_weight: 1e999", 1, 14, "number 1e999 is out of range for 'loss_weight'")]
    [TestCase("loss_weight: 0x1FFFFFFFFFFFFFFFFF", 1, 14, "number 0x1FFFFFFFFFFFFFFFFF is out of range for 'loss_weight'")]
    public void NumberOutOfRange_IsAnError(string text, int line, int column, string message)
    {
        AssertError(text, line, column, message);
    }

    [Test]
    public void FirstErrorInTextOrder_IsTheOneReported()
    {
        AssertError("name: \"a\"\nbottm: \"b\"\ntopp: \"c\"", 2, 1, "unknown field 'bottm' in LayerParameter (did you mean 'bottom'?)");
    }

    [Test]
    public void SourceName_PrefixesTheMessage()
    {
        var error = Assert.Throws<TextFormatException>(() => LayerParameter.Parse("\n  bottm: \"x\"", "models/net.prototxt"));

        Assert.That(error.Message, Is.EqualTo("models/net.prototxt:2:3: unknown field 'bottm' in LayerParameter (did you mean 'bottom'?)"));
        Assert.That(error.SourceName, Is.EqualTo("models/net.prototxt"));
    }

    [Test]
    public void SourceName_PrefixesParserErrorsToo()
    {
        var error = Assert.Throws<TextFormatException>(() => LayerParameter.Parse("name: \"x", "a.prototxt"));

        Assert.That(error.Message, Is.EqualTo("a.prototxt:1:7: unterminated string"));
    }

    [Test]
    public void TextFormatException_IsAFormatException()
    {
        Assert.That(() => LayerParameter.Parse("}"), Throws.InstanceOf<FormatException>());
    }

    [Test]
    public void NullText_ThrowsArgumentNullException()
    {
        Assert.That(() => LayerParameter.Parse(null!), Throws.ArgumentNullException);
    }
}
