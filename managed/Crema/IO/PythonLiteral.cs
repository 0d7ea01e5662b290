using System.Globalization;
using System.Numerics;
using System.Text;

namespace Crema.IO;

/// <summary>
/// Reads the Python literal an <c>.npy</c> header holds: a dict of strings, booleans, integers, <c>None</c>, tuples
/// and lists. Values come back as <see cref="string"/>, <see cref="bool"/>, <see cref="BigInteger"/>, null,
/// <see cref="PythonTuple"/>, <see cref="List{T}"/> of object, or <see cref="Dictionary{TKey, TValue}"/> keyed by string.
/// Enough for every header numpy writes (and the structured dtypes it may write, so those are refused by name rather than
/// as unparsable).
/// </summary>
internal sealed class PythonLiteral
{
    private readonly string text;
    private int position;

    private PythonLiteral(string text) => this.text = text;

    /// <summary>Parses <paramref name="text"/>: one literal, then only whitespace.</summary>
    /// <exception cref="FormatException">The text is not such a literal; the message gives the offset.</exception>
    internal static object? Parse(string text)
    {
        var parser = new PythonLiteral(text);
        var value = parser.ReadValue();
        parser.SkipWhitespace();
        if (parser.position < text.Length)
        {
            throw parser.Error("unexpected text after the literal");
        }

        return value;
    }

    /// <summary>Writes a parsed value back in Python's notation (for messages).</summary>
    internal static string Format(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        bool b => b ? "True" : "False",
        BigInteger i => i.ToString(CultureInfo.InvariantCulture),
        PythonTuple t => t.Items.Count == 1 ? $"({Format(t.Items[0])},)" : $"({string.Join(", ", t.Items.Select(Format))})",
        List<object?> l => $"[{string.Join(", ", l.Select(Format))}]",
        Dictionary<string, object?> d => $"{{{string.Join(", ", d.Select(p => $"'{p.Key}': {Format(p.Value)}"))}}}",
        _ => value.ToString() ?? "",
    };

    private object? ReadValue()
    {
        SkipWhitespace();
        if (position >= text.Length)
        {
            throw Error("unexpected end");
        }

        char c = text[position];
        switch (c)
        {
            case '\'' or '"':
                return ReadString();
            case '{':
                return ReadDict();
            case '(':
                return new PythonTuple(ReadSequence('(', ')'));
            case '[':
                return ReadSequence('[', ']');
        }

        if (c == '-' || c == '+' || char.IsAsciiDigit(c))
        {
            return ReadInteger();
        }

        if (char.IsAsciiLetter(c))
        {
            int start = position;
            while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] == '_'))
            {
                position++;
            }

            string word = text[start..position];
            return word switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                _ => throw Error($"unknown name '{word}'", start),
            };
        }

        throw Error($"unexpected '{c}'");
    }

    private string ReadString()
    {
        char quote = text[position++];
        var value = new StringBuilder();
        while (true)
        {
            if (position >= text.Length)
            {
                throw Error("unterminated string");
            }

            char c = text[position++];
            if (c == quote)
            {
                return value.ToString();
            }

            if (c == '\\' && position < text.Length)
            {
                c = text[position++];
            }

            value.Append(c);
        }
    }

    private BigInteger ReadInteger()
    {
        int start = position;
        if (text[position] is '-' or '+')
        {
            position++;
        }

        int digits = position;
        while (position < text.Length && char.IsAsciiDigit(text[position]))
        {
            position++;
        }

        if (position == digits)
        {
            throw Error("expected a digit");
        }

        var value = BigInteger.Parse(text.AsSpan(start, position - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        // Python 2's long suffix, which numpy wrote into shapes under Python 2 ("(3L,)").
        if (position < text.Length && text[position] is 'L' or 'l')
        {
            position++;
        }

        return value;
    }

    private List<object?> ReadSequence(char open, char close)
    {
        Expect(open);
        var items = new List<object?>();
        while (true)
        {
            SkipWhitespace();
            if (TryConsume(close))
            {
                return items;
            }

            items.Add(ReadValue());
            SkipWhitespace();
            if (TryConsume(close))
            {
                return items;
            }

            Expect(',');
        }
    }

    private Dictionary<string, object?> ReadDict()
    {
        Expect('{');
        var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (TryConsume('}'))
            {
                return entries;
            }

            int keyAt = position;
            if (ReadValue() is not string key)
            {
                throw Error("a dict key must be a string", keyAt);
            }

            SkipWhitespace();
            Expect(':');
            if (!entries.TryAdd(key, ReadValue()))
            {
                throw Error($"key '{key}' appears twice", keyAt);
            }

            SkipWhitespace();
            if (TryConsume('}'))
            {
                return entries;
            }

            Expect(',');
        }
    }

    private void SkipWhitespace()
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    private bool TryConsume(char c)
    {
        if (position < text.Length && text[position] == c)
        {
            position++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        SkipWhitespace();
        if (!TryConsume(c))
        {
            throw Error(position < text.Length ? $"expected '{c}' but found '{text[position]}'" : $"expected '{c}' but the text ended");
        }
    }

    private FormatException Error(string what, int? at = null) =>
        new($"{what} at offset {at ?? position}");
}

/// <summary>A Python tuple (kept apart from a list: numpy's <c>shape</c> must be a tuple).</summary>
internal sealed record PythonTuple(List<object?> Items);
