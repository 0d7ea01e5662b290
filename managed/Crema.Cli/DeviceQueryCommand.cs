using System.CommandLine;
using System.Globalization;
using Crema.Cuda;

namespace Crema.Cli;

/// <summary>
/// <c>crema device_query</c>: Caffe's <c>caffe device_query</c>. The properties of one GPU (--device N) or of every
/// visible one, with the driver's and the runtime's CUDA versions. Without a usable GPU: the reason on stderr and exit
/// code 3; a --device that does not exist is bad input (exit code 2).
/// </summary>
internal static class DeviceQueryCommand
{
    internal static Command Create()
    {
        var device = new Option<int?>("--device")
        {
            Description = "The GPU to describe (default: every visible GPU)",
            HelpName = "N",
        };
        device.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0)
            {
                result.AddError($"--device must be 0 or more, got {result.GetValueOrDefault<int?>()}");
            }
        });
        var format = CommonOptions.Format();
        var command = new Command("device_query", "Print the GPU's properties (Caffe's `caffe device_query`)")
        {
            device, format,
        };
        command.SetAction(parse => Run(
            parse.GetValue(device),
            parse.GetValue(format),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the command; returns the exit code.</summary>
    internal static int Run(int? device, TableFormat format, TextWriter output, TextWriter error) =>
        Run(device, format, output, error, CudaRuntime.Probe, FreeMemory);

    /// <summary>
    /// Runs the command with <paramref name="probe"/> and <paramref name="freeMemory"/> in place of
    /// <see cref="CudaRuntime.Probe"/> and <see cref="CudaRuntime.GetMemoryInfo"/> (tests describe a made-up device).
    /// </summary>
    internal static int Run(int? device, TableFormat format, TextWriter output, TextWriter error, Func<GpuStatus> probe, Func<int, long?> freeMemory) =>
        CommandRunner.Run(
            () =>
            {
                var status = probe();
                if (!status.IsAvailable)
                {
                    throw new GpuUnavailableException(
                        status.ReasonKind ?? GpuUnavailableReason.NoDevice, $"GPU unavailable ({status.ReasonKind}): {status.Reason}");
                }

                if (device is { } d && (d < 0 || d >= status.Devices.Count))
                {
                    throw new BadInputException(
                        $"--device {d}: no such device ({status.Devices.Count} visible: 0 to {status.Devices.Count - 1})");
                }

                output.WriteLine(
                    $"CUDA driver {GpuStatus.FormatCudaVersion(status.DriverVersion)}, runtime {GpuStatus.FormatCudaVersion(status.RuntimeVersion)}; " +
                    $"native library {status.NativeVersion} ({status.LibraryPath})");
                var chosen = device is { } only ? [status.Devices[only]] : status.Devices;
                foreach (var info in chosen)
                {
                    output.WriteLine();
                    output.WriteLine($"device {info.Index}");
                    long? free = freeMemory(info.Index);
                    Describe(info, free).Write(output, format);
                }

                return ExitCodes.Ok;
            },
            error);

    /// <summary>The table of one device's properties (free memory when known).</summary>
    internal static TextTable Describe(CudaDeviceInfo info, long? freeBytes)
    {
        ArgumentNullException.ThrowIfNull(info);
        var table = new TextTable("property", "value");
        table.AddRow("name", info.Name);
        table.AddRow("compute capability", $"{info.ComputeCapability.Major}.{info.ComputeCapability.Minor} (sm_{info.ComputeCapability.Major}{info.ComputeCapability.Minor})");
        table.AddRow("total memory", Bytes(info.TotalMemoryBytes));
        if (freeBytes is { } free)
        {
            table.AddRow("free memory", Bytes(free));
        }

        table.AddRow("multiprocessors (SMs)", Integer(info.MultiprocessorCount));
        table.AddRow("SM clock", Mhz(info.ClockKhz));
        table.AddRow("memory clock", Mhz(info.MemoryClockKhz));
        table.AddRow("memory bus width", $"{Integer(info.MemoryBusWidthBits)} bits");
        table.AddRow("theoretical bandwidth", $"{info.TheoreticalBandwidthGBps.ToString("F0", CultureInfo.InvariantCulture)} GB/s");
        table.AddRow("L2 cache", Bytes(info.L2CacheBytes));
        table.AddRow("shared memory per block", Bytes(info.SharedMemoryPerBlockBytes));
        table.AddRow("shared memory per SM", Bytes(info.SharedMemoryPerMultiprocessorBytes));
        table.AddRow("constant memory", Bytes(info.TotalConstantMemoryBytes));
        table.AddRow("registers per block", Integer(info.RegistersPerBlock));
        table.AddRow("max threads per block", Integer(info.MaxThreadsPerBlock));
        table.AddRow("max threads per SM", Integer(info.MaxThreadsPerMultiprocessor));
        table.AddRow("warp size", Integer(info.WarpSize));
        table.AddRow("copy engines", Integer(info.AsyncEngineCount));
        table.AddRow("ECC", info.EccEnabled ? "on" : "off");
        table.AddRow("integrated", info.Integrated ? "yes" : "no");
        table.AddRow("PCI address", info.PciAddress);
        return table;
    }

    /// <summary>Bytes in the largest binary unit that keeps a number ≥ 1, with the exact count for GiB-sized values.</summary>
    internal static string Bytes(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        string text = unit == 0
            ? $"{bytes} bytes"
            : $"{value.ToString(value == Math.Floor(value) ? "F0" : "F1", CultureInfo.InvariantCulture)} {units[unit]}";
        return unit >= 3 ? $"{text} ({Integer(bytes)} bytes)" : text;
    }

    private static string Mhz(int khz) => khz <= 0 ? "unknown" : $"{(khz / 1000.0).ToString("0.#", CultureInfo.InvariantCulture)} MHz";

    private static string Integer(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static long? FreeMemory(int device)
    {
        try
        {
            return CudaRuntime.GetMemoryInfo(device).Free;
        }
        catch (CremaException)
        {
            return null;
        }
    }
}
