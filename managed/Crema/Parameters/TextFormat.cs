using System.Text;

namespace Crema.Parameters;

/// <summary>A value in the parse tree: a <see cref="TextScalar"/> or a <see cref="TextMessage"/>.</summary>
internal abstract class TextValue(int line, int column)
{
    /// <summary>1-based line of the value's first character (the <c>-</c> of a negative number, the <c>{</c> of a message).</summary>
    public int Line { get; } = line;

    /// <summary>1-based column of the value's first character.</summary>
    public int Column { get; } = column;

    /// <summary>How an error message shows the value.</summary>
    public abstract string Describe();
}

/// <summary>What a <see cref="TextScalar"/> was written as.</summary>
internal enum TextScalarKind
{
    /// <summary>A bare word: an enum value, <c>true</c>, <c>inf</c>, ...</summary>
    Identifier,

    /// <summary>A decimal, hex or octal integer.</summary>
    Integer,

    /// <summary>A number with a fraction, an exponent or an <c>f</c> suffix.</summary>
    Float,

    /// <summary>One or more adjacent quoted strings, concatenated.</summary>
    String,
}

/// <summary>
/// A scalar as written: <see cref="Text"/> is the token's source text (<c>0x1F</c>, <c>1.5f</c>, <c>TRAIN</c>) without
/// the sign, or for a string its value with escapes resolved. The binder decides what it means for its field.
/// </summary>
internal sealed class TextScalar(TextScalarKind kind, string text, bool isNegative, int line, int column) : TextValue(line, column)
{
    /// <summary>What the scalar was written as.</summary>
    public TextScalarKind Kind { get; } = kind;

    /// <summary>The source text of a number or identifier (without the sign), or the value of a string.</summary>
    public string Text { get; } = text;

    /// <summary>True when a <c>-</c> came before the number (or <c>inf</c> / <c>nan</c>).</summary>
    public bool IsNegative { get; } = isNegative;

    /// <inheritdoc/>
    public override string Describe() => Kind == TextScalarKind.String
        ? TextFormatWriter.Quote(Text)
        : (IsNegative ? "-" : "") + Text;
}

/// <summary>One <c>name: value</c>, <c>name { ... }</c> or <c>name: [v1, v2]</c> as written, with its values.</summary>
internal sealed class TextField(string name, int line, int column, IReadOnlyList<TextValue> values, bool isList)
{
    /// <summary>The field name as written.</summary>
    public string Name { get; } = name;

    /// <summary>1-based line of the field name.</summary>
    public int Line { get; } = line;

    /// <summary>1-based column of the field name.</summary>
    public int Column { get; } = column;

    /// <summary>One value, or any number (zero included) for the list form.</summary>
    public IReadOnlyList<TextValue> Values { get; } = values;

    /// <summary>True for the list form <c>name: [ ... ]</c>.</summary>
    public bool IsList { get; } = isList;
}

/// <summary>A message: its fields in the order written. The root is the whole text, at 1:1.</summary>
internal sealed class TextMessage(string? sourceName, int line, int column, IReadOnlyList<TextField> fields) : TextValue(line, column)
{
    /// <summary>The file name the text came from, or null; errors found later (by the binder) name it too.</summary>
    public string? SourceName { get; } = sourceName;

    /// <summary>The fields in the order written, a repeated field once per repetition.</summary>
    public IReadOnlyList<TextField> Fields { get; } = fields;

    /// <inheritdoc/>
    public override string Describe() => "a message";
}

/// <summary>
/// Parses protobuf text format (the dialect Caffe's <c>.prototxt</c> files use) into a generic tree of
/// <see cref="TextMessage"/>s with a line and column on every field and value. Knows nothing about Caffe's messages;
/// <see cref="TextFormatBinder"/> maps the tree onto the object model.
/// </summary>
/// <remarks>
/// Grammar: a message is a sequence of fields, each optionally followed by one <c>,</c> or <c>;</c>. A field is
/// <c>name: scalar</c>, <c>name: [v, ...]</c>, or a message <c>name { ... }</c> / <c>name: { ... }</c> /
/// <c>name &lt; ... &gt;</c> (also in a list: <c>name [{...}, {...}]</c>). A scalar is an identifier, a number
/// with an optional <c>-</c> (also <c>-inf</c>, <c>-nan</c>), or adjacent strings, which concatenate.
/// </remarks>
internal sealed class TextFormat
{
    /// <summary>How deep messages may nest (protobuf's default limit); deeper input is an error, not a stack overflow.</summary>
    public const int MaxDepth = 100;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly TextFormatTokenizer _tokenizer;
    private readonly string? _sourceName;
    private TextToken _token;
    private int _depth;

    private TextFormat(string text, string? sourceName)
    {
        _tokenizer = new TextFormatTokenizer(text, sourceName);
        _sourceName = sourceName;
        _token = _tokenizer.Next();
    }

    /// <summary>Parses a whole text as the body of one message.</summary>
    /// <exception cref="TextFormatException">Malformed text; the message gives line:column.</exception>
    public static TextMessage Parse(string text, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new TextFormat(text, sourceName);
        return parser.ParseMessage(closer: null, 1, 1);
    }

    private TextToken Take()
    {
        var token = _token;
        _token = _tokenizer.Next();
        return token;
    }

