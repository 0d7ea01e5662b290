using System.CommandLine;
using System.Reflection;
using Crema.Cuda;

namespace Crema.Cli;

/// <summary><c>crema info</c>: versions, the engine that would be used, and the GPU devices or why there are none.</summary>
internal static class InfoCommand
{
    internal static Command Create()
    {
        var engine = CommonOptions.Engine("The engine to select: Cpu or Gpu (Gpu fails with exit code 3 and the reason when unusable)");
        var command = new Command("info", "Print the version, the engine and the GPU devices (or why there are none)")
        {
            engine,
        };
        command.SetAction(parse => Run(parse.GetValue(engine), Console.Out));
        return command;
    }

    internal static int Run(ComputeEngine requested, TextWriter output)
    {
        string managed = typeof(Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                         ?? typeof(Engine).Assembly.GetName().Version?.ToString() ?? "unknown";
        var status = CudaRuntime.Probe();

        output.WriteLine($"Crema {managed.Split('+')[0]}");
        output.WriteLine($"  .NET            {Environment.Version} ({System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}, {Environment.ProcessorCount} cores)");
        output.WriteLine(status.NativeVersion is null
            ? "  native library  not loaded"
            : $"  native library  {status.NativeVersion} ({status.LibraryPath})");
        if (status.NativeVersion is not null)
        {
            output.WriteLine($"  CUDA            runtime {GpuStatus.FormatCudaVersion(status.RuntimeVersion)}, driver {GpuStatus.FormatCudaVersion(status.DriverVersion)}");
        }

        if (status.IsAvailable)
        {
            output.WriteLine($"  GPU devices     {status.Devices.Count}");
            foreach (var device in status.Devices)
            {
                output.WriteLine($"    {device}");
            }
        }
        else
        {
            output.WriteLine($"  GPU             unavailable ({status.ReasonKind}): {Indent(status.Reason)}");
        }

        try
        {
            Engine.Use(requested);
        }
        catch (GpuUnavailableException e)
        {
            output.WriteLine($"  engine          {requested} requested but unusable");
            Console.Error.WriteLine(e.Message.Split('\n')[0]);
            return ExitCodes.GpuUnavailable;
        }

        output.WriteLine($"  engine          {Engine.Current}{(requested == ComputeEngine.Cpu ? " (default; --engine Gpu to use the GPU)" : $" (device {Engine.Device})")}");
        return ExitCodes.Ok;
    }

    private static string Indent(string? text) => (text ?? "").Replace("\n", "\n                  ", StringComparison.Ordinal);
}
