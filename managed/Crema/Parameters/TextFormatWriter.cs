using System.Text;

namespace Crema.Parameters;

/// <summary>
/// Writes protobuf text format the way Caffe's tools print it: one field per line, <c>name: value</c>, sub-messages as
/// <c>name {</c> ... <c>}</c>, two spaces of indent per level.
/// </summary>
internal sealed class TextFormatWriter
{
    private readonly StringBuilder _text = new();
    private readonly int _depth;

    public TextFormatWriter()
        : this(0)
    {
    }

    private TextFormatWriter(int depth) => _depth = depth;

    /// <summary>True while nothing has been written.</summary>
    public bool IsEmpty => _text.Length == 0;

    /// <summary>A writer for the body of a sub-message of this one (one level deeper); see <see cref="WriteMessage"/>.</summary>
    public TextFormatWriter Nested() => new(_depth + 1);

    /// <summary>Writes <c>name: value</c>; <paramref name="value"/> is already formatted (quoted, for a string).</summary>
    public void WriteScalar(string name, string value) =>
        Indent().Append(name).Append(": ").Append(value).Append('\n');

    /// <summary>Writes <c>name {</c>, the body a <see cref="Nested"/> writer holds, and <c>}</c>.</summary>
    public void WriteMessage(string name, TextFormatWriter body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Indent().Append(name).Append(" {\n").Append(body._text);
        Indent().Append("}\n");
    }

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();

    private StringBuilder Indent() => _text.Append(' ', 2 * _depth);

    /// <summary>
    /// A string as a double-quoted literal that the tokenizer reads back to the same string: quotes, backslashes and
    /// control characters escaped; other characters (non-ASCII included) as they are.
    /// </summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                case < ' ' or '\x7F':
                    quoted.Append('\\').Append(Convert.ToString((int)c, 8).PadLeft(3, '0'));
                    break;
                default: quoted.Append(c); break;
            }
        }
        return quoted.Append('"').ToString();
    }
}
