namespace Crema.Cli;

/// <summary>Process exit codes shared by every command.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    internal const int Ok = 0;

    /// <summary>A check failed (e.g. a tolerance was exceeded).</summary>
    internal const int CheckFailed = 1;

    /// <summary>Bad input: a file, an option or a value was rejected.</summary>
    internal const int BadInput = 2;

    /// <summary>The GPU was asked for but cannot be used.</summary>
    internal const int GpuUnavailable = 3;

    /// <summary>Stopped by Ctrl+C (or a cancellation) after saving what is needed to go on: 128 + SIGINT, as shells report it.</summary>
    internal const int Interrupted = 130;
}
