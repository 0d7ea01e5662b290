using Crema.Parameters;
using Crema.Solvers;

namespace Crema.Tests.Solvers;

/// <summary>The solver's hooks for whoever drives it (crema train): AfterIteration and cancellation of Step and Solve.</summary>
public class SolverHooksTests
{
    // A small classifier on random data (DummyData), with an accuracy in the TEST phase.
    private const string Net = """
        name: "hooks"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { data_filler { type: "gaussian" std: 1 } shape { dim: 4 dim: 6 }
                                   data_filler { type: "constant" value: 1 } shape { dim: 4 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" include { phase: TEST } }
        """;

    private string folder = null!;

    [SetUp]
    public void SetUp()
    {
        Engine.UseCpu();
        folder = Directory.CreateTempSubdirectory("crema-hooks-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(folder, recursive: true);

    private SgdSolver<float> CreateSolver(string extra = "", bool prefix = true)
    {
        string text = $"net_param {{ {Net} }} base_lr: 0.1 momentum: 0.9 max_iter: 10 test_iter: 2 test_interval: 4 random_seed: 3 {extra}";
        var param = SolverParameter.Parse(text);
        if (prefix)
        {
            param.SnapshotPrefix = Path.Combine(folder, "hooks");
        }

        return new SgdSolver<float>(param);
    }

    [Test]
    public void AfterIteration_IsCalledOncePerIteration_WithCaffesNumber_AfterTheUpdate_AndSeesThatIterationsTest()
    {
        using var solver = CreateSolver();
        var seen = new List<(int Iteration, int Iter, int? Tested)>();
        solver.AfterIteration.Add(i => seen.Add((i, solver.Iter, solver.LastTestResults.Count > 0 ? solver.LastTestResults[0].Iteration : null)));

        solver.Step(6);

        Assert.That(seen.Select(s => s.Iteration), Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5 }));
        Assert.That(seen.Select(s => s.Iter), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }), "called after the update: Iter is one more");
        Assert.That(seen.Select(s => s.Tested), Is.EqualTo(new int?[] { 0, 0, 0, 0, 4, 4 }), "the test of iteration 4 ran at its start");
    }

    [Test]
    public void Step_WithACancelledToken_RunsNothing()
    {
        using var solver = CreateSolver();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        solver.Step(5, cancelled.Token);

        Assert.That(solver.Iter, Is.Zero);
    }

    [Test]
    public void Step_CancelledDuringAnIteration_FinishesIt_AndStopsBeforeTheNext()
    {
        using var solver = CreateSolver();
        using var stop = new CancellationTokenSource();
        solver.AfterIteration.Add(i =>
        {
            if (i == 2)
            {
                stop.Cancel();
            }
        });

        solver.Step(8, stop.Token);

        Assert.That(solver.Iter, Is.EqualTo(3));
    }

    [Test]
    public void Solve_Cancelled_SnapshotsWhereItStopped_AndTheResumedRunEndsAsAnUninterruptedOne()
    {
        float[][] expected;
        using (var uninterrupted = CreateSolver("snapshot_after_train: false"))
        {
            uninterrupted.Solve();
            expected = [.. uninterrupted.Net.LearnableParams.Select(p => p.CpuData.ToArray())];
        }

        string state;
        using (var stopped = CreateSolver("snapshot_after_train: false"))
        {
            using var stop = new CancellationTokenSource();
            stopped.AfterIteration.Add(i =>
            {
                if (i == 5)
                {
                    stop.Cancel();
                }
            });

            stopped.Solve(cancellationToken: stop.Token);

            Assert.That(stopped.Iter, Is.EqualTo(6));
            state = Path.Combine(folder, "hooks_iter_6.solverstate");
            Assert.That(File.Exists(state), Is.True, "snapshotted although snapshot_after_train is false");
            Assert.That(File.Exists(Path.Combine(folder, "hooks_iter_6.caffemodel")), Is.True);
        }

        using var resumed = CreateSolver("snapshot_after_train: false");
        resumed.Solve(state);

        Assert.That(resumed.Iter, Is.EqualTo(10));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(resumed.Net.LearnableParams[i].CpuData.ToArray(), Is.EqualTo(expected[i]), $"param {i}, bit for bit");
        }
    }

    [Test]
    public void Solve_CancelledRightAfterAPeriodicSnapshot_DoesNotWriteItAgain_AndLogsTheEarlyStop()
    {
        var logger = new ListLogger();
        string prefix = Path.Combine(folder, "hooks");
        var param = SolverParameter.Parse($"net_param {{ {Net} }} base_lr: 0.1 max_iter: 10 snapshot: 4 snapshot_prefix: \"{prefix}\" random_seed: 3");
        using var solver = new SgdSolver<float>(param, logger);
        using var stop = new CancellationTokenSource();
        solver.AfterIteration.Add(i =>
        {
            if (i == 3)
            {
                stop.Cancel();
            }
        });

        solver.Solve(cancellationToken: stop.Token);

        Assert.That(solver.Iter, Is.EqualTo(4));
        Assert.That(logger.Lines.Count(l => l.EndsWith("hooks_iter_4.solverstate", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(logger.Lines[^1], Is.EqualTo("Optimization stopped early."));
        Assert.That(logger.Lines, Has.None.EqualTo("Optimization Done."));
    }

    [Test]
    public void Solve_CancelledWithoutASnapshotPrefix_WritesNothing()
    {
        using var solver = CreateSolver(prefix: false);
        using var stop = new CancellationTokenSource();
        solver.AfterIteration.Add(_ => stop.Cancel());

        solver.Solve(cancellationToken: stop.Token);

        Assert.That(solver.Iter, Is.EqualTo(1));
        Assert.That(Directory.GetFiles(folder), Is.Empty);
    }

    [Test]
    public void Solve_CancelledAfterTheLastIteration_EndsNormally()
    {
        var logger = new ListLogger();
        var param = SolverParameter.Parse($"net_param {{ {Net} }} base_lr: 0.1 max_iter: 3 random_seed: 3");
        using var solver = new SgdSolver<float>(param, logger);
        using var stop = new CancellationTokenSource();
        solver.AfterIteration.Add(i =>
        {
            if (i == 2)
            {
                stop.Cancel();
            }
        });

        solver.Solve(cancellationToken: stop.Token);

        Assert.That(solver.Iter, Is.EqualTo(3));
        Assert.That(logger.Lines[^1], Is.EqualTo("Optimization Done."));
    }
}
