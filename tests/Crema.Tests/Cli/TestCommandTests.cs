using System.Globalization;
using Crema.Cli;
using Crema.Cuda;
using Crema.Fillers;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;

using static Crema.Tests.Cli.TrainCommandTests;

namespace Crema.Tests.Cli;

/// <summary><c>crema test</c> end to end on the CPU engine, in process.</summary>
public class TestCommandTests
{
    private string folder = null!;
    private string model = null!;
    private string weights = null!;

    [SetUp]
    public void SetUp()
    {
        Engine.UseCpu();
        folder = Directory.CreateTempSubdirectory("crema-test-").FullName;
        model = Path.Combine(folder, "mlp.prototxt");
        File.WriteAllText(model, MlpNet);

        // Weights: the TRAIN net's fillers' (untrained, so that the accuracy varies from pass to pass).
        SeededRandom.SetGlobalSeed(1701);
        using var net = new Net<float>(NetParameter.Parse(MlpNet), Phase.Train);
        weights = Path.Combine(folder, "mlp.caffemodel");
        NetWeights.ToModel(net).Write(weights);
    }

    [TearDown]
    public void TearDown()
    {
        Engine.UseCpu();
        Directory.Delete(folder, recursive: true);
    }

    private static (int Code, string Stdout, string Stderr) RunTest(params string[] args) => Run(["test", .. args]);

    private static double Value(string stdout, string prefix)
    {
        string line = stdout.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return double.Parse(line[prefix.Length..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [Test]
    public void Test_PrintsEachOutputsMean_InCaffesFormat_EqualToADirectComputation()
    {
        const int iterations = 7;
        SeededRandom.SetGlobalSeed(23);
        var (code, stdout, stderr) = RunTest("--model", model, "--weights", weights, "--iterations", iterations.ToString(CultureInfo.InvariantCulture));

        // The same passes by hand: the TEST net from the same generator state, the weights, the outputs averaged.
        SeededRandom.SetGlobalSeed(23);
        using var net = new Net<float>(NetParameter.Parse(MlpNet), Phase.Test);
        NetWeights.CopyFrom(net, weights);
        double accuracy = 0, loss = 0;
        for (int i = 0; i < iterations; i++)
        {
            net.Forward();
            accuracy += net.BlobByName("accuracy").CpuData[0];
            loss += net.BlobByName("loss").CpuData[0];
        }

        accuracy /= iterations;
        loss /= iterations;

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.StartWith($"Tested net 'mlp' with {weights}: 7 iterations on the Cpu engine"));
        Assert.That(Value(stdout, "accuracy = "), Is.EqualTo(accuracy).Within(1e-5 * Math.Max(1, accuracy)));
        Assert.That(Value(stdout, "loss = "), Is.EqualTo(loss).Within(1e-5 * loss));
        Assert.That(Value(stdout, "Loss: "), Is.EqualTo(loss).Within(1e-5 * loss));
        Assert.That(stdout, Does.Match(@"(?m)^loss = (\S+) \(\* 1 = \1 loss\)$"), "the loss weight, as Caffe prints it");
        Assert.That(stdout, Does.Match(@"(?m)^accuracy = \S+$"), "no loss weight on the accuracy");
        Assert.That(accuracy, Is.Not.EqualTo(0).And.Not.EqualTo(1), "a mean over passes, not one pass's value");
    }

    [Test]
    public void Test_AfterTrain_ScoresTheSnapshotsWeights()
    {
        string solver = Path.Combine(folder, "solver.prototxt");
        string prefix = Path.Combine(folder, "snapshots", "mlp");
        File.WriteAllText(solver, $"net: \"{model}\" base_lr: 0.1 momentum: 0.9 max_iter: 40 snapshot_prefix: \"{prefix}\" random_seed: 5");
        Assert.That(Run("train", "--solver", solver).Code, Is.EqualTo(ExitCodes.Ok));

        var (code, stdout, stderr) = RunTest("--model", model, "--weights", prefix + "_iter_40.caffemodel", "--iterations", "5");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(Value(stdout, "accuracy = "), Is.EqualTo(1), "every label is class 2");
    }

    [Test]
    public void MissingModel_ExitsWith2()
    {
        string absent = Path.Combine(folder, "absent.prototxt");
        AssertBadInput(RunTest("--model", absent, "--weights", weights), $"--model {absent}: no such file");
    }

    [Test]
    public void MissingWeights_ExitsWith2()
    {
        string absent = Path.Combine(folder, "absent.caffemodel");
        AssertBadInput(RunTest("--model", model, "--weights", absent), $"--weights {absent}: no such file");
    }

    [Test]
    public void MalformedModel_ExitsWith2_WithFileLineAndColumn()
    {
        File.WriteAllText(model, "name: \"x\"\nlayer { name: }");
        AssertBadInput(RunTest("--model", model, "--weights", weights), $"{model}:2:");
    }

    [Test]
    public void WiringError_ExitsWith2_NamingTheLayerAndTheBlob()
    {
        File.WriteAllText(model, MlpNet.Replace("bottom: \"ip2\" bottom: \"label\" top: \"accuracy\"", "bottom: \"ip9\" bottom: \"label\" top: \"accuracy\"", StringComparison.Ordinal));
        var result = RunTest("--model", model, "--weights", weights);
        AssertBadInput(result, "accuracy");
        Assert.That(result.Stderr, Does.Contain("ip9"));
    }

    [Test]
    public void WeightsOfAnotherNet_ExitsWith2_NamingTheLayer()
    {
        File.WriteAllText(model, MlpNet.Replace("num_output: 3", "num_output: 4", StringComparison.Ordinal));
        AssertBadInput(RunTest("--model", model, "--weights", weights), "ip2");
    }

    [TestCase("0")]
    [TestCase("-3")]
    public void NonPositiveIterations_ExitWith2(string iterations) =>
        AssertBadInput(RunTest("--model", model, "--weights", weights, "--iterations", iterations), $"--iterations must be at least 1, got {iterations}");

    [Test]
    public void NoWeightsOption_ExitsWith2()
    {
        var (code, _, stderr) = RunTest("--model", model);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.StartWith("crema: ").And.Contain("--weights"));
    }

    [Test]
    public void GpuEngine_WithoutAGpu_ExitsWith3_WithTheReason()
    {
        if (CudaRuntime.Probe().IsAvailable)
        {
            Assert.Ignore("a GPU is present");
        }

        var (code, stdout, stderr) = RunTest("--model", model, "--weights", weights, "--engine", "gpu");

        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable), stderr);
        Assert.That(stderr, Does.StartWith("crema: GPU unavailable: "));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void MissingDataFolder_ExitsWith2()
    {
        string data = Path.Combine(folder, "absent");
        AssertBadInput(RunTest("--model", model, "--weights", weights, "--data", data), $"--data {data}: no such folder");
    }
}
