using Crema.Cli;
using Crema.Cuda;

using static Crema.Tests.Cli.LayerCommandWorkspace;

namespace Crema.Tests.Cli;

/// <summary>
/// <c>crema time --engine gpu</c>, <c>crema device_query</c> and <c>crema check</c> where a GPU is present; skipped
/// with the reason elsewhere (the CPU fixtures then check exit code 3).
/// </summary>
public class ToolCommandsGpuTests : GpuTestBase
{
    private static string MlpModel => TestData.ExampleFile("mlp", "mlp.prototxt");

    [Test]
    public void TimeOnTheGpu_ListsEveryLayer_WithConsistentTotals()
    {
        var (code, stdout, stderr) = RunCli("time", "--model", MlpModel, "--engine", "gpu", "--iterations", "20");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.StartWith("net 'mlp' (TRAIN, float32) on GPU (device 0, CUDA events): 1 warm-up pass, 20 iterations"));
        var parsed = TimeOutput.Parse(stdout);
        Assert.That(parsed.Layers.Select(l => l.Name), Is.EqualTo(TimeOutput.MlpLayers));
        Assert.That(parsed.Layers.SelectMany(l => new[] { l.Forward, l.Backward }), Has.All.GreaterThanOrEqualTo(0.0));
        double rounding = (5e-5 * (parsed.Layers.Count + 1)) + 1e-5;
        Assert.That(parsed.Layers.Sum(l => l.Forward), Is.LessThanOrEqualTo(parsed.Forward + rounding));
        Assert.That(parsed.Layers.Sum(l => l.Backward), Is.LessThanOrEqualTo(parsed.Backward + rounding));
        Assert.That(parsed.ForwardBackward * 20, Is.LessThanOrEqualTo(parsed.Total + (20 * 1e-4)));
        Assert.That(parsed.Layers.Single(l => l.Name == "ip1").Forward, Is.GreaterThan(0.0), "a gemm on the device takes some time");
    }

    [Test]
    public void DeviceQuery_DescribesDevice0()
    {
        var info = CudaRuntime.GetDeviceInfo(0);

        var (code, stdout, stderr) = RunCli("device_query", "--device", "0");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.StartWith("CUDA driver "));
        Assert.That(stdout, Does.Contain("device 0").And.Contain(info.Name));
        Assert.That(stdout, Does.Contain($"{info.ComputeCapability.Major}.{info.ComputeCapability.Minor} (sm_"));
        Assert.That(info.ClockKhz, Is.GreaterThan(0), "the SM clock comes through the ABI");
        Assert.That(info.WarpSize, Is.EqualTo(32));
        Assert.That(info.SharedMemoryPerBlockBytes, Is.GreaterThanOrEqualTo(48 * 1024));
        Assert.That(info.RegistersPerBlock, Is.GreaterThan(0));
        Assert.That(info.MaxThreadsPerMultiprocessor, Is.GreaterThanOrEqualTo(info.MaxThreadsPerBlock));
    }

    [TestCase("float32")]
    [TestCase("float64")]
    public void CheckOnTheMlp_Passes(string dtype)
    {
        var (code, stdout, stderr) = RunCli("check", "--model", MlpModel, "--dtype", dtype, "--seed", "5");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), $"{stdout}\n{stderr}");
        Assert.That(stdout, Does.Contain("CPU (reference) against GPU (device 0)").And.Contain("PASS: "));
        Assert.That(CheckOutput.Rows(stdout).Select(r => r[1]), Is.EqualTo(CheckOutput.MlpNames));
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu), "the engine the command found");
    }

    [Test]
    public void CheckOnTheMlpTestNet_Passes_WithTheAccuracy()
    {
        var (code, stdout, stderr) = RunCli("check", "--model", MlpModel, "--phase", "TEST");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), $"{stdout}\n{stderr}");
        Assert.That(CheckOutput.Rows(stdout).Select(r => r[1]), Does.Contain("accuracy"));
    }
}
