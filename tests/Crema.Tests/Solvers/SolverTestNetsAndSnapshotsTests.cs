using System.Globalization;
using Crema.Fillers;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;
using Crema.Solvers;

namespace Crema.Tests.Solvers;

/// <summary>
/// The solver's test nets (built in the TEST phase, sharing the trained weights, run every test_interval and averaged
/// over test_iter passes) and its periodic snapshots (.caffemodel + .solverstate every snapshot iterations and after
/// training, resumable bitwise, random data layers included).
/// </summary>
public class SolverTestNetsAndSnapshotsTests
{
    // Random data refilled on every pass (so passes differ), class 1 everywhere, an MLP, the loss, and an accuracy
    // only in TEST.
    private const string RandomMlp = """
        name: "random-mlp"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { data_filler { type: "gaussian" std: 1 } shape { dim: 8 dim: 5 }
                                   data_filler { type: "constant" value: 1 } shape { dim: 8 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 6 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy" include { phase: TEST } }
        """;

    private string folder = null!;

    [SetUp]
    public void SetUp()
    {
        Engine.UseCpu();
        folder = Directory.CreateTempSubdirectory("crema-solver-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(folder, recursive: true);

    private static SolverParameter Solver(string extra = "") => SolverParameter.Parse($$"""
        net_param { {{RandomMlp}} }
        base_lr: 0.1 momentum: 0.9 weight_decay: 0.001 lr_policy: "step" gamma: 0.5 stepsize: 3
        max_iter: 5 random_seed: 11
        {{extra}}
        """);

    [Test]
    public void TheGenericTestNet_IsBuiltInTheTestPhase_AndUsesTheTrainedWeights()
    {
        using var solver = new SgdSolver<double>(Solver("test_iter: 2 test_interval: 2"));

        Assert.That(solver.TestNets, Has.Count.EqualTo(1));
        var test = solver.TestNets[0];
        Assert.That(test.Phase, Is.EqualTo(Phase.Test));
        Assert.That(test.HasLayer("accuracy"), Is.True);
        Assert.That(solver.Net.HasLayer("accuracy"), Is.False);
        foreach (string layer in new[] { "ip1", "ip2" })
        {
            for (int p = 0; p < 2; p++)
            {
                Assert.That(test.LayerByName(layer).Blobs[p].Data, Is.SameAs(solver.Net.LayerByName(layer).Blobs[p].Data), $"{layer} param {p}");
            }
        }

        var before = solver.Test(0)["loss"];
        solver.Step(2);
        Assert.That(test.LayerByName("ip2").Blobs[0].GetData(), Is.EqualTo(solver.Net.LayerByName("ip2").Blobs[0].GetData()));
        Assert.That(solver.Test(0)["loss"], Is.Not.EqualTo(before), "the test net sees the updated weights");
    }

    [Test]
    public void Test_AveragesEveryOutputOverThePasses_InCaffesOrder_WithTheLoss()
    {
        var logger = new ListLogger();
        using var solver = new SgdSolver<double>(Solver("test_iter: 3 test_interval: 100 test_compute_loss: true"), logger);
        var test = solver.TestNets[0];
        var seen = new List<(double Accuracy, double Loss)>();
        int last = test.Layers.Count - 1;
        test.AfterForward.Add(i =>
        {
            if (i == last)
            {
                seen.Add((test.BlobByName("accuracy").GetData()[0], test.BlobByName("loss").GetData()[0]));
            }
        });

        var result = solver.Test(0);

        Assert.That(seen, Has.Count.EqualTo(3));
        Assert.That(seen.Select(s => s.Loss).Distinct().Count(), Is.EqualTo(3), "random data: each pass differs");
        Assert.That(result.Passes, Is.EqualTo(3));
        Assert.That(result.Scores.Select(s => s.BlobName), Is.EqualTo(new[] { "accuracy", "loss" }), "outputs in name order, as Caffe");
        Assert.That(result["accuracy"], Is.EqualTo(seen.Average(s => s.Accuracy)).Within(1e-12));
        Assert.That(result["loss"], Is.EqualTo(seen.Average(s => s.Loss)).Within(1e-12));
        Assert.That(result.Loss, Is.EqualTo(seen.Average(s => s.Loss)).Within(1e-12), "test_compute_loss: the weighted loss");
        Assert.That(result.Scores.Select(s => s.LossWeight), Is.EqualTo(new[] { 0.0, 1.0 }));
        Assert.That(() => result["nope"], Throws.TypeOf<KeyNotFoundException>().With.Message.Contains("accuracy, loss"));

        string Number(double v) => Net<double>.Number(v);
        Assert.That(logger.Lines, Is.EqualTo(new[]
        {
            "Iteration 0, Testing net (#0)",
            $"Test loss: {Number(result.Loss!.Value)}",
            $"    Test net output #0: accuracy = {Number(result["accuracy"])}",
            $"    Test net output #1: loss = {Number(result["loss"])} (* 1 = {Number(result["loss"])} loss)",
        }));
    }

    [TestCase(true, new[] { 0, 2, 4, 5 })]
    [TestCase(false, new[] { 2, 4, 5 })]
    public void Solve_TestsEveryTestInterval_AtZeroOnlyWithTestInitialization_AndAfterTheLastIteration(bool initialization, int[] expected)
    {
        // max_iter 5 is not a multiple of the interval, so the test after training is Caffe's final one only when it is:
        // use an interval of 1 for that case and check the interval-2 schedule within Step.
        var logger = new ListLogger();
        using (var solver = new SgdSolver<float>(Solver($"test_iter: 1 test_interval: 2 test_initialization: {(initialization ? "true" : "false")}"), logger))
        {
            solver.Step(5);
            Assert.That(TestedAt(logger), Is.EqualTo(expected.Where(i => i < 5)));
        }

        logger.Lines.Clear();
        using (var solver = new SgdSolver<float>(Solver($"test_iter: 1 test_interval: 5 test_initialization: {(initialization ? "true" : "false")}"), logger))
        {
            solver.Solve();
            Assert.That(TestedAt(logger), Is.EqualTo(initialization ? new[] { 0, 5 } : new[] { 5 }));
            Assert.That(solver.LastTestResults.Single().Iteration, Is.EqualTo(5));
            Assert.That(logger.Lines[^1], Is.EqualTo("Optimization Done."));
        }

        static int[] TestedAt(ListLogger logger) =>
        [
            .. logger.Lines.Where(l => l.EndsWith(", Testing net (#0)", StringComparison.Ordinal))
                .Select(l => int.Parse(l["Iteration ".Length..l.IndexOf(',', StringComparison.Ordinal)], CultureInfo.InvariantCulture)),
        ];
    }

    [Test]
    public void ExplicitTestNets_ComeFirst_ThenTheGenericOnes()
    {
        string onlyLoss = RandomMlp.Replace("include { phase: TEST }", "include { phase: TRAIN }", StringComparison.Ordinal);
        string file = Path.Combine(folder, "test.prototxt");
        File.WriteAllText(file, RandomMlp);
        var param = Solver($$"""test_net_param { {{onlyLoss}} } test_net: "{{file}}" test_iter: 1 test_iter: 2 test_iter: 3 test_interval: 10""");
        using var solver = new SgdSolver<double>(param);

        Assert.That(solver.TestNets, Has.Count.EqualTo(3));
        Assert.That(solver.TestNets.Select(n => n.HasLayer("accuracy")), Is.EqualTo(new[] { false, true, true }));
        Assert.That(solver.TestAll().Select(r => r.Passes), Is.EqualTo(new[] { 1, 2, 3 }));
    }

    [TestCase("test_iter: 2", "test_interval", "test_interval is 0")]
    [TestCase("test_iter: 1 test_interval: 5 snapshot: 2", "snapshot_prefix", "snapshot_prefix is empty")]
    public void BadTestOrSnapshotSettings_AreRefusedNamingTheField(string extra, string field, string message)
    {
        var ex = Assert.Throws<TextFormatException>(() => Solver(extra));
        Assert.That(ex!.Message, Does.Contain(field).Or.Contain(message));
        Assert.That(ex.Message, Does.Contain(message));
    }

    [Test]
    public void TestIterCount_MustMatchTheTestNets_WhenNoNetMakesUpTheRest()
    {
        var ex = Assert.Throws<TextFormatException>(() => SolverParameter.Parse($$"""
            test_net_param { {{RandomMlp}} } test_iter: 1 test_iter: 1 test_interval: 2 base_lr: 0.1
            """));
        Assert.That(ex!.Message, Does.Contain("test_iter is given 2 times for 1 test nets"));
    }

    [Test]
    public void ShareTrainedLayersWith_RefusesAParamOfAnotherShape_NamingTheLayer()
    {
        SeededRandom.SetGlobalSeed(1);
        using var train = new Net<double>(NetParameter.Parse(RandomMlp), Phase.Train);
        using var other = new Net<double>(NetParameter.Parse(RandomMlp.Replace("num_output: 6", "num_output: 7", StringComparison.Ordinal)), Phase.Test);
        var before = other.LayerByName("ip2").Blobs[0].Data;

        var ex = Assert.Throws<ArgumentException>(() => other.ShareTrainedLayersWith(train));

        Assert.That(ex!.Message, Does.Contain("layer 'ip1' param 0 has shape 7 5 (35) here but 6 5 (30)"));
        Assert.That(other.LayerByName("ip2").Blobs[0].Data, Is.SameAs(before), "nothing is shared after a refusal");
    }

    [Test]
    public void PeriodicSnapshots_WriteWeightsAndState_AndResumingFinishesBitwiseLikeTheUninterruptedRun()
    {
        string prefix = Path.Combine(folder, "runs", "mlp");
        var logger = new ListLogger();
        double[][] finalWeights;
        using (var solver = new SgdSolver<double>(Solver($"snapshot: 2 snapshot_prefix: \"{prefix}\" average_loss: 2"), logger))
        {
            solver.Solve();
            finalWeights = [.. solver.Net.LearnableParams.Select(p => p.GetData())];

            // The last .caffemodel holds the final weights, as crema net --weights reads them.
            using var reader = new Net<double>(NetParameter.Parse(RandomMlp), Phase.Test);
            Assert.That(NetWeights.CopyFrom(reader, prefix + "_iter_5.caffemodel"), Is.EqualTo(5), "every train layer (accuracy is TEST only)");
            Assert.That(reader.LayerByName("ip2").Blobs[0].GetData(), Is.EqualTo(solver.Net.LayerByName("ip2").Blobs[0].GetData()));
        }

        string[] written = [.. Directory.GetFiles(Path.Combine(folder, "runs")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.That(written, Is.EqualTo(new[]
        {
            "mlp_iter_2.caffemodel", "mlp_iter_2.solverstate", "mlp_iter_4.caffemodel", "mlp_iter_4.solverstate",
            "mlp_iter_5.caffemodel", "mlp_iter_5.solverstate",
        }));
        Assert.That(logger.Lines, Has.Some.EqualTo($"Snapshotting solver state to binary proto file {prefix}_iter_4.solverstate"));

        // A fresh solver (other seed, so other initial weights and another data sequence) resumed from iteration 2
        // must end bitwise where the uninterrupted run ended: weights, history, and the random data that followed.
        using var resumed = new SgdSolver<double>(Solver($"snapshot_prefix: \"{Path.Combine(folder, "again")}\" average_loss: 2").WithSeed(12345));
        resumed.Solve(prefix + "_iter_2.solverstate");
        Assert.That(resumed.Iter, Is.EqualTo(5));
        for (int i = 0; i < finalWeights.Length; i++)
        {
            Assert.That(
                resumed.Net.LearnableParams[i].GetData().Select(BitConverter.DoubleToInt64Bits),
                Is.EqualTo(finalWeights[i].Select(BitConverter.DoubleToInt64Bits)),
                $"param {i}");
        }
    }

    [Test]
    public void ResumingWithALargerMaxIter_TrainsOnToTheNewEnd()
    {
        string prefix = Path.Combine(folder, "short");
        using (var first = new SgdSolver<double>(Solver($"snapshot_prefix: \"{prefix}\"")))
        {
            first.Solve();
            Assert.That(first.Iter, Is.EqualTo(5));
        }

        var longer = Solver($"snapshot_prefix: \"{Path.Combine(folder, "long")}\"");
        longer.MaxIter = 8;
        using var resumed = new SgdSolver<double>(longer);
        resumed.Solve(prefix + "_iter_5.solverstate");

        Assert.That(resumed.Iter, Is.EqualTo(8));
        Assert.That(resumed.Param.MaxIter, Is.EqualTo(8));
        Assert.That(File.Exists(Path.Combine(folder, "long_iter_8.solverstate")), Is.True);
    }

    [Test]
    public void SnapshotAfterTrainFalse_WritesOnlyThePeriodicSnapshots()
    {
        string prefix = Path.Combine(folder, "p");
        using var solver = new SgdSolver<float>(Solver($"snapshot: 2 snapshot_prefix: \"{prefix}\" snapshot_after_train: false"));
        solver.Solve();
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal), Is.EqualTo(new[]
        {
            "p_iter_2.caffemodel", "p_iter_2.solverstate", "p_iter_4.caffemodel", "p_iter_4.solverstate",
        }));
    }

    [Test]
    public void SnapshotWithoutAPrefix_IsRefused()
    {
        using var solver = new SgdSolver<float>(Solver());
        Assert.That(() => solver.Snapshot(), Throws.InvalidOperationException.With.Message.Contains("snapshot_prefix is empty"));
        solver.Solve();
        Assert.That(Directory.GetFiles(folder), Is.Empty, "no prefix: nothing is written after training");
    }

    [Test]
    public void SeededRandomState_ContinuesTheSequence_IncludingAKeptGaussian()
    {
        var a = new SeededRandom(42);
        _ = a.NextGaussian(0, 1); // leaves the second Box-Muller value waiting
        var state = a.State;
        Assert.That(state.SpareGaussian, Is.Not.Null);
        var b = SeededRandom.FromState(state);
        for (int i = 0; i < 5; i++)
        {
            Assert.That(b.NextGaussian(0, 1), Is.EqualTo(a.NextGaussian(0, 1)));
            Assert.That(b.NextUInt64(), Is.EqualTo(a.NextUInt64()));
        }

        Assert.That(() => SeededRandom.FromState(default), Throws.ArgumentException.With.Message.Contains("all zero"));
    }
}

/// <summary>Helpers for building solver parameters in these tests.</summary>
internal static class SolverParameterTestExtensions
{
    /// <summary>The same parameters with another <c>random_seed</c>.</summary>
    public static SolverParameter WithSeed(this SolverParameter param, long seed)
    {
        var copy = param.Clone();
        copy.RandomSeed = seed;
        return copy;
    }
}
