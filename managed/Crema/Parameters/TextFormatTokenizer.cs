using System.Text;

namespace Crema.Parameters;

/// <summary>What a <see cref="TextToken"/> is.</summary>
internal enum TextTokenKind
{
    /// <summary><c>[A-Za-z_][A-Za-z0-9_]*</c>: a field name, an enum value, <c>true</c>, <c>inf</c>, ...</summary>
    Identifier,

    /// <summary>A decimal, hex (<c>0x1F</c>) or octal (<c>017</c>) integer, without sign.</summary>
    Integer,

    /// <summary>A number with a fraction, an exponent or an <c>f</c> suffix (<c>1.5</c>, <c>.5</c>, <c>1e-3</c>, <c>1f</c>), without sign.</summary>
    Float,

    /// <summary>One quoted string literal; <see cref="TextToken.Bytes"/> holds its value with escapes resolved.</summary>
    String,

    /// <summary>One of <c>{ } &lt; &gt; [ ] : , ; -</c>.</summary>
    Symbol,

    /// <summary>The end of the input.</summary>
    End,
}

/// <summary>One token, with the 1-based line and column of its first character.</summary>
internal readonly record struct TextToken(TextTokenKind Kind, string Text, int Line, int Column, byte[]? Bytes = null)
{
    /// <summary>True for the symbol <paramref name="symbol"/>.</summary>
    public bool Is(char symbol) => Kind == TextTokenKind.Symbol && Text[0] == symbol;

    /// <summary>How an error message shows the token: <c>'}'</c>, <c>end of input</c>, or the source text.</summary>
    public string Describe() => Kind switch
    {
        TextTokenKind.Symbol => $"'{Text}'",
        TextTokenKind.End => "end of input",
        _ => Text,
    };
}

/// <summary>
/// Splits protobuf text format into tokens. Whitespace and <c>#</c> comments (to the end of the line) separate
/// tokens and are dropped. Lines and columns are 1-based; a tab is one column.
/// </summary>
internal sealed class TextFormatTokenizer
{
    private readonly string _text;
    private readonly string? _sourceName;
    private int _pos;
    private int _line = 1;
    private int _column = 1;

    public TextFormatTokenizer(string text, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
        _sourceName = sourceName;
        if (_text.Length > 0 && _text[0] == '\uFEFF')
            _pos = 1; // a byte-order mark is not a column
    }

    /// <summary>Reads the next token; after the end it keeps returning <see cref="TextTokenKind.End"/>.</summary>
    public TextToken Next()
    {
        SkipWhitespaceAndComments();
        int line = _line, column = _column;
        if (_pos >= _text.Length)
            return new TextToken(TextTokenKind.End, "", line, column);

        char c = _text[_pos];
        if (IsIdentifierStart(c))
        {
            int start = _pos;
            while (_pos < _text.Length && IsIdentifierPart(_text[_pos]))
                Advance();
            return new TextToken(TextTokenKind.Identifier, _text[start.._pos], line, column);
        }
        if (IsDigit(c) || (c == '.' && _pos + 1 < _text.Length && IsDigit(_text[_pos + 1])))
            return ReadNumber(line, column);
        if (c is '"' or '\'')
            return ReadString(line, column);
        if (c is '{' or '}' or '<' or '>' or '[' or ']' or ':' or ',' or ';' or '-')
        {
            Advance();
            return new TextToken(TextTokenKind.Symbol, c.ToString(), line, column);
        }
        string shown = char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : $"'{c}'";
        throw Error(line, column, $"unexpected character {shown}");
    }

