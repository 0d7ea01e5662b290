using System.Text;
using Spectre.Console;

namespace Crema.Cli;

/// <summary>How a command prints its tables (--format).</summary>
internal enum TableFormat
{
    /// <summary>A boxed table on a terminal, plain text otherwise (redirected output, tests).</summary>
    Auto,

    /// <summary>A boxed table (Spectre.Console), also when the output is not a terminal.</summary>
    Table,

    /// <summary>Plain text: aligned columns separated by two spaces, a header and a line of dashes.</summary>
    Plain,

    /// <summary>Caffe's log lines (only <c>crema time</c> has them).</summary>
    Caffe,
}

/// <summary>
/// A table of text cells that prints either as a Spectre.Console table (on a terminal) or as plain aligned text that
/// a script or a test can read: <c>header</c>, a line of dashes, then one line per row, columns separated by two
/// spaces and padded to the widest cell (numbers right-aligned).
/// </summary>
internal sealed class TextTable
{
    private readonly (string Header, bool Right)[] columns;
    private readonly List<string[]> rows = [];

    /// <summary>Creates a table; a header that starts with '>' is a right-aligned column (the '>' is not shown).</summary>
    internal TextTable(params string[] headers)
    {
        columns = [.. headers.Select(h => h.StartsWith('>') ? (h[1..], true) : (h, false))];
    }

    /// <summary>Adds a row of exactly as many cells as there are columns.</summary>
    internal void AddRow(params string[] cells)
    {
        if (cells.Length != columns.Length)
        {
            throw new ArgumentException($"a row needs {columns.Length} cells, got {cells.Length}", nameof(cells));
        }

        rows.Add(cells);
    }

    /// <summary>Whether <paramref name="format"/> means a boxed table when writing to <paramref name="output"/>.</summary>
    internal static bool Boxed(TableFormat format, TextWriter output) => format switch
    {
        TableFormat.Table => true,
        TableFormat.Auto => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected,
        _ => false,
    };

    /// <summary>Writes the table boxed or plain (see <see cref="Boxed"/>).</summary>
    internal void Write(TextWriter output, TableFormat format)
    {
        if (Boxed(format, output))
        {
            WriteBoxed(output);
        }
        else
        {
            WritePlain(output);
        }
    }

    /// <summary>Plain aligned text.</summary>
    internal void WritePlain(TextWriter output)
    {
        var widths = new int[columns.Length];
        for (int c = 0; c < columns.Length; c++)
        {
            widths[c] = Math.Max(columns[c].Header.Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length));
        }

        output.WriteLine(Line([.. columns.Select(c => c.Header)]));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            output.WriteLine(Line(row));
        }

        string Line(string[] cells)
        {
            var line = new StringBuilder();
            for (int c = 0; c < cells.Length; c++)
            {
                if (c > 0)
                {
                    line.Append("  ");
                }

                line.Append(columns[c].Right ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
            }

            return line.ToString().TrimEnd();
        }
    }

    private void WriteBoxed(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
        });
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
        {
            // Not a terminal: no width to detect; wide enough that rows do not wrap.
            console.Profile.Width = 240;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var (header, right) in columns)
        {
            var column = new TableColumn(Markup.Escape(header));
            table.AddColumn(right ? column.RightAligned() : column);
        }

        foreach (var row in rows)
        {
            table.AddRow([.. row.Select(cell => new Text(cell))]);
        }

        console.Write(table);
    }
}
