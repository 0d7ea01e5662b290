using System.Globalization;
using Crema.Cli;
using Crema.Cuda;

using static Crema.Tests.Cli.LayerCommandWorkspace;

namespace Crema.Tests.Cli;

/// <summary>What <c>crema time</c> printed in plain format, read back.</summary>
internal sealed record TimeOutput(
    IReadOnlyList<(string Name, string Type, double Forward, double Backward)> Layers,
    double Forward,
    double Backward,
    double ForwardBackward,
    double Total)
{
    /// <summary>The mlp example's layers in TRAIN (the accuracy layer is TEST-only).</summary>
    internal static readonly string[] MlpLayers = ["data", "ip1", "relu1", "ip2", "loss"];

    /// <summary>Parses the plain output: the layer table, then the totals table.</summary>
    internal static TimeOutput Parse(string stdout)
    {
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int header = lines.FindIndex(l => l.StartsWith("layer ", StringComparison.Ordinal));
        Assert.That(header, Is.GreaterThanOrEqualTo(0), stdout);
        Assert.That(lines[header], Does.Match(@"^layer\s+type\s+forward ms\s+backward ms$"));
        Assert.That(lines[header + 1], Does.Match("^[- ]+$"));
        var layers = new List<(string, string, double, double)>();
        int i = header + 2;
        for (; lines[i].Length > 0; i++)
        {
            string[] cells = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(cells, Has.Length.EqualTo(4), lines[i]);
            layers.Add((cells[0], cells[1], Number(cells[2]), Number(cells[3])));
        }

        double Total(string label)
        {
            string line = lines.Single(l => l.StartsWith(label + " ", StringComparison.Ordinal));
            return Number(line[(line.LastIndexOf(' ') + 1)..]);
        }

        return new TimeOutput(layers, Total("forward pass"), Total("backward pass"), Total("forward-backward"), Total("total"));
    }

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}

/// <summary><c>crema time</c> on the CPU engine, through the command line as Program.cs runs it.</summary>
public class TimeCommandTests
{
    private static string MlpModel => TestData.ExampleFile("mlp", "mlp.prototxt");

    [TearDown]
    public void BackToCpu() => Engine.UseCpu();

    [Test]
    public void Mlp_ListsEveryLayer_WithNonNegativeTimes_AndConsistentTotals()
    {
        var (code, stdout, stderr) = RunCli("time", "--model", MlpModel, "--iterations", "5");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.StartWith("net 'mlp' (TRAIN, float32) on CPU (Stopwatch): 1 warm-up pass, 5 iterations"));
        Assert.That(stdout, Does.Contain("warm-up loss: "));
        var parsed = TimeOutput.Parse(stdout);
        Assert.That(parsed.Layers.Select(l => l.Name), Is.EqualTo(TimeOutput.MlpLayers));
        Assert.That(parsed.Layers.Select(l => l.Type), Is.EqualTo(new[] { "DummyData", "InnerProduct", "ReLU", "InnerProduct", "SoftmaxWithLoss" }));
        Assert.That(parsed.Layers.SelectMany(l => new[] { l.Forward, l.Backward }), Has.All.GreaterThanOrEqualTo(0.0));

