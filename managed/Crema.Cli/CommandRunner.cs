namespace Crema.Cli;

/// <summary>What every command does around its work: exit codes for bad input and an unusable GPU, and the engine.</summary>
internal static class CommandRunner
{
    /// <summary>
    /// Runs <paramref name="body"/> and returns its exit code; <see cref="BadInputException"/> becomes exit code 2 and
    /// <see cref="GpuUnavailableException"/> exit code 3, each with one <c>crema: </c> line on <paramref name="error"/>.
    /// The engine is process-wide: when it was the CPU before, it is the CPU again afterwards, for whoever runs next
    /// in this process.
    /// </summary>
    internal static int Run(Func<int> body, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(error);
        var previous = Engine.Current;
        try
        {
            return body();
        }
        catch (BadInputException e)
        {
            error.WriteLine($"crema: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (GpuUnavailableException e)
        {
            error.WriteLine($"crema: {e.Message}");
            return ExitCodes.GpuUnavailable;
        }
        finally
        {
            if (previous == ComputeEngine.Cpu)
            {
                Engine.UseCpu();
            }
        }
    }
}
