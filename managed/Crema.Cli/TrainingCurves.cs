using System.Globalization;
using System.Text;
using Crema.IO;

namespace Crema.Cli;

/// <summary>One test-net output the curves record: its CSV column, and whether it is a loss (plotted with the loss).</summary>
/// <param name="Column">The CSV column: <c>test_&lt;blob&gt;</c> (<c>test&lt;net&gt;_…</c> after the first test net,
/// <c>…_&lt;index&gt;</c> for blobs of several elements).</param>
/// <param name="IsLoss">Whether the output carries a loss weight.</param>
internal sealed record CurveColumn(string Column, bool IsLoss);

/// <summary>
/// The training curves <c>crema train</c> records: per iteration the smoothed training loss (when it was read), the
/// learning rate, and each test output when the test nets ran. Written as a CSV (<see cref="WriteCsv"/>) and plotted
/// (<see cref="TrainingPlot"/>).
/// </summary>
internal sealed class TrainingCurves
{
    private readonly SortedDictionary<int, Row> rows = [];

    internal TrainingCurves(IReadOnlyList<CurveColumn> testColumns) => TestColumns = testColumns;

    /// <summary>The test outputs, in the order of their CSV columns (after iteration, loss, lr).</summary>
    internal IReadOnlyList<CurveColumn> TestColumns { get; }

    /// <summary>The CSV header line.</summary>
    internal string Header => string.Join(',', new[] { "iteration", "loss", "lr" }.Concat(TestColumns.Select(c => c.Column)));

    /// <summary>Records the training loss and learning rate of <paramref name="iteration"/>.</summary>
    internal void AddTraining(int iteration, float loss, double learningRate)
    {
        var row = RowAt(iteration);
        row.Loss = loss;
        row.LearningRate = learningRate;
    }

    /// <summary>Records the test outputs at <paramref name="iteration"/>, one per <see cref="TestColumns"/> entry.</summary>
    internal void AddTest(int iteration, double learningRate, IReadOnlyList<double> values)
    {
        if (values.Count != TestColumns.Count)
        {
            throw new ArgumentException($"{values.Count} test values for {TestColumns.Count} columns", nameof(values));
        }

        var row = RowAt(iteration);
        row.LearningRate ??= learningRate;
        row.Tests = [.. values];
    }

    /// <summary>The training loss of each iteration that has one, in order.</summary>
    internal (double[] Iterations, double[] Values) TrainingLoss()
    {
        var points = rows.Where(r => r.Value.Loss is not null).ToList();
        return ([.. points.Select(p => (double)p.Key)], [.. points.Select(p => (double)p.Value.Loss!.Value)]);
    }

    /// <summary>Test column <paramref name="column"/> at each iteration that was tested, in order.</summary>
    internal (double[] Iterations, double[] Values) Test(int column)
    {
        var points = rows.Where(r => r.Value.Tests is not null).ToList();
        return ([.. points.Select(p => (double)p.Key)], [.. points.Select(p => p.Value.Tests![column])]);
    }

    /// <summary>
    /// Takes the rows before <paramref name="before"/> from an earlier run's CSV at <paramref name="path"/>, when it
    /// exists and has the same header (a resumed run continues the curves of the run it resumes).
    /// </summary>
    /// <returns>How many rows were taken (0 when the file is missing or does not match).</returns>
    internal int TakeEarlierRows(string path, int before)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
        {
            return 0;
        }

        var earlier = new List<(int Iteration, Row Row)>();
        foreach (string line in lines.Skip(1))
        {
            if (ParseRow(line) is not { } parsed)
            {
                return 0;
            }

            if (parsed.Iteration < before)
            {
                earlier.Add(parsed);
            }
        }

        foreach (var (iteration, row) in earlier)
        {
            rows[iteration] = row;
        }

        return earlier.Count;
    }

    /// <summary>Writes the CSV (a temporary file renamed over <paramref name="path"/>). Empty cells: not measured.</summary>
    internal void WriteCsv(string path)
    {
        var text = new StringBuilder();
        text.Append(Header).Append('\n');
        foreach (var (iteration, row) in rows)
        {
            text.Append(iteration.ToString(CultureInfo.InvariantCulture));
            text.Append(',').Append(row.Loss?.ToString("R", CultureInfo.InvariantCulture));
            // The rate as the update uses it, in the solver's float (base_lr is a float, as in Caffe).
            text.Append(',').Append(((float?)row.LearningRate)?.ToString("R", CultureInfo.InvariantCulture));
            for (int c = 0; c < TestColumns.Count; c++)
            {
                text.Append(',').Append(row.Tests?[c].ToString("R", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        using var file = AtomicFile.Create(path);
        file.Stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
        file.Commit();
    }

    private Row RowAt(int iteration)
    {
        if (!rows.TryGetValue(iteration, out var row))
        {
            row = new Row();
            rows[iteration] = row;
        }

        return row;
    }

    private (int Iteration, Row Row)? ParseRow(string line)
    {
        string[] cells = line.Split(',');
        if (cells.Length != 3 + TestColumns.Count
            || !int.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int iteration))
        {
            return null;
        }

        var row = new Row();
        if (cells[1].Length > 0)
        {
            if (!float.TryParse(cells[1], NumberStyles.Float, CultureInfo.InvariantCulture, out float loss))
            {
                return null;
            }

            row.Loss = loss;
        }

        if (cells[2].Length > 0)
        {
            if (!double.TryParse(cells[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double rate))
            {
                return null;
            }

            row.LearningRate = rate;
        }

        if (TestColumns.Count > 0 && cells[3].Length > 0)
        {
            var tests = new double[TestColumns.Count];
            for (int c = 0; c < tests.Length; c++)
            {
                if (!double.TryParse(cells[3 + c], NumberStyles.Float, CultureInfo.InvariantCulture, out tests[c]))
                {
                    return null;
                }
            }

            row.Tests = tests;
        }

        return (iteration, row);
    }

    private sealed class Row
    {
        public float? Loss { get; set; }

        public double? LearningRate { get; set; }

        public double[]? Tests { get; set; }
    }
}
