using System.Globalization;
using Crema.Cli;
using Crema.Cuda;

using Crema.Tests.IO;

namespace Crema.Tests.Cli;

/// <summary><c>crema train</c> end to end on the CPU engine, in process, with plain output (the writers are not a terminal).</summary>
public class TrainCommandTests
{
    internal const string MlpNet = TestNets.MlpWithTestAccuracy;

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private string folder = null!;

    private string Snapshots => Path.Combine(folder, "snapshots");

    [SetUp]
    public void SetUp()
    {
        Engine.UseCpu();
        folder = Directory.CreateTempSubdirectory("crema-train-").FullName;
    }

    [TearDown]
    public void TearDown()
    {
        Engine.UseCpu();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Writes the net and a solver for it (30 iterations, display 10, tests every 10, snapshots every 10).</summary>
    private string WriteSolver(string extra = "", string? prefix = null, string name = "solver.prototxt", string net = MlpNet)
    {
        string netPath = Path.Combine(folder, "mlp.prototxt");
        File.WriteAllText(netPath, net);
        prefix ??= Path.Combine(Snapshots, "mlp");
        string solver = Path.Combine(folder, name);
        File.WriteAllText(solver, $"""
            net: "{netPath}"
            base_lr: 0.1 momentum: 0.9 weight_decay: 0.0005 lr_policy: "step" gamma: 0.5 stepsize: 10
            max_iter: 30 display: 10 test_iter: 3 test_interval: 10 snapshot: 10
            {(prefix.Length > 0 ? $"snapshot_prefix: \"{prefix}\"" : "")}
            random_seed: 1701
            {extra}
            """);
        return solver;
    }

    internal static (int Code, string Stdout, string Stderr) Run(params string[] args) => LayerCommandWorkspace.RunCli(args);

    private static string[][] Csv(string path) =>
        [.. File.ReadAllLines(path).Select(l => l.Split(','))];

    [Test]
    public void Train_RunsToMaxIter_PrintsPlainProgress_AndWritesCurvesPlotAndSnapshots()
    {
        var (code, stdout, stderr) = Run("train", "--solver", WriteSolver());

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.Not.Contain("\u001b"), "no ANSI escapes when the output is not a terminal");
        Assert.That(stdout, Does.Contain("Training net 'mlp' on the Cpu engine: batch 4 × iter_size 1, iterations 0 to 30"));
        foreach (int i in new[] { 0, 10, 20 })
        {
            Assert.That(stdout, Does.Match($@"(?m)^Iteration {i} of 30: loss [0-9.e+-]+, lr [0-9.e+-]+, \d+ images/s, ETA "));
        }

        Assert.That(stdout, Does.Contain("Iteration 30, Testing net (#0)").And.Contain("    Test net output #0: accuracy = "));
        Assert.That(stdout, Does.Not.Match(@"(?m)^Iteration \d+, loss = "), "the display shows the loss its own way");
        Assert.That(stdout, Does.Contain("Training done").And.Contain("0 → 30 of 30").And.Contain("Optimization Done."));

        string csv = Path.Combine(Snapshots, "mlp_curves.csv");
        string png = Path.Combine(Snapshots, "mlp_curves.png");
        Assert.That(stdout, Does.Contain($"Curves: {csv}").And.Contain($"Plot: {png}"));
        Assert.That(stdout, Does.Contain($"Snapshot: {Path.Combine(Snapshots, "mlp_iter_30.solverstate")}"));

        var rows = Csv(csv);
        Assert.That(rows[0], Is.EqualTo(new[] { "iteration", "loss", "lr", "test_accuracy", "test_loss" }));
        Assert.That(rows.Skip(1).Select(r => r[0]), Is.EqualTo(new[] { "0", "10", "20", "30" }));
        Assert.That(rows.Skip(1).Select(r => r[2]), Is.EqualTo(new[] { "0.1", "0.05", "0.025", "0.0125" }), "the step policy");
        foreach (var row in rows.Skip(1))
        {
            Assert.That(row[1].Length > 0, Is.EqualTo(row[0] != "30"), "the training loss of display iterations (30 is after the last)");
            Assert.That(double.Parse(row[3], CultureInfo.InvariantCulture), Is.InRange(0, 1), "accuracy");
            Assert.That(double.Parse(row[4], CultureInfo.InvariantCulture), Is.GreaterThan(0), "test loss");
        }

        Assert.That(double.Parse(rows[^1][3], CultureInfo.InvariantCulture), Is.EqualTo(1), "every label is class 2: learnt");
        Assert.That(File.ReadAllBytes(png).Take(8), Is.EqualTo(PngSignature));
        Assert.That(new FileInfo(png).Length, Is.GreaterThan(10_000), "a rendered plot, not an empty image");
        foreach (int i in new[] { 10, 20, 30 })
        {
            Assert.That(File.Exists(Path.Combine(Snapshots, $"mlp_iter_{i}.caffemodel")), Is.True, $"weights at {i}");
            Assert.That(File.Exists(Path.Combine(Snapshots, $"mlp_iter_{i}.solverstate")), Is.True, $"state at {i}");
        }

        Assert.That(Directory.GetFiles(Snapshots, "*.tmp"), Is.Empty, "no temporary files left");
    }

