using Crema.Cli;
using Crema.Cuda;
using Crema.Fillers;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;

using static Crema.Tests.Cli.LayerCommandWorkspace;

namespace Crema.Tests.Cli;

/// <summary>What <c>crema check</c> printed in plain format, read back.</summary>
internal static class CheckOutput
{
    /// <summary>The rows of the table: kind, name, shape, data, diff, result.</summary>
    internal static List<string[]> Rows(string stdout)
    {
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int header = lines.FindIndex(l => l.StartsWith("kind ", StringComparison.Ordinal));
        Assert.That(header, Is.GreaterThanOrEqualTo(0), stdout);
        Assert.That(lines[header], Does.Match(@"^kind\s+name\s+shape\s+data\s+diff\s+result$"));
        var rows = new List<string[]>();
        for (int i = header + 2; lines[i].Length > 0; i++)
        {
            rows.Add(lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        return rows;
    }

    /// <summary>The mlp example's tensors in TRAIN, as the table names them.</summary>
    internal static readonly string[] MlpNames = ["loss", "data", "label", "ip1", "ip2", "loss", "ip1[0]", "ip1[1]", "ip2[0]", "ip2[1]"];
}

/// <summary><c>crema check</c> on the CPU: exit 3 without a GPU, exit 2 for bad input, and the CPU-against-CPU run.</summary>
public class CheckCommandTests : CliWorkspaceTests
{
    private static string MlpModel => TestData.ExampleFile("mlp", "mlp.prototxt");

    [Test]
    public void WithoutAGpu_ExitsWith3_NamingTheReason()
    {
        var status = CudaRuntime.Probe();
        if (status.IsAvailable)
        {
            Assert.Ignore("a GPU is present (CheckCommandGpuTests covers it)");
        }

        var (code, stdout, stderr) = RunCli("check", "--model", MlpModel);

        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable), stderr);
        Assert.That(stderr, Does.StartWith("crema: GPU unavailable: ").And.Contain(status.Reason!.Split('\n')[0]));
        Assert.That(stdout, Is.Empty);
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu));
    }

    [Test]
    public void CpuAgainstCpu_Passes_WithEveryTensorAtZero()
    {
        var (code, stdout, stderr) = RunCli("check", "--model", MlpModel, "--candidate", "cpu", "--seed", "4");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.StartWith("net 'mlp' (TRAIN, float32): CPU (reference) against CPU (a second run), seed 4, Forward and Backward"));
        Assert.That(stdout, Does.Contain("max(|a|, |b|, 0.01 * the tensor's largest |value|); tolerance 0.0001"));
        var rows = CheckOutput.Rows(stdout);
        Assert.That(rows.Select(r => r[1]), Is.EqualTo(CheckOutput.MlpNames));
        Assert.That(rows.Select(r => r[0]).Distinct(), Is.EqualTo(new[] { "loss", "blob", "param" }));
        Assert.That(rows.Single(r => r[1] == "ip1[0]")[2], Is.EqualTo("5x6"));
        Assert.That(rows[0], Is.EqualTo(new[] { "loss", "loss", "scalar", "0", "-", "ok" }));
        Assert.That(rows.Skip(1), Has.All.Matches<string[]>(r => r[3] == "0" && r[4] == "0" && r[5] == "ok"));
        Assert.That(stdout, Does.Contain("PASS: 10 tensors, the largest relative difference 0 is within the tolerance 0.0001"));
        Assert.That(stdout, Does.Not.Contain("worst:"));
    }

    [Test]
    public void Float64_UsesTheTighterDefaultTolerance()
    {
        var (code, stdout, stderr) = RunCli("check", "--model", MlpModel, "--candidate", "cpu", "--dtype", "float64", "--phase", "TEST", "--forward-only");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.Contain("(TEST, float64)").And.Contain("tolerance 1E-10").And.Contain(", Forward\n"));
        var rows = CheckOutput.Rows(stdout);
        Assert.That(rows.Select(r => r[1]), Does.Contain("accuracy"));
        Assert.That(rows, Has.All.Matches<string[]>(r => r[4] == "-"), "no diffs forward only");
    }

    [Test]
    public void APerturbedCandidate_ExitsWith1_NamingWhatDiffers()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var options = new CheckOptions(MlpModel, Candidate: ComputeEngine.Cpu, Format: TableFormat.Plain)
        {
            PrepareCandidate = net => ((Net<float>)net).LayerByName("ip1").Blobs[0].MutableCpuData[0] += 0.5f,
        };

        int code = CheckCommand.Run(options, output, error);

        Assert.That(code, Is.EqualTo(ExitCodes.CheckFailed), error.ToString());
        string stdout = output.ToString();
        var rows = CheckOutput.Rows(stdout);
        Assert.That(rows.Single(r => r[1] == "ip1[0]")[5], Is.EqualTo("FAIL"));
        Assert.That(rows.Single(r => r[1] == "data")[5], Is.EqualTo("ok"));
        Assert.That(stdout, Does.Match(@"worst: (blob|param) \S+ (data|diff) at index \d+: reference \S+, candidate \S+, relative \d\.\d\de[-+]\d\d"));
        Assert.That(stdout, Does.Contain("FAIL: ").And.Contain("param ip1[0] ("));
        Assert.That(error.ToString(), Does.StartWith("crema: check failed: ").And.Contain("past the tolerance 0.0001"));
        Assert.That(error.ToString().TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void ALooseEnoughTolerance_Passes()
    {
        var output = new StringWriter();
        var options = new CheckOptions(MlpModel, Tolerance: 1e9, Candidate: ComputeEngine.Cpu, Format: TableFormat.Plain)
        {
            PrepareCandidate = net => ((Net<float>)net).LayerByName("ip2").Blobs[1].MutableCpuData[0] += 0.5f,
        };

        Assert.That(CheckCommand.Run(options, output, new StringWriter()), Is.EqualTo(ExitCodes.Ok));
        Assert.That(output.ToString(), Does.Contain("PASS: "));
    }

    [Test]
    public void Weights_AreLoadedIntoBothNets()
    {
        string weights = Path.Combine(W.Folder, "mlp.caffemodel");
        SeededRandom.SetGlobalSeed(99);
        using (var net = new Net<float>(NetParameter.ParseFile(MlpModel), Phase.Train))
        {
            NetWeights.ToModel(net).Write(weights);
        }

        var (code, stdout, stderr) = RunCli("check", "--model", MlpModel, "--candidate", "cpu", "--weights", weights);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.Contain("PASS: "));
    }

    [Test]
    public void WeightsOfTheWrongShape_ExitWith2()
    {
        string other = Path.Combine(W.Folder, "other.prototxt");
        File.WriteAllText(other, File.ReadAllText(MlpModel).Replace("num_output: 5", "num_output: 7", StringComparison.Ordinal));
        string weights = Path.Combine(W.Folder, "other.caffemodel");
        using (var net = new Net<float>(NetParameter.ParseFile(other), Phase.Train))
        {
            NetWeights.ToModel(net).Write(weights);
        }

        W.AssertBadInput(RunCli("check", "--model", MlpModel, "--candidate", "cpu", "--weights", weights), "layer 'ip1' blob 0");
    }

    [Test]
    public void BadInput_ExitsWith2_BeforeTheGpuIsAskedFor()
    {
        string absent = Path.Combine(W.Folder, "absent.prototxt");
        W.AssertBadInput(RunCli("check", "--model", absent), $"--model {absent}: no such file");

        string malformed = Path.Combine(W.Folder, "bad.prototxt");
        File.WriteAllText(malformed, "layer {\n  name: \"a\" typo: 1\n}\n");
        W.AssertBadInput(RunCli("check", "--model", malformed), $"{malformed}:2:");

        W.AssertBadInput(RunCli("check", "--model", MlpModel, "--weights", Path.Combine(W.Folder, "absent.caffemodel")), "no such file");
        W.AssertBadInput(RunCli("check", "--model", MlpModel, "--tolerance", "-1"), "--tolerance must be a finite number ≥ 0, got -1");
        W.AssertBadInput(RunCli("check", "--model", MlpModel, "--floor", "-0.5"), "--floor must be a finite number ≥ 0, got -0.5");
        W.AssertBadInput(RunCli("check", "--model", MlpModel, "--dtype", "float16"), "float16");
        W.AssertBadInput(RunCli("check", "--model", MlpModel, "--device", "-2"), "--device must be 0 or more, got -2");
        Assert.That(RunCli("check").Code, Is.EqualTo(ExitCodes.BadInput), "--model is required");
    }

    [Test]
    public void AWiringError_ExitsWith2_NamingTheLayer()
    {
        string model = Path.Combine(W.Folder, "wired.prototxt");
        File.WriteAllText(model, File.ReadAllText(MlpModel).Replace("bottom: \"ip1\" top: \"ip2\"", "bottom: \"nowhere\" top: \"ip2\"", StringComparison.Ordinal));
        W.AssertBadInput(RunCli("check", "--model", model, "--candidate", "cpu"), "nowhere");
    }

    [TestCase(0.0, "0")]
    [TestCase(1.234e-5, "1.23e-05")]
    [TestCase(0.5, "5.00e-01")]
    [TestCase(double.PositiveInfinity, "inf")]
    public void Relative_IsPrintedWithThreeSignificantDigits(double value, string expected) =>
        Assert.That(CheckCommand.Relative(value), Is.EqualTo(expected));
}
