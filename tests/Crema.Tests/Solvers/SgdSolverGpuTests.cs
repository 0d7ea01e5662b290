using System.Numerics;
using Crema.Blas;
using Crema.Fillers;
using Crema.Net;
using Crema.Parameters;
using Crema.Solvers;

namespace Crema.Tests.Solvers;

/// <summary>
/// The SGD solver on the GPU against the same solver on the CPU: whole training steps (momentum, weight decay,
/// iter_size 2, clipping, a step lr policy) of an MLP with SoftmaxWithLoss and one with EuclideanLoss, built from the
/// same seed on both engines; clipping on the device; the loss accumulated on the device; where a step waits for the
/// device; an invalid label thrown when the loss is read. Skipped, with the reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SgdSolverGpuTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const ulong Seed = 20261126;

    private const string SoftmaxMlp = """
        name: "softmax-mlp"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { data_filler { type: "gaussian" std: 1 } shape { dim: 8 dim: 6 }
                                   data_filler { type: "constant" value: 0 } shape { dim: 8 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 5 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    private const string EuclideanMlp = """
        name: "euclidean-mlp"
        layer { name: "data" type: "DummyData" top: "data" top: "target"
                dummy_data_param { data_filler { type: "gaussian" std: 1 } shape { dim: 8 dim: 6 }
                                   data_filler { type: "uniform" min: -1 max: 1 } shape { dim: 8 dim: 3 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 5 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "target" top: "loss" loss_weight: 0.5 }
        """;

    // Every layer has GPU kernels and no filler refills, so a step in steady state needs nothing from the host.
    private const string ConstantNet = """
        name: "constant"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { data_filler { type: "constant" value: 0.5 } shape { dim: 4 dim: 6 }
                                   data_filler { type: "constant" value: 1 } shape { dim: 4 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    private const string ConstantEuclidean = """
        name: "constant-euclidean"
        layer { name: "data" type: "DummyData" top: "data" top: "target"
                dummy_data_param { data_filler { type: "constant" value: 0.5 } shape { dim: 4 dim: 6 }
                                   data_filler { type: "constant" value: 0.25 } shape { dim: 4 dim: 3 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "target" top: "loss" loss_weight: 0.5 }
        """;

    // cuBLAS sums the products of a gemm in another order than the CPU: float agrees to about 1e-6 after a few
    // steps, double to about 1e-14. Bounds are relative to the largest magnitude of each compared array.
    private static readonly double Tolerance = typeof(T) == typeof(float) ? 1e-4 : 1e-10;

    private static readonly int[] Labels = [0, 1, 2, 1, 0, 2, 2, 1];

    [TestCase(SoftmaxMlp)]
    [TestCase(EuclideanMlp)]
    [TestCase(ConstantNet)]
    public void TrainingSteps_OnTheGpu_EqualTheCpu(string netText)
    {
        var cpu = Train(ComputeEngine.Cpu, netText);
        var gpu = Train(ComputeEngine.Gpu, netText);

        Assert.That(cpu.Clippings, Is.GreaterThan(0), "the clipping threshold must bite for this test to check clipping");
        Assert.That(gpu.Points, Has.Count.EqualTo(cpu.Points.Count));
        for (int s = 0; s < cpu.Points.Count; s++)
        {
            var (c, g) = (cpu.Points[s], gpu.Points[s]);
            AssertClose([g.Loss], [c.Loss], $"smoothed loss at point {s}");
            for (int i = 0; i < c.Params.Length; i++)
            {
                AssertClose(g.Params[i], c.Params[i], $"param {i} at point {s}");
                AssertClose(g.History[i], c.History[i], $"history {i} at point {s}");
            }
        }
    }

    [Test]
    public void Clipping_OnTheDevice_EqualsTheCpu()
    {
        var expected = ClipOnce(ComputeEngine.Cpu);
        var actual = ClipOnce(ComputeEngine.Gpu);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(actual[i], expected[i], $"param {i} diff after the clipped update");
        }
    }

    [TestCase(ConstantNet)]
    [TestCase(ConstantEuclidean)]
    public void ForwardDeferred_AddsTheLossForwardReturns(string netText)
    {
        Engine.UseGpu();
        SeededRandom.SetGlobalSeed(Seed);
        using var net = new Net<T>(NetParameter.Parse(netText), Phase.Train);
        SetLabels(net);
        T loss = net.Forward();
        using var sum = Context.Allocate<T>(1);
        GpuMath.Set(T.CreateTruncating(0.25), sum.Span);

        net.ForwardDeferred(sum.Span);
        net.ForwardBackwardDeferred(sum.Span);

        Assert.That(sum.ToArray()[0], Is.EqualTo(T.CreateTruncating(0.25) + loss + loss));
    }

    [Test]
    public void Steps_WaitForTheDevice_OnlyOnDisplayIterations()
    {
        Engine.UseGpu();
        SeededRandom.SetGlobalSeed(Seed);
        using var net = new Net<T>(NetParameter.Parse(ConstantNet), Phase.Train);
        SetLabels(net);
        var p = Param();
        p.Display = 2;
        using var solver = new SgdSolver<T>(p, net, new ListLogger());
        solver.Step(2); // the first copies to the device happen here

        var waits = new List<long>();
        for (int i = 0; i < 4; i++)
        {
            long before = Context.SynchronizeCount;
            solver.Step(1);
            waits.Add(Context.SynchronizeCount - before);
        }

        Assert.That(waits[0], Is.GreaterThan(0), "iteration 2 displays: the loss (and the clipped norm) are read");
        Assert.That(waits[1], Is.Zero, "iteration 3 does not display");
        Assert.That(waits[2], Is.GreaterThan(0), "iteration 4 displays");
        Assert.That(waits[3], Is.Zero, "iteration 5 does not display");

        long beforeRead = Context.SynchronizeCount;
        _ = solver.SmoothedLoss;
        Assert.That(Context.SynchronizeCount - beforeRead, Is.GreaterThan(0), "reading the smoothed loss waits for the device");
    }

    [Test]
    public void ClippingLogLine_OnTheGpu_ComesOnDisplayIterationsOnly()
    {
        Engine.UseGpu();
        SeededRandom.SetGlobalSeed(Seed);
        using var net = new Net<T>(NetParameter.Parse(ConstantNet), Phase.Train);
        SetLabels(net);
        var p = Param();
        p.Display = 2;
        var logger = new ListLogger();
        using var solver = new SgdSolver<T>(p, net, logger);

        solver.Step(4);

        var clipping = logger.Lines.FindAll(l => l.StartsWith("Gradient clipping: scaling down gradients (L2 norm ", StringComparison.Ordinal));
        Assert.That(clipping, Has.Count.EqualTo(2));
        Assert.That(logger.Lines.IndexOf(clipping[0]), Is.EqualTo(logger.Lines.IndexOf("Iteration 0, lr = 0.1") + 1));
    }

    [Test]
    public void AnInvalidLabel_IsThrownWhenTheLossIsRead_WithTheFirstPassesLabel()
    {
        Engine.UseGpu();
        SeededRandom.SetGlobalSeed(Seed);
        using var net = new Net<T>(NetParameter.Parse(ConstantNet), Phase.Train);
        var label = net.BlobByName("label");
        int pass = 0;
        net.BeforeForward.Add(layer =>
        {
            if (layer == 0)
            {
                // Pass 0: 7 at position 1; pass 1: 9 at position 0 (a lower position, but later); then valid labels.
                int[] values = pass++ switch { 0 => [0, 7, 1, 2], 1 => [9, 1, 1, 2], _ => [0, 1, 1, 2] };
                label.SetData(values.Select(v => T.CreateTruncating(v)).ToArray());
            }
        });
        using var solver = new SgdSolver<T>(Param(), net);

        Assert.That(() => solver.Step(2), Throws.Nothing, "nothing is read back during the steps");
        Assert.That(() => solver.SmoothedLoss, Throws.ArgumentException.With.Message.Contains("label 7 at position 1"));
        Assert.That(T.IsFinite(solver.SmoothedLoss), Is.True, "the error is thrown once; invalid labels count as ignored");
    }

    private static SolverParameter Param() => new()
    {
        BaseLr = 0.1f,
        LrPolicy = "step",
        Gamma = 0.5f,
        Stepsize = 3,
        Momentum = 0.9f,
        WeightDecay = 0.01f,
        IterSize = 2,
        ClipGradients = 0.05f,
        AverageLoss = 3,
    };

    private static void SetLabels(Net<T> net)
    {
        if (net.HasBlob("label"))
        {
            var blob = net.BlobByName("label");
            blob.SetData(Labels.Take((int)blob.Count).Select(v => T.CreateTruncating(v)).ToArray());
        }
    }

    // Five single steps, each followed by a read of everything, then two steps in one call with nothing read between.
    private static Trace Train(ComputeEngine engine, string netText)
    {
        Engine.Use(engine);
        try
        {
            SeededRandom.SetGlobalSeed(Seed);
            using var net = new Net<T>(NetParameter.Parse(netText), Phase.Train);
            SetLabels(net);
            var logger = new ListLogger();
            using var solver = new SgdSolver<T>(Param(), net, logger);
            var points = new List<Point>();
            for (int s = 0; s < 5; s++)
            {
                solver.Step(1);
                points.Add(Record(solver));
            }

            solver.Step(2);
            points.Add(Record(solver));
            int clippings = logger.Lines.Count(l => l.StartsWith("Gradient clipping", StringComparison.Ordinal));
            return new Trace(points, clippings);
        }
        finally
        {
            Engine.UseCpu();
        }
    }

    private static Point Record(SgdSolver<T> solver) => new(
        [.. solver.Net.LearnableParams.Select(p => p.GetData())],
        [.. solver.History.Select(h => h.GetData())],
        solver.SmoothedLoss);

    // One update from hand-set diffs (clipped: the norm is far above 0.05), with momentum 0 so the diff is
    // rate · lr_mult · the clipped gradient.
    private static T[][] ClipOnce(ComputeEngine engine)
    {
        Engine.Use(engine);
        try
        {
            SeededRandom.SetGlobalSeed(Seed);
            using var net = new Net<T>(NetParameter.Parse(SoftmaxMlp), Phase.Train);
            var p = Param();
            p.Momentum = 0;
            using var solver = new SgdSolver<T>(p, net);
            for (int i = 0; i < net.LearnableParams.Count; i++)
            {
                var blob = net.LearnableParams[i];
                blob.SetDiff(TestData.Uniform<T>((int)blob.Count, seed: i, -1, 1));
            }

            solver.ApplyUpdate();
            return [.. net.LearnableParams.Select(b => b.GetDiff())];
        }
        finally
        {
            Engine.UseCpu();
        }
    }

    private static void AssertClose(T[] actual, T[] expected, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: length");
        double scale = 0;
        foreach (var v in expected)
        {
            scale = Math.Max(scale, Math.Abs(double.CreateTruncating(v)));
        }

        double bound = Tolerance * Math.Max(scale, 1e-6);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            double e = double.CreateTruncating(expected[i]);
            if (!(Math.Abs(a - e) <= bound))
            {
                Assert.Fail($"{what}[{i}]: GPU {a:R}, CPU {e:R} (bound {bound:G3}, largest magnitude {scale:G3})");
            }
        }
    }

    private sealed record Point(T[][] Params, T[][] History, T Loss);

    private sealed record Trace(List<Point> Points, int Clippings);
}