    /// <summary>Parses fields up to <paramref name="closer"/> (null for the root: up to the end of input).</summary>
    private TextMessage ParseMessage(char? closer, int line, int column)
    {
        var fields = new List<TextField>();
        while (true)
        {
            if (_token.Kind == TextTokenKind.Identifier)
            {
                fields.Add(ParseField(Take()));
                if (_token.Is(',') || _token.Is(';'))
                    Take();
                continue;
            }

            if (closer is null)
            {
                if (_token.Kind == TextTokenKind.End)
                    return new TextMessage(_sourceName, line, column, fields);
                if (_token.Is('}') || _token.Is('>'))
                    throw Error(_token, $"unexpected {_token.Describe()} (no message is open)");
                throw Error(_token, $"expected a field name, got {_token.Describe()}");
            }

            if (_token.Is(closer.Value))
            {
                Take();
                return new TextMessage(_sourceName, line, column, fields);
            }
            if (_token.Kind == TextTokenKind.End)
                throw Error(_token, $"'{closer}' expected at end of input (opened at {line}:{column})");
            if (_token.Is('}') || _token.Is('>'))
                throw Error(_token, $"'{closer}' expected, got {_token.Describe()} (opened at {line}:{column})");
            throw Error(_token, $"expected a field name or '{closer}', got {_token.Describe()}");
        }
    }

    private TextField ParseField(TextToken name)
    {
        if (_token.Is(':'))
        {
            Take();
            if (_token.Is('['))
                return new TextField(name.Text, name.Line, name.Column, ParseList(name, messagesOnly: false), isList: true);
            TextValue value = IsMessageStart(_token) ? ParseMessageValue() : ParseScalar(name);
            return new TextField(name.Text, name.Line, name.Column, [value], isList: false);
        }
        if (IsMessageStart(_token))
            return new TextField(name.Text, name.Line, name.Column, [ParseMessageValue()], isList: false);
        if (_token.Is('['))
            return new TextField(name.Text, name.Line, name.Column, ParseList(name, messagesOnly: true), isList: true);
        throw Error(_token, $"expected ':' or '{{' after field name '{name.Text}'");
    }

    private static bool IsMessageStart(TextToken token) => token.Is('{') || token.Is('<');

    private TextMessage ParseMessageValue()
    {
        if (_depth == MaxDepth)
            throw Error(_token, $"messages are nested more than {MaxDepth} deep");
        var open = Take();
        _depth++;
        var message = ParseMessage(open.Text[0] == '{' ? '}' : '>', open.Line, open.Column);
        _depth--;
        return message;
    }

    /// <summary>Parses <c>[v, ...]</c> (the reader is on the <c>[</c>); without a <c>:</c> before it only messages may follow.</summary>
    private List<TextValue> ParseList(TextToken name, bool messagesOnly)
    {
        var open = Take();
        var values = new List<TextValue>();
        if (_token.Is(']'))
        {
            Take();
            return values;
        }
        while (true)
        {
            if (IsMessageStart(_token))
                values.Add(ParseMessageValue());
            else if (messagesOnly)
                throw Error(_token, $"expected '{{' in the list for '{name.Text}' (a list of scalars needs ':' after the field name), got {_token.Describe()}");
            else
                values.Add(ParseScalar(name));

            if (_token.Is(','))
            {
                Take();
            }
            else if (_token.Is(']'))
            {
                Take();
                return values;
            }
            else if (_token.Kind == TextTokenKind.End)
            {
                throw Error(_token, $"']' expected at end of input (opened at {open.Line}:{open.Column})");
            }
            else
            {
                throw Error(_token, $"expected ',' or ']' in the list for '{name.Text}', got {_token.Describe()}");
            }
        }
    }

    private TextScalar ParseScalar(TextToken name)
    {
        var first = _token;
        bool negative = false;
        if (first.Is('-'))
        {
            Take();
            bool isNumber = _token.Kind is TextTokenKind.Integer or TextTokenKind.Float
                || (_token.Kind == TextTokenKind.Identifier && IsNonFiniteWord(_token.Text));
            if (!isNumber)
                throw Error(_token, $"expected a number after '-', got {_token.Describe()}");
            negative = true;
        }

        switch (_token.Kind)
        {
            case TextTokenKind.Identifier:
                return new TextScalar(TextScalarKind.Identifier, Take().Text, negative, first.Line, first.Column);
            case TextTokenKind.Integer:
                return new TextScalar(TextScalarKind.Integer, Take().Text, negative, first.Line, first.Column);
            case TextTokenKind.Float:
                return new TextScalar(TextScalarKind.Float, Take().Text, negative, first.Line, first.Column);
            case TextTokenKind.String:
                {
                    // Adjacent literals concatenate as bytes, so an escaped UTF-8 sequence may be split across them.
                    var bytes = new List<byte>();
                    while (_token.Kind == TextTokenKind.String)
                        bytes.AddRange(Take().Bytes!);
                    string value;
                    try
                    {
                        value = StrictUtf8.GetString([.. bytes]);
                    }
                    catch (DecoderFallbackException)
                    {
                        throw Error(first, "string is not valid UTF-8");
                    }
                    return new TextScalar(TextScalarKind.String, value, false, first.Line, first.Column);
                }
            default:
                throw Error(_token, $"expected a value for '{name.Text}', got {_token.Describe()}");
        }
    }

    /// <summary>The words protobuf reads as non-finite floats, in any case.</summary>
    internal static bool IsNonFiniteWord(string word) =>
        word.Equals("inf", StringComparison.OrdinalIgnoreCase)
        || word.Equals("infinity", StringComparison.OrdinalIgnoreCase)
        || word.Equals("nan", StringComparison.OrdinalIgnoreCase);

    private TextFormatException Error(TextToken at, string message) => new(_sourceName, at.Line, at.Column, message);
}
