using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Crema.Cli;

/// <summary>Where training stands, as the display shows it.</summary>
/// <param name="Iteration">The iteration just done (Caffe's numbering: the first is 0).</param>
/// <param name="MaxIter">The solver's <c>max_iter</c>.</param>
/// <param name="Loss">The smoothed training loss, or null when it was not read this iteration.</param>
/// <param name="LearningRate">The learning rate of that iteration.</param>
/// <param name="ImagesPerSecond">Batch size × iter_size × iterations done / seconds, or null without a batch size.</param>
/// <param name="Eta">The time left at the pace so far.</param>
internal sealed record TrainingStatus(int Iteration, int MaxIter, float? Loss, double LearningRate, double? ImagesPerSecond, TimeSpan Eta)
{
    /// <summary>The numbers on one line: <c>loss 0.312, lr 0.01, 5210 images/s, ETA 00:01:23</c>.</summary>
    internal string Numbers(float? shownLoss) => string.Create(
        CultureInfo.InvariantCulture,
        $"loss {(shownLoss is { } loss ? CaffeFormat.Number(loss) : "-")}, lr {CaffeFormat.Number(LearningRate)}, " +
        $"{(ImagesPerSecond is { } rate ? rate.ToString("F0", CultureInfo.InvariantCulture) : "-")} images/s, ETA {FormatDuration(Eta)}");

    /// <summary><c>hh:mm:ss</c> (days folded into the hours), or seconds with a decimal under a minute.</summary>
    internal static string FormatDuration(TimeSpan span) => span.TotalSeconds < 60
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:F1} s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours:00}:{span.Minutes:00}:{span.Seconds:00}");
}

/// <summary>
/// What <c>crema train</c> shows while it trains. On a terminal: a live Spectre.Console progress bar (iteration,
/// loss, learning rate, images/s, ETA) with the log lines (tests, snapshots) scrolling above it. Anywhere else (a file,
/// a pipe, CI logs, the tests' writers): plain lines, one per display iteration.
/// </summary>
internal abstract class TrainingDisplay
{
    private protected TrainingDisplay(IAnsiConsole console) => Console = console;

    /// <summary>The console the display, and the summary table, write to.</summary>
    internal IAnsiConsole Console { get; }

    /// <summary>
    /// The live display when <paramref name="output"/> is the process's standard output, that is a terminal which
    /// Spectre.Console finds interactive and ANSI-capable; the plain one otherwise.
    /// </summary>
    internal static TrainingDisplay Create(TextWriter output)
    {
        var terminal = new AnsiConsoleOutput(output);
        if (terminal.IsTerminal)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = terminal });
            if (console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi)
            {
                return new LiveDisplay(console);
            }
        }

        return new PlainDisplay(AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        }), output);
    }

    /// <summary>Runs <paramref name="training"/> while the display shows its progress from <paramref name="start"/> to <paramref name="maxIter"/>.</summary>
    internal abstract void Run(int start, int maxIter, Action training);

    /// <summary>Shows <paramref name="status"/>; <paramref name="display"/>: a display iteration (the plain display writes a line).</summary>
    internal abstract void Update(TrainingStatus status, bool display);

    /// <summary>Writes a line (above the progress bar while it shows). Safe from any thread.</summary>
    internal virtual void Line(string text) => Console.WriteLine(text);

    private sealed class PlainDisplay(IAnsiConsole console, TextWriter output) : TrainingDisplay(console)
    {
        // Straight to the writer: Spectre would wrap long lines at its default width of 80.
        internal override void Line(string text) => output.WriteLine(text);

        internal override void Run(int start, int maxIter, Action training) => training();

        internal override void Update(TrainingStatus status, bool display)
        {
            if (display)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"Iteration {status.Iteration} of {status.MaxIter}: {status.Numbers(status.Loss)}"));
            }
        }
    }

    private sealed class LiveDisplay(IAnsiConsole console) : TrainingDisplay(console)
    {
        // Redrawing the numbers for every iteration of a small net would cost more than the iteration.
        private static readonly TimeSpan DescriptionInterval = TimeSpan.FromMilliseconds(100);
        private readonly Stopwatch sinceDescribed = new();
        private ProgressTask? task;
        private TrainingStatus? last;
        private float? lastLoss;

        internal override void Run(int start, int maxIter, Action training) =>
            Console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                .Start(context =>
                {
                    task = context.AddTask(Describe(start, maxIter, "starting"), maxValue: Math.Max(1, maxIter));
                    task.Value = start;
                    try
                    {
                        training();
                    }
                    finally
                    {
                        // The numbers where training ended (the last update may have been throttled).
                        if (last is not null)
                        {
                            task.Description = Describe(last.Iteration + 1, last.MaxIter, last.Numbers(lastLoss));
                        }

                        context.Refresh();
                    }
                });

        internal override void Update(TrainingStatus status, bool display)
        {
            if (task is null)
            {
                return;
            }

            // On the GPU the loss is read on display iterations only; between them the last one read stays shown.
            lastLoss = status.Loss ?? lastLoss;
            last = status;
            task.Value = status.Iteration + 1;
            if (display || !sinceDescribed.IsRunning || sinceDescribed.Elapsed >= DescriptionInterval)
            {
                task.Description = Describe(status.Iteration + 1, status.MaxIter, status.Numbers(lastLoss));
                sinceDescribed.Restart();
            }
        }

        private static string Describe(int done, int maxIter, string numbers) =>
            Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"iteration {done}/{maxIter} · {numbers}"));
    }
}

/// <summary>
/// The solver's log lines on the display: Caffe's lines for the tests, snapshots and the end, without the
/// <c>Iteration N, loss = …</c> and <c>Iteration N, lr = …</c> lines, which the display shows its own way.
/// </summary>
internal sealed partial class DisplayLogger(TrainingDisplay display) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string line = formatter(state, exception);
        if (!ProgressLine().IsMatch(line))
        {
            display.Line(line);
        }
    }

    [GeneratedRegex(@"^Iteration \d+, (loss|lr) = ")]
    private static partial Regex ProgressLine();
}