    [Test]
    public void Train_TheCsvTestColumns_HoldTheValuesTheSolverLogged()
    {
        var (code, stdout, stderr) = Run("train", "--solver", WriteSolver());
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);

        var logged = stdout.Split('\n')
            .Where(l => l.StartsWith("    Test net output #0: accuracy = ", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(" = ")[1], CultureInfo.InvariantCulture))
            .ToList();
        var rows = Csv(Path.Combine(Snapshots, "mlp_curves.csv")).Skip(1).ToList();
        Assert.That(logged, Has.Count.EqualTo(rows.Count));
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.That(double.Parse(rows[i][3], CultureInfo.InvariantCulture), Is.EqualTo(logged[i]).Within(1e-5), $"row {i}");
        }
    }

    [Test]
    public void Train_ResumedFromASnapshot_EndsWithTheSameWeightsAndCurves_BitForBit()
    {
        string solver = WriteSolver();
        Assert.That(Run("train", "--solver", solver).Code, Is.EqualTo(ExitCodes.Ok));
        byte[] uninterrupted = File.ReadAllBytes(Path.Combine(Snapshots, "mlp_iter_30.caffemodel"));
        string curves = File.ReadAllText(Path.Combine(Snapshots, "mlp_curves.csv"));
        File.Delete(Path.Combine(Snapshots, "mlp_iter_30.caffemodel"));

        string state = Path.Combine(Snapshots, "mlp_iter_10.solverstate");
        var (code, stdout, stderr) = Run("train", "--solver", solver, "--snapshot", state);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.Contain($"Resuming from {state} at iteration 10").And.Contain("iterations 10 to 30"));
        Assert.That(File.ReadAllBytes(Path.Combine(Snapshots, "mlp_iter_30.caffemodel")), Is.EqualTo(uninterrupted));
        Assert.That(File.ReadAllText(Path.Combine(Snapshots, "mlp_curves.csv")), Is.EqualTo(curves), "the earlier rows are kept");
    }

    [Test]
    public void Train_Cancelled_SnapshotsWhereItStopped_Exits130_AndResumesToTheUninterruptedWeights()
    {
        string solver = WriteSolver();
        using var stop = new CancellationTokenSource();
        // Cancels while the progress line of iteration 10 is written (from the solver's AfterIteration hook).
        var output = new CancellingWriter("Iteration 10 of 30:", stop);
        var error = new StringWriter();

        int code = CremaCommandLine.Run(["train", "--solver", solver], output, error, stop.Token);

        string stdout = output.ToString();
        string state = Path.Combine(Snapshots, "mlp_iter_11.solverstate");
        Assert.That(code, Is.EqualTo(ExitCodes.Interrupted), error.ToString());
        Assert.That(error.ToString(), Is.Empty);
        Assert.That(File.Exists(state), Is.True, stdout);
        Assert.That(stdout, Does.Contain("Optimization stopped early.").And.Contain("Training stopped").And.Contain("0 → 11 of 30 (stopped)"));
        Assert.That(stdout, Does.Contain($"Stopped at iteration 11; resume with: crema train --solver {solver} --snapshot {state}"));
        Assert.That(Csv(Path.Combine(Snapshots, "mlp_curves.csv")).Skip(1).Select(r => r[0]), Is.EqualTo(new[] { "0", "10" }));
        Assert.That(File.ReadAllBytes(Path.Combine(Snapshots, "mlp_curves.png")).Take(8), Is.EqualTo(PngSignature));

        var resumed = Run("train", "--solver", solver, "--snapshot", state);
        Assert.That(resumed.Code, Is.EqualTo(ExitCodes.Ok), resumed.Stderr);
        byte[] afterResume = File.ReadAllBytes(Path.Combine(Snapshots, "mlp_iter_30.caffemodel"));

        string other = Path.Combine(folder, "uninterrupted");
        Assert.That(Run("train", "--solver", WriteSolver(prefix: Path.Combine(other, "mlp"), name: "other.prototxt")).Code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(afterResume, Is.EqualTo(File.ReadAllBytes(Path.Combine(other, "mlp_iter_30.caffemodel"))), "bit for bit");
    }

    [Test]
    public void Train_CancelledBeforeTheFirstIteration_SnapshotsIterationZero_AndExits130()
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var output = new StringWriter(CultureInfo.InvariantCulture);

        int code = CremaCommandLine.Run(["train", "--solver", WriteSolver()], output, new StringWriter(), stop.Token);

        Assert.That(code, Is.EqualTo(ExitCodes.Interrupted), output.ToString());
        Assert.That(File.Exists(Path.Combine(Snapshots, "mlp_iter_0.solverstate")), Is.True, output.ToString());
        Assert.That(output.ToString(), Does.Contain("0 → 0 of 30 (stopped)"));
    }

    [Test]
    public void Train_WithWeights_StartsFromThem()
    {
        // Train once, then "train" with a zero learning rate from those weights: the final weights are the same.
        Assert.That(Run("train", "--solver", WriteSolver()).Code, Is.EqualTo(ExitCodes.Ok));
        string trained = Path.Combine(folder, "trained.caffemodel");
        File.Copy(Path.Combine(Snapshots, "mlp_iter_30.caffemodel"), trained);
        string frozen = WriteSolver(prefix: Path.Combine(folder, "frozen", "mlp"), name: "frozen.prototxt");
        File.WriteAllText(frozen, File.ReadAllText(frozen).Replace("base_lr: 0.1", "base_lr: 0", StringComparison.Ordinal));

        var (code, stdout, stderr) = Run("train", "--solver", frozen, "--weights", trained);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.Contain($"Weights from {trained}: 5 layers matched by name"));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "frozen", "mlp_iter_30.caffemodel")), Is.EqualTo(File.ReadAllBytes(trained)));
        Assert.That(Csv(Path.Combine(folder, "frozen", "mlp_curves.csv"))[1][3], Is.EqualTo("1"), "the trained accuracy from iteration 0");
    }

    [Test]
    public void Train_WithoutASnapshotPrefix_WritesTheFinalSnapshotAndCurvesUnderArtifacts_NamedAfterTheSolverFile()
    {
        // Without a prefix the solver file must not ask for periodic snapshots (the solver refuses that).
        string solver = WriteSolver(prefix: "", name: "tiny_solver.prototxt");
        File.WriteAllText(solver, File.ReadAllText(solver).Replace("max_iter: 30", "max_iter: 2", StringComparison.Ordinal)
            .Replace("snapshot: 10", "snapshot: 0", StringComparison.Ordinal));
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = folder;
        try
        {
            var (code, stdout, stderr) = Run("train", "--solver", solver);

            Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
            string artifacts = Path.Combine(folder, "artifacts");
            Assert.That(File.Exists(Path.Combine(artifacts, "tiny_solver_curves.csv")), Is.True, stdout);
            Assert.That(File.Exists(Path.Combine(artifacts, "tiny_solver_curves.png")), Is.True);
            Assert.That(File.Exists(Path.Combine(artifacts, "tiny_solver_iter_2.solverstate")), Is.True);
            Assert.That(stdout, Does.Contain($"Curves: {Path.Combine("artifacts", "tiny_solver_curves.csv")}"), "shown relative to the current folder");
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Test]
    public void Train_DisplayZero_StillRecordsTheLoss_TwentyTimesARun()
    {
        string solver = WriteSolver();
        File.WriteAllText(solver, File.ReadAllText(solver)
            .Replace("max_iter: 30 display: 10", "max_iter: 40 display: 0", StringComparison.Ordinal));

        var (code, stdout, stderr) = Run("train", "--solver", solver);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        var lossRows = Csv(Path.Combine(Snapshots, "mlp_curves.csv")).Skip(1).Where(r => r[1].Length > 0).Select(r => int.Parse(r[0], CultureInfo.InvariantCulture));
        Assert.That(lossRows, Is.EqualTo(Enumerable.Range(0, 20).Select(i => i * 2)));
        Assert.That(stdout, Does.Contain("Iteration 38 of 40: loss "));
    }

    [Test]
    public void GpuEngine_WithoutAGpu_ExitsWith3_WithTheReason()
    {
        if (CudaRuntime.Probe().IsAvailable)
        {
            Assert.Ignore("a GPU is present");
        }

        var (code, stdout, stderr) = Run("train", "--solver", WriteSolver(), "--engine", "gpu");

        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable), stderr);
        Assert.That(stderr, Does.StartWith("crema: GPU unavailable: "));
        Assert.That(stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stdout, Is.Empty);
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu));
    }

    /// <summary>Exit code 2, exactly one <c>crema: </c> line on stderr containing <paramref name="expected"/>, no stack trace, no curves.</summary>
    internal static void AssertBadInput((int Code, string Stdout, string Stderr) result, string expected)
    {
        var (code, stdout, stderr) = result;
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), $"stdout: {stdout}\nstderr: {stderr}");
        Assert.That(stderr, Does.StartWith("crema: ").And.Contain(expected));
        Assert.That(stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), $"one line: {stderr}");
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public void MissingSolverFile_ExitsWith2()
    {
        string solver = Path.Combine(folder, "absent.prototxt");
        AssertBadInput(Run("train", "--solver", solver), $"--solver {solver}: no such file");
    }

    [Test]
    public void SolverIsAFolder_ExitsWith2() =>
        AssertBadInput(Run("train", "--solver", folder), $"--solver {folder}: is a folder, not a solver file");

    [Test]
    public void MalformedSolver_ExitsWith2_WithFileLineAndColumn()
    {
        string solver = Path.Combine(folder, "bad.prototxt");
        File.WriteAllText(solver, "base_lr: 0.1\nmax_iter: ten\n");
        AssertBadInput(Run("train", "--solver", solver), $"{solver}:2:11");
    }

    [Test]
    public void UnknownSolverField_ExitsWith2_WithFileLineAndColumn()
    {
        string solver = Path.Combine(folder, "bad.prototxt");
        File.WriteAllText(solver, "base_lr: 0.1\n  learning_rate: 3\n");
        AssertBadInput(Run("train", "--solver", solver), $"{solver}:2:3");
    }

    [Test]
    public void SolverNamingAMissingNet_ExitsWith2()
    {
        string solver = Path.Combine(folder, "solver.prototxt");
        string net = Path.Combine(folder, "absent_net.prototxt");
        File.WriteAllText(solver, $"net: \"{net}\" base_lr: 0.1 max_iter: 2");
        AssertBadInput(Run("train", "--solver", solver), $"{solver}: net {net}: no such file");
    }

    [Test]
    public void SolverNamingAMissingTestNet_ExitsWith2()
    {
        string solver = WriteSolver();
        string net = Path.Combine(folder, "absent_test.prototxt");
        File.WriteAllText(solver, File.ReadAllText(solver).Replace("test_iter: 3", $"test_net: \"{net}\" test_iter: 3", StringComparison.Ordinal));
        AssertBadInput(Run("train", "--solver", solver), $"{solver}: test_net {net}: no such file");
    }

    [Test]
    public void MalformedNet_ExitsWith2_WithTheNetFileLineAndColumn()
    {
        string solver = WriteSolver(net: "layer { name: \"data\" type: \"DummyData\"\n  top: }");
        AssertBadInput(Run("train", "--solver", solver), $"{Path.Combine(folder, "mlp.prototxt")}:2:");
    }

    [Test]
    public void WiringError_ExitsWith2_NamingTheLayerAndTheBlob()
    {
        string solver = WriteSolver(net: MlpNet.Replace("bottom: \"ip1\" top: \"ip2\"", "bottom: \"nowhere\" top: \"ip2\"", StringComparison.Ordinal));
        var result = Run("train", "--solver", solver);
        AssertBadInput(result, "ip2");
        Assert.That(result.Stderr, Does.Contain("nowhere"));
    }

    [Test]
    public void InvalidSolverValue_ExitsWith2_NamingTheField()
    {
        string solver = WriteSolver(extra: "iter_size: 0");
        AssertBadInput(Run("train", "--solver", solver), "iter_size must be at least 1");
    }

    [Test]
    public void InvalidLabelWhileTraining_ExitsWith2_NamingTheLabel()
    {
        string solver = WriteSolver(net: MlpNet.Replace("type: \"constant\" value: 2", "type: \"constant\" value: 7", StringComparison.Ordinal));
        AssertBadInput(Run("train", "--solver", solver), "label 7");
    }

    [Test]
    public void MissingWeights_ExitsWith2()
    {
        string weights = Path.Combine(folder, "absent.caffemodel");
        AssertBadInput(Run("train", "--solver", WriteSolver(), "--weights", weights), $"--weights {weights}: no such file");
    }

    [Test]
    public void CorruptedWeights_ExitsWith2_NamingTheFile()
    {
        string weights = Path.Combine(folder, "bad.caffemodel");
        File.WriteAllBytes(weights, [0x0a, 0xff, 0xff, 0xff, 0x0f]);
        AssertBadInput(Run("train", "--solver", WriteSolver(), "--weights", weights), weights);
    }

    [Test]
    public void WeightsOfAnotherNet_ExitsWith2_NamingTheLayer()
    {
        Assert.That(Run("train", "--solver", WriteSolver()).Code, Is.EqualTo(ExitCodes.Ok));
        string weights = Path.Combine(Snapshots, "mlp_iter_10.caffemodel");
        string wider = WriteSolver(prefix: Path.Combine(folder, "wider", "mlp"), net: MlpNet.Replace("num_output: 5", "num_output: 7", StringComparison.Ordinal));
        AssertBadInput(Run("train", "--solver", wider, "--weights", weights), "ip1");
    }

    [Test]
    public void MissingSnapshot_ExitsWith2()
    {
        string state = Path.Combine(folder, "absent.solverstate");
        AssertBadInput(Run("train", "--solver", WriteSolver(), "--snapshot", state), $"--snapshot {state}: no such file");
    }

    [Test]
    public void CorruptedSnapshot_ExitsWith2_NamingTheFile()
    {
        string state = Path.Combine(folder, "bad.solverstate");
        File.WriteAllText(state, "not a snapshot at all, but long enough for a header");
        AssertBadInput(Run("train", "--solver", WriteSolver(), "--snapshot", state), $"{state}: not a Crema snapshot");
    }

    [Test]
    public void SnapshotOfAnotherNet_ExitsWith2()
    {
        Assert.That(Run("train", "--solver", WriteSolver()).Code, Is.EqualTo(ExitCodes.Ok));
        string state = Path.Combine(Snapshots, "mlp_iter_10.solverstate");
        string wider = WriteSolver(prefix: Path.Combine(folder, "wider", "mlp"), net: MlpNet.Replace("num_output: 5", "num_output: 7", StringComparison.Ordinal));
        AssertBadInput(Run("train", "--solver", wider, "--snapshot", state), "shape mismatch for layer 'ip1'");
    }

    [Test]
    public void WeightsAndSnapshotTogether_ExitWith2()
    {
        AssertBadInput(
            Run("train", "--solver", WriteSolver(), "--weights", "a.caffemodel", "--snapshot", "b.solverstate"),
            "give --snapshot to resume training or --weights to fine-tune, not both");
    }

    [Test]
    public void MissingDataFolder_ExitsWith2()
    {
        string data = Path.Combine(folder, "no-data");
        AssertBadInput(Run("train", "--solver", WriteSolver(), "--data", data), $"--data {data}: no such folder");
    }

    [Test]
    public void DataFolder_IsWhereTheDataLayersReadRelativePaths_ForThisCommandOnly()
    {
        // Eight 2×2 "images" and their labels under a folder given only by --data.
        string data = Path.Combine(folder, "idx");
        Directory.CreateDirectory(data);
        IdxBytes.Write(data, "images.idx", IdxBytes.UByteFile([8, 2, 2], [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))]));
        IdxBytes.Write(data, "labels.idx", IdxBytes.UByteFile([8], [0, 1, 2, 0, 1, 2, 0, 1]));
        const string idxNet = """
            name: "idx"
            layer { name: "data" type: "IdxData" top: "data" top: "label"
                    idx_data_param { images: "images.idx" labels: "labels.idx" batch_size: 4 }
                    transform_param { scale: 0.00390625 } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                    inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """;
        string solver = WriteSolver(net: idxNet);
        File.WriteAllText(solver, File.ReadAllText(solver).Replace("test_iter: 3 test_interval: 10", "", StringComparison.Ordinal));
        var before = Crema.IO.DataLocation.Root;

        var (code, _, stderr) = Run("train", "--solver", solver, "--data", data);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(Crema.IO.DataLocation.Root, Is.EqualTo(before), "the data root is restored after the command");
        AssertBadInput(Run("train", "--solver", solver, "--data", folder), "images.idx");
    }

    [Test]
    public void SnapshotPrefixUnderAFile_ExitsWith2_BeforeTraining()
    {
        string file = Path.Combine(folder, "a-file");
        File.WriteAllText(file, "");
        var result = Run("train", "--solver", WriteSolver(prefix: Path.Combine(file, "mlp")));
        AssertBadInput(result, "snapshot_prefix: cannot create the folder");
        Assert.That(result.Stdout, Is.Empty, "nothing trained");
    }

    [Test]
    public void SnapshotThatCannotBeWritten_ExitsWith2_SayingWhere()
    {
        // A folder where the first snapshot's weights file would go.
        Directory.CreateDirectory(Path.Combine(Snapshots, "mlp_iter_10.caffemodel"));
        var result = Run("train", "--solver", WriteSolver());
        AssertBadInput(result, "training stopped at iteration 10: ");
        Assert.That(result.Stderr, Does.Contain("mlp_iter_10.caffemodel"));
    }

    [TestCase("--engine", "tpu")]
    [TestCase("--bogus", "1")]
    public void BadOption_ExitsWith2(string option, string value)
    {
        var (code, _, stderr) = Run("train", "--solver", WriteSolver(), option, value);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.StartWith("crema: "));
    }

    [Test]
    public void NoSolver_ExitsWith2()
    {
        var (code, _, stderr) = Run("train");
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.StartWith("crema: ").And.Contain("--solver"));
    }

    /// <summary>A writer that cancels <paramref name="stop"/> when a line starting with <paramref name="trigger"/> is written.</summary>
    private sealed class CancellingWriter(string trigger, CancellationTokenSource stop) : StringWriter(CultureInfo.InvariantCulture)
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.StartsWith(trigger, StringComparison.Ordinal))
            {
                stop.Cancel();
            }
        }
    }
}
