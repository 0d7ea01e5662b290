using System.Globalization;
using Crema.Net;
using Crema.Parameters;
using Crema.Solvers;

namespace Crema.Tests.Solvers;

/// <summary>
/// The solver's step on the CPU around the fused update: clipping with iter_size (the averaged gradient is clipped),
/// debug_info leaving the data step to Net.Update with the same result, the clipping log line, and the smoothed-loss
/// window.
/// </summary>
public class SgdStepTests
{
    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    [Test]
    public void IterSize2_WithClipping_EqualsOneClippedStepOnTheDoubledBatch()
    {
        // The threshold applies to the gradient averaged over iter_size, so two half batches clip exactly as the
        // doubled batch does (Caffe would clip their sum, twice the average, against the same threshold).
        var p = new SolverParameter { BaseLr = 0.1f, Momentum = 0.9f, WeightDecay = 0.01f, IterSize = 2, ClipGradients = 0.5f };
        var logger = new ListLogger();
        using var halves = LinearModel.Create(2);
        int pass = 0;
        halves.BeforeForward.Add(layer =>
        {
            if (layer == 0)
            {
                bool first = pass++ % 2 == 0;
                LinearModel.Feed(halves, first ? LinearModel.BatchA : LinearModel.BatchB, first ? LinearModel.TargetA : LinearModel.TargetB);
            }
        });
        using var accumulated = new SgdSolver<double>(p, halves, logger);

        using var doubled = LinearModel.Create(4);
        LinearModel.Feed(doubled, [.. LinearModel.BatchA, .. LinearModel.BatchB], [.. LinearModel.TargetA, .. LinearModel.TargetB]);
        p.IterSize = 1;
        using var single = new SgdSolver<double>(p, doubled);

        for (int it = 0; it < 4; it++)
        {
            accumulated.Step(1);
            single.Step(1);
            for (int i = 0; i < 2; i++)
            {
                Assert.That(halves.LearnableParams[i].GetData(), Is.EqualTo(doubled.LearnableParams[i].GetData()).Within(1e-12),
                    $"param {i} after iteration {it}");
                Assert.That(accumulated.History[i].GetData(), Is.EqualTo(single.History[i].GetData()).Within(1e-12),
                    $"history {i} after iteration {it}");
            }
        }

        Assert.That(logger.Lines.Count(l => l.StartsWith("Gradient clipping: scaling down gradients", StringComparison.Ordinal)),
            Is.EqualTo(4), "the gradient is clipped every iteration (on the CPU each clipping is logged)");
    }

    [Test]
    public void ClippingLogLine_NamesTheNormOfTheAveragedGradient()
    {
        using var net = LinearModel.Create(2);
        var logger = new ListLogger();
        using var solver = new SgdSolver<double>(new SolverParameter { BaseLr = 1, ClipGradients = 2, IterSize = 2 }, net, logger);
        // Accumulated over two passes: W's diff all 6, b's all 8, so the average has ‖g‖ = √86.
        net.LearnableParams[0].SetDiff(Enumerable.Repeat(6.0, 6).ToArray());
        net.LearnableParams[1].SetDiff([8.0, 8.0]);

        solver.ApplyUpdate();

        string norm = Math.Sqrt(86).ToString(CultureInfo.InvariantCulture);
        Assert.That(logger.Lines, Has.Some.StartsWith($"Gradient clipping: scaling down gradients (L2 norm {norm} > 2) by scale factor "));
        Assert.That(net.LearnableParams[0].GetDiff(), Is.All.EqualTo(3 * 2 / Math.Sqrt(86)).Within(1e-14));
    }

    [Test]
    public void DebugInfo_LeavesTheDataStepToNetUpdate_WithTheSameResult()
    {
        var p = new SolverParameter { BaseLr = 0.1f, Momentum = 0.9f, WeightDecay = 0.01f, ClipGradients = 0.5f };
        using var plain = LinearModel.Create(2);
        LinearModel.Feed(plain, LinearModel.BatchA, LinearModel.TargetA);
        using var plainSolver = new SgdSolver<double>(p, plain);

        var logger = new ListLogger();
        using var debug = LinearModel.Create(2);
        LinearModel.Feed(debug, LinearModel.BatchA, LinearModel.TargetA);
        debug.DebugInfo = true;
        debug.Logger = logger;
        using var debugSolver = new SgdSolver<double>(p, debug);

        for (int it = 0; it < 3; it++)
        {
            plainSolver.Step(1);
            debugSolver.Step(1);
        }

        for (int i = 0; i < 2; i++)
        {
            Assert.That(debug.LearnableParams[i].GetData(), Is.EqualTo(plain.LearnableParams[i].GetData()), $"param {i}");
            Assert.That(debugSolver.History[i].GetData(), Is.EqualTo(plainSolver.History[i].GetData()), $"history {i}");
        }

        Assert.That(logger.Lines.Count(l => l.StartsWith("    [Update] Layer ip", StringComparison.Ordinal)), Is.EqualTo(6),
            "Net.Update logs each param once per iteration");
    }

    [Test]
    public void SmoothedLoss_IsTheMeanOfTheLastAverageLossIterations_AcrossTheRing()
    {
        using var net = LinearModel.Create(2);
        LinearModel.Feed(net, LinearModel.BatchA, LinearModel.TargetA);
        using var solver = new SgdSolver<double>(new SolverParameter { BaseLr = 0.02f, AverageLoss = 3 }, net);
        var seen = new List<double>();
        for (int it = 0; it < 7; it++)
        {
            seen.Add(net.ForwardFromTo(0, net.Layers.Count - 1));
            solver.Step(1);
            Assert.That(solver.SmoothedLoss, Is.EqualTo(seen.TakeLast(3).Average()).Within(1e-12), $"iteration {it}");
        }
    }

    [Test]
    public void ForwardDeferred_WithoutADeviceSum_Throws()
    {
        using var net = LinearModel.Create(2);
        Assert.That(() => net.ForwardDeferred(default), Throws.ArgumentException.With.Message.Contains("lossSum"));
        Assert.That(() => net.ForwardBackwardDeferred(default), Throws.ArgumentException.With.Message.Contains("lossSum"));
    }
}

/// <summary>The smoothed-loss window: slots, growth that keeps the values, host reads.</summary>
public class LossWindowTests
{
    [Test]
    public void SetAndMean_FollowTheSlots()
    {
        using var window = new LossWindow<double>();
        window.Reserve(3);
        window.Set(0, 1);
        window.Set(1, 2);
        window.Set(2, 6);
        Assert.That(window.Mean(), Is.EqualTo(3.0));
        window.Set(0, 4);
        Assert.That(window.ToArray(), Is.EqualTo(new[] { 4.0, 2, 6 }));
        Assert.That(window.Count, Is.EqualTo(3));
        Assert.That(() => window.Set(4, 1), Throws.TypeOf<ArgumentOutOfRangeException>(), "slots are filled in order");
    }

    [Test]
    public void Growth_KeepsTheValues_AndClearForgetsThem()
    {
        using var window = new LossWindow<float>();
        window.AddRange([1f, 2f]);
        window.Reserve(5);
        window.Set(2, 3f);
        Assert.That(window.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f }));
        window.Clear();
        Assert.That(window.Count, Is.Zero);
        Assert.That(window.Mean(), Is.Zero);
        Assert.That(window.ToArray(), Is.Empty);
    }
}