    private void SkipWhitespaceAndComments()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                    Advance();
            }
            else if (c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f')
            {
                Advance();
            }
            else
            {
                return;
            }
        }
    }

    private void Advance()
    {
        char c = _text[_pos++];
        if (c == '\n')
        {
            _line++;
            _column = 1;
        }
        else if (!char.IsLowSurrogate(c))
        {
            _column++; // a surrogate pair is one column
        }
    }

    private TextToken ReadNumber(int line, int column)
    {
        int start = _pos;
        bool isFloat = false;
        bool isHex = false;
        if (_text[_pos] == '0' && _pos + 1 < _text.Length && _text[_pos + 1] is 'x' or 'X')
        {
            isHex = true;
            Advance();
            Advance();
            int digits = _pos;
            while (_pos < _text.Length && char.IsAsciiHexDigit(_text[_pos]))
                Advance();
            if (_pos == digits)
                throw InvalidNumber(start, line, column);
        }
        else
        {
            SkipDigits();
            if (_pos < _text.Length && _text[_pos] == '.')
            {
                isFloat = true;
                Advance();
                SkipDigits();
            }
            if (_pos < _text.Length && _text[_pos] is 'e' or 'E')
            {
                isFloat = true;
                Advance();
                if (_pos < _text.Length && _text[_pos] is '+' or '-')
                    Advance();
                int digits = _pos;
                SkipDigits();
                if (_pos == digits)
                    throw InvalidNumber(start, line, column);
            }
            if (_pos < _text.Length && _text[_pos] is 'f' or 'F')
            {
                isFloat = true;
                Advance();
            }
        }

        // A number runs into the next letter, digit or dot: "12abc" and "1.2.3" are one bad token, not two good ones.
        if (_pos < _text.Length && (IsIdentifierPart(_text[_pos]) || _text[_pos] == '.'))
            throw InvalidNumber(start, line, column);

        string text = _text[start.._pos];
        if (!isFloat && !isHex && text.Length > 1 && text[0] == '0')
        {
            // Protobuf reads a leading zero as octal.
            foreach (char digit in text)
            {
                if (digit > '7')
                    throw Error(line, column, $"invalid octal number '{text}'");
            }
        }
        return new TextToken(isFloat ? TextTokenKind.Float : TextTokenKind.Integer, text, line, column);
    }

    private void SkipDigits()
    {
        while (_pos < _text.Length && IsDigit(_text[_pos]))
            Advance();
    }

    private TextFormatException InvalidNumber(int start, int line, int column)
    {
        while (_pos < _text.Length && (IsIdentifierPart(_text[_pos]) || _text[_pos] == '.'))
            Advance();
        return Error(line, column, $"invalid number '{_text[start.._pos]}'");
    }

    private TextToken ReadString(int line, int column)
    {
        int start = _pos;
        char quote = _text[_pos];
        Advance();
        var bytes = new List<byte>();
        int literal = _pos;
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
                throw Error(line, column, "unterminated string");
            char c = _text[_pos];
            if (c == quote)
            {
                AppendUtf8(bytes, literal, _pos);
                Advance();
                return new TextToken(TextTokenKind.String, _text[start.._pos], line, column, [.. bytes]);
            }
            if (c == '\\')
            {
                AppendUtf8(bytes, literal, _pos);
                ReadEscape(bytes, line, column);
                literal = _pos;
            }
            else
            {
                Advance();
            }
        }
    }

    private void AppendUtf8(List<byte> bytes, int start, int end)
    {
        if (end > start)
            bytes.AddRange(Encoding.UTF8.GetBytes(_text, start, end - start));
    }

    /// <summary>
    /// Reads one escape sequence (the reader is on its backslash) and appends the bytes it stands for: C's escapes,
    /// <c>\xNN</c> and octal <c>\NNN</c> bytes, and <c>\uNNNN</c> / <c>\UNNNNNNNN</c> code points as UTF-8.
    /// </summary>
    private void ReadEscape(List<byte> bytes, int stringLine, int stringColumn)
    {
        int line = _line, column = _column, escapeStart = _pos;
        Advance();
        if (_pos >= _text.Length || _text[_pos] == '\n')
            throw Error(stringLine, stringColumn, "unterminated string");
        char c = _text[_pos];
        Advance();
        switch (c)
        {
            case 'n': bytes.Add((byte)'\n'); return;
            case 't': bytes.Add((byte)'\t'); return;
            case 'r': bytes.Add((byte)'\r'); return;
            case 'a': bytes.Add(0x07); return;
            case 'b': bytes.Add(0x08); return;
            case 'f': bytes.Add(0x0C); return;
            case 'v': bytes.Add(0x0B); return;
            case '\\' or '\'' or '"' or '?': bytes.Add((byte)c); return;
            case 'x' or 'X':
                {
                    int value = ReadDigits(16, 2, out int count);
                    if (count == 0)
                        throw Error(line, column, $"expected a hex digit after '\\{c}'");
                    bytes.Add((byte)value);
                    return;
                }
            case >= '0' and <= '7':
                {
                    int rest = ReadDigits(8, 2, out int count);
                    int value = ((c - '0') << (3 * count)) + rest;
                    if (value > 255)
                        throw Error(line, column, $"octal escape '{_text[escapeStart.._pos]}' is out of range");
                    bytes.Add((byte)value);
                    return;
                }
            case 'u' or 'U':
                {
                    int digits = c == 'u' ? 4 : 8;
                    int codePoint = ReadDigits(16, digits, out int count);
                    if (count != digits)
                        throw Error(line, column, $"expected {digits} hex digits after '\\{c}'");
                    if (char.IsHighSurrogate((char)codePoint) && codePoint <= 0xFFFF
                        && _pos + 1 < _text.Length && _text[_pos] == '\\' && _text[_pos + 1] == 'u')
                    {
                        // A UTF-16 pair written as two escapes: "\uD83D\uDE00".
                        int save = _pos, saveLine = _line, saveColumn = _column;
                        Advance();
                        Advance();
                        int low = ReadDigits(16, 4, out int lowCount);
                        if (lowCount == 4 && char.IsLowSurrogate((char)low))
                        {
                            codePoint = char.ConvertToUtf32((char)codePoint, (char)low);
                        }
                        else
                        {
                            (_pos, _line, _column) = (save, saveLine, saveColumn);
                        }
                    }
                    if (codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
                        throw Error(line, column, $"invalid Unicode escape '{_text[escapeStart.._pos]}'");
                    bytes.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(codePoint)));
                    return;
                }
            default:
                throw Error(line, column, $"unknown escape sequence '\\{c}'");
        }
    }

    /// <summary>Reads up to <paramref name="max"/> digits in <paramref name="radix"/> (8 or 16) as one number.</summary>
    private int ReadDigits(int radix, int max, out int count)
    {
        int value = 0;
        count = 0;
        while (count < max && _pos < _text.Length)
        {
            char c = _text[_pos];
            int digit = radix == 8
                ? (c is >= '0' and <= '7' ? c - '0' : -1)
                : (char.IsAsciiHexDigit(c) ? (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10) : -1);
            if (digit < 0)
                break;
            value = (value * radix) + digit;
            count++;
            Advance();
        }
        return value;
    }

    private TextFormatException Error(int line, int column, string message) => new(_sourceName, line, column, message);

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
