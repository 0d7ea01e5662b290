using Microsoft.Extensions.Logging;

namespace Crema.Net;

/// <summary>The net's log lines (debug info in Caffe's format), through a source-generated logger method.</summary>
internal static partial class NetLog
{
    /// <summary>Writes one line of debug info as it is.</summary>
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Line}")]
    public static partial void DebugLine(ILogger logger, string line);
}
