using Crema.Fillers;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Tests.Net;

/// <summary>What every timing report must satisfy, on either engine.</summary>
internal static class NetTimingAssert
{
    /// <summary>Every layer in order, times finite and non-negative, the per-layer times within the pass totals.</summary>
    internal static void Consistent(NetTimingReport report, Net<float> net, int iterations)
    {
        Assert.That(report.Iterations, Is.EqualTo(iterations));
        Assert.That(report.Layers.Select(l => l.Name), Is.EqualTo(net.LayerNames));
        Assert.That(report.Layers.Select(l => l.Type), Is.EqualTo(net.Layers.Select(l => l.Type)));
        double[] all = [.. report.Layers.SelectMany(l => new[] { l.ForwardMs, l.BackwardMs }),
            report.ForwardMs, report.BackwardMs, report.ForwardBackwardMs, report.TotalMs];
        Assert.That(all, Has.All.GreaterThanOrEqualTo(0.0).And.All.Matches<double>(double.IsFinite));

        // Each layer's interval lies inside its pass, and the passes inside the run. The slack covers rounding: the
        // GPU's event times are floats in ms (a few 1e-9 ms each), the CPU's exact tick counts.
        double slack = report.Engine == ComputeEngine.Gpu ? 1e-5 : 1e-9;
        Assert.That(report.Layers.Sum(l => l.ForwardMs), Is.LessThanOrEqualTo(report.ForwardMs + slack));
        Assert.That(report.Layers.Sum(l => l.BackwardMs), Is.LessThanOrEqualTo(report.BackwardMs + slack));
        Assert.That(report.ForwardBackwardMs, Is.EqualTo(report.ForwardMs + report.BackwardMs).Within(1e-9));
        Assert.That(report.ForwardBackwardMs * iterations, Is.LessThanOrEqualTo(report.TotalMs + slack));
        Assert.That(report.ForwardMs, Is.GreaterThan(0.0), "a forward pass takes some time");
    }
}

/// <summary><see cref="NetTiming"/> on the CPU engine (Stopwatch).</summary>
public class NetTimingTests
{
    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    [Test]
    public void Mlp_EveryLayerTimed_TheTotalsConsistent_TheCallbacksRemovedAfterwards()
    {
        SeededRandom.SetGlobalSeed(2);
        using var net = new Net<float>(NetComparisonTests<float>.Mlp(), Phase.Train);

        var report = NetTiming.Time(net, iterations: 7);

        Assert.That(report.Engine, Is.EqualTo(ComputeEngine.Cpu));
        NetTimingAssert.Consistent(report, net, 7);
        Assert.That(report.WarmUpLoss, Is.GreaterThan(0.0).And.Matches<double>(double.IsFinite));
        Assert.That(net.BeforeForward, Is.Empty);
        Assert.That(net.AfterForward, Is.Empty);
        Assert.That(net.BeforeBackward, Is.Empty);
        Assert.That(net.AfterBackward, Is.Empty);
    }

    [Test]
    public void CallbacksAlreadyOnTheNet_StillRun_AndStayAttached()
    {
        SeededRandom.SetGlobalSeed(2);
        using var net = new Net<float>(NetComparisonTests<float>.Mlp(), Phase.Train);
        int forwards = 0;
        net.AfterForward.Add(_ => forwards++);

        NetTiming.Time(net, iterations: 3);

        Assert.That(forwards, Is.EqualTo(net.Layers.Count * 4), "one warm-up and three timed passes");
        Assert.That(net.AfterForward, Has.Count.EqualTo(1));
    }

    [Test]
    public void FewerThanOneIteration_IsRefused()
    {
        using var net = new Net<float>(NetComparisonTests<float>.Mlp(), Phase.Train);
        Assert.That(() => NetTiming.Time(net, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}

/// <summary><see cref="NetTiming"/> on the GPU engine (CUDA events); skipped with the reason without a GPU.</summary>
public class NetTimingGpuTests : GpuTestBase
{
    [Test]
    public void Mlp_EveryLayerTimedWithEvents_TheTotalsConsistent()
    {
        Engine.UseGpu();
        SeededRandom.SetGlobalSeed(2);
        using var net = new Net<float>(NetComparisonTests<float>.Mlp(), Phase.Train);

        var report = NetTiming.Time(net, iterations: 20);

        Assert.That(report.Engine, Is.EqualTo(ComputeEngine.Gpu));
        NetTimingAssert.Consistent(report, net, 20);
    }

    [Test]
    public void WithDataThatStaysOnTheDevice_NoIterationWaitsForTheHost()
    {
        // Constant data is filled once; the MLP's gaussian data is refilled on the host and copied (a blocking copy)
        // every pass, which is the data layer's doing and not the timer's.
        Engine.UseGpu();
        var param = NetComparisonTests<float>.Mlp();
        param.Layer[0].DummyDataParam.DataFiller[0] = new FillerParameter { Type = "constant", Value = 0.5f };
        using var net = new Net<float>(param, Phase.Train);
        long syncsBefore = Context.SynchronizeCount;

        NetTiming.Time(net, iterations: 20);

        Assert.That(Context.SynchronizeCount - syncsBefore, Is.LessThan(10), "the warm-up reads its loss; the iterations read nothing");
    }

    [Test]
    public void ManyIterations_ReadTheEventsInBatches()
    {
        Engine.UseGpu();
        SeededRandom.SetGlobalSeed(2);
        using var net = new Net<float>(NetComparisonTests<float>.Mlp(), Phase.Train);
        int perIteration = (4 * net.Layers.Count) + 3;
        int iterations = (NetTiming.MaxEvents / perIteration) + 5;

        var report = NetTiming.Time(net, iterations);

        NetTimingAssert.Consistent(report, net, iterations);
    }
}
