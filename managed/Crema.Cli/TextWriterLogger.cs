using Microsoft.Extensions.Logging;

namespace Crema.Cli;

/// <summary>
/// An <see cref="ILogger"/> that writes each message as one line to a <see cref="TextWriter"/>, as it is (no level or
/// category prefix): the net's and the solver's lines are already in Caffe's format.
/// </summary>
internal sealed class TextWriterLogger(TextWriter writer, LogLevel minimum = LogLevel.Information) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (IsEnabled(logLevel))
        {
            writer.WriteLine(formatter(state, exception));
        }
    }
}
