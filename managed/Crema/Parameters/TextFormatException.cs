namespace Crema.Parameters;

/// <summary>Malformed Caffe text format: the message starts with <c>source:line:column:</c>.</summary>
public sealed class TextFormatException : FormatException
{
    /// <summary>Creates the exception for a position in a source.</summary>
    public TextFormatException(string? sourceName, int line, int column, string message)
        : base($"{sourceName ?? "<text>"}:{line}:{column}: {message}")
    {
        SourceName = sourceName;
        Line = line;
        Column = column;
    }

    /// <summary>The file name, or null for text given directly.</summary>
    public string? SourceName { get; }

    /// <summary>1-based line.</summary>
    public int Line { get; }

    /// <summary>1-based column.</summary>
    public int Column { get; }
}
