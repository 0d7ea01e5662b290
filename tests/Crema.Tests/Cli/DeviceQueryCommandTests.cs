using System.Text.RegularExpressions;
using Crema.Cli;
using Crema.Cuda;

using static Crema.Tests.Cli.LayerCommandWorkspace;

namespace Crema.Tests.Cli;

/// <summary><c>crema device_query</c> without a GPU, and its output for a made-up device.</summary>
public class DeviceQueryCommandTests
{
    // An H100-like device, as CudaRuntime.GetDeviceInfo would describe it.
    private static readonly CudaDeviceInfo MadeUp = new(
        0, "Made-up GPU 80GB", 85_031_714_816, new Version(9, 0), 132, 52_428_800, 5120, 2_619_000, 0x1b,
        ClockKhz: 1_980_000, MaxThreadsPerBlock: 1024, WarpSize: 32, MaxThreadsPerMultiprocessor: 2048,
        SharedMemoryPerBlockBytes: 49_152, SharedMemoryPerMultiprocessorBytes: 233_472, RegistersPerBlock: 65_536,
        TotalConstantMemoryBytes: 65_536, PciDomainId: 0, PciDeviceId: 0, EccEnabled: true, AsyncEngineCount: 3, Integrated: false);

    private static GpuStatus Available(params CudaDeviceInfo[] devices) =>
        new(true, null, null, "/made/up/libcrema.so", new Version(0, 1, 0), 11080, 12020, devices);

    [TearDown]
    public void BackToCpu() => Engine.UseCpu();

    [Test]
    public void WithoutAGpu_ExitsWith3_NamingTheReason()
    {
        var status = CudaRuntime.Probe();
        if (status.IsAvailable)
        {
            Assert.Ignore("a GPU is present (DeviceQueryCommandGpuTests covers it)");
        }

        var (code, stdout, stderr) = RunCli("device_query");

        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable), stderr);
        Assert.That(stderr, Does.StartWith($"crema: GPU unavailable ({status.ReasonKind}): ").And.Contain(status.Reason!.Split('\n')[0]));
        Assert.That(stdout, Is.Empty);
    }

    [TestCase(GpuUnavailableReason.LibraryMissing, "libcrema.so: cannot open shared object file")]
    [TestCase(GpuUnavailableReason.DriverTooOld, "CUDA driver version is insufficient for CUDA runtime version")]
    public void EveryUnavailableReason_ExitsWith3_WithIt(GpuUnavailableReason kind, string reason)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        int code = DeviceQueryCommand.Run(null, TableFormat.Plain, output, error,
            () => new GpuStatus(false, reason, kind, null, null, 0, 0, []), _ => null);

        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable));
        Assert.That(error.ToString().Trim(), Is.EqualTo($"crema: GPU unavailable ({kind}): {reason}"));
        Assert.That(output.ToString(), Is.Empty);
    }

    [Test]
    public void ADevice_PrintsItsProperties()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        int code = DeviceQueryCommand.Run(null, TableFormat.Plain, output, error, () => Available(MadeUp), _ => 80L << 30);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error.ToString());
        string text = output.ToString();
        Assert.That(text, Does.StartWith("CUDA driver 12.2, runtime 11.8; native library 0.1.0 (/made/up/libcrema.so)"));
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.That(lines, Does.Contain("device 0"));
        foreach (var (property, value) in new[]
        {
            ("name", "Made-up GPU 80GB"),
            ("compute capability", "9.0 (sm_90)"),
            ("total memory", "79.2 GiB (85,031,714,816 bytes)"),
            ("free memory", "80 GiB (85,899,345,920 bytes)"),
            ("multiprocessors (SMs)", "132"),
            ("SM clock", "1980 MHz"),
            ("memory clock", "2619 MHz"),
            ("memory bus width", "5,120 bits"),
            ("theoretical bandwidth", "3352 GB/s"),
            ("L2 cache", "50 MiB"),
            ("shared memory per block", "48 KiB"),
            ("shared memory per SM", "228 KiB"),
            ("constant memory", "64 KiB"),
            ("registers per block", "65,536"),
            ("max threads per block", "1,024"),
            ("max threads per SM", "2,048"),
            ("warp size", "32"),
            ("copy engines", "3"),
            ("ECC", "on"),
            ("integrated", "no"),
            ("PCI address", "0000:1b:00"),
        })
        {
            Assert.That(lines, Has.One.Match($"^{Regex.Escape(property)}  +{Regex.Escape(value)}$"), property);
        }
    }

    [Test]
    public void DeviceOption_PicksOneDevice_AndOneThatDoesNotExistIsBadInput()
    {
        var second = MadeUp with { Index = 1, Name = "Second GPU" };
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.That(DeviceQueryCommand.Run(1, TableFormat.Plain, output, error, () => Available(MadeUp, second), _ => null), Is.EqualTo(ExitCodes.Ok));
        Assert.That(output.ToString(), Does.Contain("Second GPU").And.Not.Contain("Made-up GPU").And.Not.Contain("free memory"));

        output = new StringWriter();
        Assert.That(DeviceQueryCommand.Run(2, TableFormat.Plain, output, error, () => Available(MadeUp, second), _ => null), Is.EqualTo(ExitCodes.BadInput));
        Assert.That(error.ToString().Trim(), Is.EqualTo("crema: --device 2: no such device (2 visible: 0 to 1)"));
        Assert.That(output.ToString(), Is.Empty);
    }

    [Test]
    public void NegativeDevice_ExitsWith2()
    {
        var (code, stdout, stderr) = RunCli("device_query", "--device", "-1");
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.Contain("--device must be 0 or more, got -1"));
        Assert.That(stdout, Is.Empty);
    }

    [TestCase(512L, "512 bytes")]
    [TestCase(49_152L, "48 KiB")]
    [TestCase(52_428_800L, "50 MiB")]
    [TestCase(1_610_612_736L, "1.5 GiB (1,610,612,736 bytes)")]
    public void Bytes_UseTheLargestBinaryUnit(long bytes, string expected) =>
        Assert.That(DeviceQueryCommand.Bytes(bytes), Is.EqualTo(expected));
}