        // Printed with four decimals: each printed value is within 5e-5 ms of the measured one.
        double rounding = (5e-5 * (parsed.Layers.Count + 1)) + 1e-5;
        Assert.That(parsed.Layers.Sum(l => l.Forward), Is.LessThanOrEqualTo(parsed.Forward + rounding));
        Assert.That(parsed.Layers.Sum(l => l.Backward), Is.LessThanOrEqualTo(parsed.Backward + rounding));
        Assert.That(parsed.ForwardBackward, Is.EqualTo(parsed.Forward + parsed.Backward).Within(2e-4));
        Assert.That(parsed.ForwardBackward * 5, Is.LessThanOrEqualTo(parsed.Total + (5 * 1e-4)));
        Assert.That(parsed.Forward, Is.GreaterThan(0.0));
    }

    [Test]
    public void PhaseTest_TimesTheTestNet_AndFloat64Works()
    {
        var (code, stdout, stderr) = RunCli("time", "--model", MlpModel, "--iterations", "2", "--phase", "TEST", "--dtype", "float64");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.StartWith("net 'mlp' (TEST, float64)"));
        // ip2 and label feed the loss and the accuracy in TEST: Split layers are timed too.
        var names = TimeOutput.Parse(stdout).Layers.Select(l => l.Name).ToList();
        Assert.That(names, Is.SupersetOf(TimeOutput.MlpLayers.Append("accuracy")));
        Assert.That(names, Has.Some.EndsWith("_split"));
    }

    [Test]
    public void CaffeFormat_PrintsCaffesLines()
    {
        var (code, stdout, stderr) = RunCli("time", "--model", MlpModel, "--iterations", "2", "--format", "caffe");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.That(lines, Has.Some.StartsWith("Initial loss: "));
        Assert.That(lines, Does.Contain("Average time per layer: "));
        foreach (string layer in TimeOutput.MlpLayers)
        {
            Assert.That(lines, Has.Some.Match($@"^\s*{layer}\tforward: \d+\.\d{{4}} ms\.$"));
            Assert.That(lines, Has.Some.Match($@"^\s*{layer}\tbackward: \d+\.\d{{4}} ms\.$"));
        }

        Assert.That(lines, Has.Some.Match(@"^Average Forward pass: \d+\.\d{4} ms\.$"));
        Assert.That(lines, Has.Some.Match(@"^Average Backward pass: \d+\.\d{4} ms\.$"));
        Assert.That(lines, Has.Some.Match(@"^Average Forward-Backward: \d+\.\d{4} ms\.$"));
        Assert.That(lines[^1], Does.Match(@"^Total Time: \d+\.\d{4} ms\.$"));
    }

    [Test]
    public void TableFormat_DrawsATable_WithEveryLayer()
    {
        var (code, stdout, stderr) = RunCli("time", "--model", MlpModel, "--iterations", "1", "--format", "table");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.Contain("forward ms").And.Contain("│"));
        foreach (string layer in TimeOutput.MlpLayers)
        {
            Assert.That(stdout, Does.Match($@"│ {layer}\s+│"));
        }
    }

    [TestCase("0")]
    [TestCase("-3")]
    public void IterationsBelowOne_ExitWith2(string iterations)
    {
        var (code, stdout, stderr) = RunCli("time", "--model", MlpModel, "--iterations", iterations);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.StartWith("crema: ").And.Contain("--iterations must be at least 1"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void IterationsBelowOne_InProcess_ExitWith2()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = TimeCommand.Run(new TimeOptions(MlpModel, Iterations: 0), output, error);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(error.ToString(), Does.Contain("--iterations must be at least 1, got 0"));
    }

    [Test]
    public void MissingModel_ExitsWith2()
    {
        string model = Path.Combine(Path.GetTempPath(), $"crema-absent-{Guid.NewGuid():N}.prototxt");
        var (code, stdout, stderr) = RunCli("time", "--model", model);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr.Trim(), Is.EqualTo($"crema: --model {model}: no such file"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void BadEngineOrFormat_ExitWith2()
    {
        Assert.That(RunCli("time", "--model", MlpModel, "--engine", "tpu").Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(RunCli("time", "--model", MlpModel, "--format", "html").Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(RunCli("time").Code, Is.EqualTo(ExitCodes.BadInput), "--model is required");
    }

    [Test]
    public void GpuEngine_WithoutAGpu_ExitsWith3_NamingTheReason()
    {
        var status = CudaRuntime.Probe();
        if (status.IsAvailable)
        {
            Assert.Ignore("a GPU is present (TimeCommandGpuTests covers it)");
        }

        var (code, stdout, stderr) = RunCli("time", "--model", MlpModel, "--engine", "gpu");

        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable), stderr);
        Assert.That(stderr, Does.StartWith("crema: GPU unavailable: ").And.Contain(status.Reason!.Split('\n')[0]));
        Assert.That(stdout, Is.Empty);
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu));
    }
}
