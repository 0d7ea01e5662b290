using System.Globalization;
using Crema.Cli;

using static Crema.Tests.Cli.TrainCommandTests;

namespace Crema.Tests.Cli;

/// <summary>
/// <c>crema train --engine gpu</c> where a GPU is present: the same curve rows as the CPU engine with close values, and
/// Ctrl+C's snapshot and exit code. Skipped with the reason elsewhere; the CPU fixture then checks exit code 3.
/// </summary>
public class TrainCommandGpuTests : GpuTestBase
{
    private string folder = null!;

    [SetUp]
    public void SetUp() => folder = Directory.CreateTempSubdirectory("crema-train-gpu-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(folder, recursive: true);

    private string WriteSolver(string engine)
    {
        string net = Path.Combine(folder, "mlp.prototxt");
        File.WriteAllText(net, MlpNet);
        string solver = Path.Combine(folder, $"{engine}.prototxt");
        File.WriteAllText(solver, $"""
            net: "{net}" base_lr: 0.1 momentum: 0.9 lr_policy: "step" gamma: 0.5 stepsize: 10
            max_iter: 30 display: 10 test_iter: 3 test_interval: 10 snapshot: 10
            snapshot_prefix: "{Path.Combine(folder, engine, "mlp")}" random_seed: 1701
            """);
        return solver;
    }

    private string[][] Csv(string engine) =>
        [.. File.ReadAllLines(Path.Combine(folder, engine, "mlp_curves.csv")).Skip(1).Select(l => l.Split(','))];

    [Test]
    public void Train_OnTheGpu_RecordsTheRowsTheCpuRecords_WithCloseValues()
    {
        var cpu = Run("train", "--solver", WriteSolver("cpu"), "--engine", "cpu");
        var gpu = Run("train", "--solver", WriteSolver("gpu"), "--engine", "gpu");

        Assert.That(cpu.Code, Is.EqualTo(ExitCodes.Ok), cpu.Stderr);
        Assert.That(gpu.Code, Is.EqualTo(ExitCodes.Ok), gpu.Stderr);
        Assert.That(gpu.Stdout, Does.Contain("on the Gpu engine"));
        var cpuRows = Csv("cpu");
        var gpuRows = Csv("gpu");
        Assert.That(gpuRows.Select(r => r[0]), Is.EqualTo(cpuRows.Select(r => r[0])), "the same iterations");
        for (int i = 0; i < cpuRows.Length; i++)
        {
            for (int c = 1; c < cpuRows[i].Length; c++)
            {
                Assert.That(gpuRows[i][c].Length > 0, Is.EqualTo(cpuRows[i][c].Length > 0), $"row {i} column {c}: the same cells filled");
                if (cpuRows[i][c].Length > 0)
                {
                    double expected = double.Parse(cpuRows[i][c], CultureInfo.InvariantCulture);
                    Assert.That(double.Parse(gpuRows[i][c], CultureInfo.InvariantCulture), Is.EqualTo(expected).Within(1e-3 + (1e-2 * Math.Abs(expected))), $"row {i} column {c}");
                }
            }
        }

        Assert.That(File.Exists(Path.Combine(folder, "gpu", "mlp_iter_30.caffemodel")), Is.True);
    }

    [Test]
    public void Train_OnTheGpu_Cancelled_SnapshotsAndExits130()
    {
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        stop.CancelAfter(TimeSpan.Zero);

        int code = CremaCommandLine.Run(["train", "--solver", WriteSolver("gpu"), "--engine", "gpu"], output, new StringWriter(), stop.Token);

        Assert.That(code, Is.EqualTo(ExitCodes.Interrupted), output.ToString());
        Assert.That(File.Exists(Path.Combine(folder, "gpu", "mlp_iter_0.solverstate")), Is.True, "stopped before the first iteration: the state of iteration 0");
    }
}
