using System.Numerics;
using Crema.Net;
using Microsoft.Extensions.Logging;

namespace Crema.Tests.Net;

/// <summary>
/// Forward, backward, update and their bookkeeping, rewritten from Caffe's net tests: partial passes, loss weights,
/// frozen and shared params, need-backward analysis, callbacks and debug info.
/// </summary>
public abstract class NetPassTests<T> : NetTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const string LossLine = "layer { name: \"loss\" type: \"SoftmaxWithLoss\" bottom: \"s2\" bottom: \"label\" top: \"loss\" }";

    [Test]
    public void FromToReproducesTheFullPass()
    {
        var net = Build(Basic);
        net.ClearParamDiffs();
        double loss = double.CreateChecked(net.Forward());
        net.Backward();
        var full = Snapshot(net);
        int n = net.Layers.Count;

        for (int k = 0; k < n; k++)
        {
            net.ClearParamDiffs();
            double partial = double.CreateChecked(net.ForwardTo(k));
            if (k + 1 < n)
            {
                partial += double.CreateChecked(net.ForwardFrom(k + 1));
            }

            Assert.That(partial, Is.EqualTo(loss), $"forward split after layer {k}");
            if (k + 1 < n)
            {
                net.BackwardTo(k + 1);
                net.BackwardFrom(k);
            }
            else
            {
                net.Backward();
            }

            var again = Snapshot(net);
            for (int i = 0; i < full.Count; i++)
            {
                Assert.That(again[i], Is.EqualTo(full[i]), $"array {i} after splitting at layer {k}");
            }
        }
    }

    [Test]
    public void LossAndDiffsScaleWithLossWeight([Values(2.0, 0.0, 1.0, -1.0, -2.5, 3.7)] double given)
    {
        double weight = (float)given; // loss_weight is a float in the parameter, as in Caffe
        const string forced = "force_backward: true\n";
        var reference = Build(forced + Basic);
        reference.ClearParamDiffs();
        double loss1 = double.CreateChecked(reference.ForwardBackward());
        var diffs1 = Snapshot(reference);

        string w = given.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var net = Build(forced + BasicWith(LossLine, LossLine.Replace("top: \"loss\"", $"top: \"loss\" loss_weight: {w}", StringComparison.Ordinal)));
        net.ClearParamDiffs();
        double loss = double.CreateChecked(net.ForwardBackward());
        var diffs = Snapshot(net);

        Assert.That(loss, Is.EqualTo(weight * loss1).Within(Tolerance * Math.Max(1, Math.Abs(weight * loss1))));
        for (int i = 1; i < diffs.Count; i += 2)
        {
            if (i == 2 * 4 + 1)
            {
                continue; // the loss top's diff holds the loss weight itself
            }

            for (int j = 0; j < diffs[i].Length; j++)
            {
                double expected = weight * diffs1[i][j];
                Assert.That(diffs[i][j], Is.EqualTo(expected).Within(Tolerance * Math.Max(1e-3, Math.Abs(expected))), $"diff {i / 2}[{j}]");
            }
        }

        Assert.That(diffs[^1].Any(v => v != 0), Is.EqualTo(weight != 0));
    }

    [Test]
    public void LossWeightOnAMidNetTopAddsItsGradient()
    {
        // scale2's top is also a loss (Σ data · 0.5); its gradient adds 0.5 to s2's diff beside the softmax loss's.
        var net = Build(BasicWith(LossLine, """
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s2" bottom: "label" top: "loss" }
            layer { name: "mid" type: "NetTestScale" bottom: "s1" top: "m" loss_weight: 0.5 param { lr_mult: 0 } }
            """));
        var plain = Build(Basic);
        net.ClearParamDiffs();
        plain.ClearParamDiffs();
        double loss = double.CreateChecked(net.ForwardBackward());
        double plainLoss = double.CreateChecked(plain.ForwardBackward());

        var m = ToDouble(net.BlobByName("m").GetData());
        Assert.That(loss, Is.EqualTo(plainLoss + (0.5 * m.Sum())).Within(Tolerance * 10));
        Assert.That(net.LayerNames, Does.Contain("s1_scale1_0_split"));
        Assert.That(net.LayerNeedBackward[net.LayerNames.ToList().IndexOf("mid")], Is.True);
        var s1 = ToDouble(net.BlobByName("s1").GetDiff());
        var plainS1 = ToDouble(plain.BlobByName("s1").GetDiff());
        var w = ToDouble(net.LayerByName("mid").Blobs[0].GetData());
        for (int i = 0; i < s1.Length; i++)
        {
            Assert.That(s1[i], Is.EqualTo(plainS1[i] + (0.5 * w[i % w.Length])).Within(Tolerance * 10));
        }
    }

    [Test]
    public void ZeroLrMultGivesExactlyZeroParamDiff()
    {
        var net = Build(BasicWith("bottom: \"data\" top: \"s1\" }", "bottom: \"data\" top: \"s1\" param { lr_mult: 0 } }"));
        net.ClearParamDiffs();
        net.ForwardBackward();

        Assert.Multiple(() =>
        {
            Assert.That(net.ParamPropagateDown[1][0], Is.False);
            Assert.That(net.ParamPropagateDown[2][0], Is.True);
            Assert.That(net.LayerNeedBackward, Is.EqualTo(new[] { false, false, true, true }));
            Assert.That(net.Params[0].GetDiff().All(v => v == T.Zero), Is.True);
            Assert.That(net.Params[1].GetDiff().Any(v => v != T.Zero), Is.True);
            Assert.That(net.ParamsLrMult, Is.EqualTo(new float[] { 0, 1 }));
        });
    }

    [Test]
    public void ZeroLrMultAfterALearningLayerStillPassesGradientDown()
    {
        var net = Build(BasicWith("bottom: \"s1\" top: \"s2\" }", "bottom: \"s1\" top: \"s2\" param { lr_mult: 0 decay_mult: 3 } }"));
        net.ClearParamDiffs();
        net.ForwardBackward();

        Assert.That(net.LayerNeedBackward, Is.EqualTo(new[] { false, true, true, true }));
        Assert.That(net.BottomNeedBackward[2], Is.EqualTo(new[] { true }));
        Assert.That(net.Params[1].GetDiff().All(v => v == T.Zero), Is.True);
        Assert.That(net.Params[0].GetDiff().Any(v => v != T.Zero), Is.True);
        Assert.That(net.ParamsWeightDecay, Is.EqualTo(new float[] { 1, 3 }));
    }

    [Test]
    public void SharedWeightsShareDataAndDiffAndUpdate()
    {
        string shared = Basic.Replace("top: \"s1\" }", "top: \"s1\" param { name: \"w\" } }", StringComparison.Ordinal)
            .Replace("top: \"s2\" }", "top: \"s2\" param { name: \"w\" } }", StringComparison.Ordinal);
        var net = Build(shared);
        var unshared = Build(Basic);

        Assert.That(net.ParamOwners, Is.EqualTo(new[] { -1, 0 }));
        Assert.That(net.LearnableParams, Has.Count.EqualTo(1));
        Assert.That(net.LearnableParamIds, Is.EqualTo(new[] { 0, 0 }));
        Assert.That(net.Params[0].Data, Is.SameAs(net.Params[1].Data));
        Assert.That(net.Params[0].Diff, Is.SameAs(net.Params[1].Diff));

        net.ClearParamDiffs();
        unshared.ClearParamDiffs();
        net.ForwardBackward();
        unshared.ForwardBackward();
        var d1 = unshared.Params[0].GetDiff();
        var d2 = unshared.Params[1].GetDiff();
        // scale2 runs backward first, so the shared diff is d2 + d1, added once per element.
        Assert.That(net.Params[1].GetDiff(), Is.EqualTo(d2.Zip(d1, (a, b) => a + b).ToArray()));

        var data = net.Params[0].GetData();
        var diff = net.Params[0].GetDiff();
        net.Update();
        var expected = data.Zip(diff, (a, b) => a - b).ToArray();
        Assert.That(net.Params[0].GetData(), Is.EqualTo(expected));
        Assert.That(net.Params[1].GetData(), Is.EqualTo(expected));
    }

    // Basic with scale1 and scale2 sharing param "w", with extra ParamSpec fields for each.
    private static string SharedWith(string owner, string sharer) =>
        Basic.Replace("top: \"s1\" }", $"top: \"s1\" param {{ name: \"w\" {owner} }} }}", StringComparison.Ordinal)
            .Replace("top: \"s2\" }", $"top: \"s2\" param {{ name: \"w\" {sharer} }} }}", StringComparison.Ordinal);

    [TestCase("", "", 1f, 1f)]
    [TestCase("lr_mult: 2 decay_mult: 0.5", "", 2f, 0.5f)]
    [TestCase("", "lr_mult: 3 decay_mult: 4", 3f, 4f)]
    [TestCase("lr_mult: 2", "lr_mult: 2 decay_mult: 5", 2f, 5f)]
    [TestCase("lr_mult: 1", "lr_mult: 1", 1f, 1f)]
    public void SharersLeaveOrSetTheOwnersMultipliers(string owner, string sharer, float lr, float decay)
    {
        var net = Build(SharedWith(owner, sharer));

        Assert.That(net.ParamsLrMult, Is.EqualTo(new[] { lr }));
        Assert.That(net.ParamsWeightDecay, Is.EqualTo(new[] { decay }));
    }

    [TestCase("lr_mult: 2", "lr_mult: 1", "lr_mult 1 here but 2")]
    [TestCase("decay_mult: 0", "decay_mult: 1", "decay_mult 1 here but 0")]
    [TestCase("", "lr_mult: 0", null)]
    public void SharersThatContradictAGivenMultiplierAreRefused(string owner, string sharer, string? message)
    {
        if (message is null)
        {
            // Only given values conflict: the owner gave none, so the sharer's 0 is taken.
            Assert.That(Build(SharedWith(owner, sharer)).ParamsLrMult, Is.EqualTo(new[] { 0f }));
            return;
        }

        var ex = Assert.Throws<ArgumentException>(() => Build(SharedWith(owner, sharer)));
        Assert.That(ex!.Message, Does.Contain("layer 'scale2'").And.Contain("shared param 'w'").And.Contain(message).And.Contain("layer 'scale1'"));
    }

    [Test]
    public void UpdateSubtractsTheDiffFromEveryOwnedParam()
    {
        var net = Build(Basic);
        net.ClearParamDiffs();
        net.ForwardBackward();
        var before = net.Params.Select(p => (Data: p.GetData(), Diff: p.GetDiff())).ToList();

        net.Update();

        for (int i = 0; i < before.Count; i++)
        {
            Assert.That(net.Params[i].GetData(), Is.EqualTo(before[i].Data.Zip(before[i].Diff, (a, b) => a - b).ToArray()));
        }
    }

    [Test]
    public void BottomNeedBackwardFollowsParamsAndLabels()
    {
        var net = Build(Basic);

        Assert.That(net.BottomNeedBackward[0], Is.Empty);
        Assert.That(net.BottomNeedBackward[1], Is.EqualTo(new[] { false }));
        Assert.That(net.BottomNeedBackward[2], Is.EqualTo(new[] { true }));
        Assert.That(net.BottomNeedBackward[3], Is.EqualTo(new[] { true, false }));
        Assert.That(net.LayerNeedBackward, Is.EqualTo(new[] { false, true, true, true }));
    }

    [Test]
    public void ForceBackwardReachesTheDataButNotTheLabels()
    {
        var net = Build("force_backward: true\n" + Basic);

        Assert.That(net.BottomNeedBackward[1], Is.EqualTo(new[] { true }));
        Assert.That(net.BottomNeedBackward[3], Is.EqualTo(new[] { true, false }));
        Assert.That(net.LayerNeedBackward, Is.EqualTo(new[] { true, true, true, true }));
    }

    [Test]
    public void PropagateDownFalsePrunesTheLayersBelow()
    {
        var net = Build(BasicWith(LossLine, LossLine.Replace(" }", " propagate_down: false propagate_down: false }", StringComparison.Ordinal)));

        Assert.That(net.BottomNeedBackward[3], Is.EqualTo(new[] { false, false }));
        Assert.That(net.LayerNeedBackward, Is.EqualTo(new[] { false, false, false, true }));
        net.ClearParamDiffs();
        net.ForwardBackward();
        Assert.That(net.Params.All(p => p.GetDiff().All(v => v == T.Zero)), Is.True);
    }

    [Test]
    public void ClearParamDiffsZeroesEveryDiff()
    {
        var net = Build(Basic);
        net.ForwardBackward();
        Assert.That(net.LearnableParams.Any(p => p.GetDiff().Any(v => v != T.Zero)), Is.True);

        net.ClearParamDiffs();

        Assert.That(net.LearnableParams.All(p => p.GetDiff().All(v => v == T.Zero)), Is.True);
    }

    [Test]
    public void OutOfRangeIndicesThrow()
    {
        var net = Build(Basic);

        Assert.Multiple(() =>
        {
            Assert.That(() => net.ForwardFromTo(-1, 2), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => net.ForwardFromTo(0, 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => net.ForwardFrom(4), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => net.ForwardTo(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => net.BackwardFromTo(4, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => net.BackwardFromTo(3, -1), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => net.BackwardFrom(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => net.BackwardTo(4), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void ReversedRangesRunNothing()
    {
        var net = Build(Basic);
        var calls = new List<int>();
        net.BeforeForward.Add(calls.Add);
        net.BeforeBackward.Add(calls.Add);

        Assert.That(double.CreateChecked(net.ForwardFromTo(2, 1)), Is.Zero);
        net.BackwardFromTo(1, 2);

        Assert.That(calls, Is.Empty);
    }

    [Test]
    public void CallbacksRunForEveryLayerIndex()
    {
        var net = Build(Basic);
        var log = new List<string>();
        net.BeforeForward.Add(i => log.Add($"bf{i}"));
        net.AfterForward.Add(i => log.Add($"af{i}"));
        net.BeforeBackward.Add(i => log.Add($"bb{i}"));
        net.AfterBackward.Add(i => log.Add($"ab{i}"));

        net.ForwardBackward();

        // The data layer (0) needs no backward pass, but its callbacks still run.
        Assert.That(log, Is.EqualTo(new[]
        {
            "bf0", "af0", "bf1", "af1", "bf2", "af2", "bf3", "af3",
            "bb3", "ab3", "bb2", "ab2", "bb1", "ab1", "bb0", "ab0",
        }));
    }

    [Test]
    public void DebugInfoLogsCaffesLines()
    {
        var logger = new ListLogger();
        var net = Build(Basic, logger: logger);
        net.DebugInfo = true;
        net.ClearParamDiffs();
        net.ForwardBackward();

        var data = net.BlobByName("data");
        string dataMean = Net<T>.Number(data.AsumData() / T.CreateChecked(data.Count));
        var w = net.Params[1];
        string wDiff = Net<T>.Number(w.AsumDiff() / T.CreateChecked(w.Count));
        var s1 = net.BlobByName("s1");
        string s1Diff = Net<T>.Number(s1.AsumDiff() / T.CreateChecked(s1.Count));
        Assert.Multiple(() =>
        {
            Assert.That(logger.Lines, Does.Contain($"    [Forward] Layer data, top blob data data: {dataMean}"));
            Assert.That(logger.Lines, Has.Some.StartsWith("    [Forward] Layer scale1, param blob 0 data: "));
            Assert.That(logger.Lines, Has.Some.StartsWith("    [Forward] Layer loss, top blob loss data: "));
            Assert.That(logger.Lines, Does.Contain($"    [Backward] Layer scale2, bottom blob s1 diff: {s1Diff}"));
            Assert.That(logger.Lines, Does.Contain($"    [Backward] Layer scale2, param blob 0 diff: {wDiff}"));
            Assert.That(logger.Lines, Has.None.StartsWith("    [Backward] Layer scale1, bottom blob"));
            Assert.That(logger.Lines[^1], Does.Match(
                @"^    \[Backward\] All net params \(data, diff\): L1 norm = \([^,]+, [^)]+\); L2 norm = \([^,]+, [^)]+\)$"));
        });

        double asum = net.LearnableParams.Sum(p => double.CreateChecked(p.AsumData()));
        Assert.That(logger.Lines[^1], Does.Contain($"L1 norm = ({Net<T>.Number(T.CreateChecked(asum))}, "));

        logger.Lines.Clear();
        net.Update();
        Assert.That(logger.Lines, Has.Some.StartsWith("    [Update] Layer scale1, param 0 data: "));
    }

    [Test]
    public void NumbersPrintLikeCpp()
    {
        Assert.That(Net<T>.Number(T.CreateChecked(0.1)), Does.StartWith("0.1"));
        Assert.That(Net<T>.Number(T.CreateChecked(1e-5)), Is.EqualTo("1e-05"));
        Assert.That(Net<T>.Number(T.CreateChecked(1234567.0)), Is.EqualTo("1.23457e+06"));
        Assert.That(Net<T>.Number(T.CreateChecked(2.5)), Is.EqualTo("2.5"));
    }
}

[TestFixture]
public sealed class NetPassTestsFloat : NetPassTests<float>;

[TestFixture]
public sealed class NetPassTestsDouble : NetPassTests<double>;

/// <summary>The same passes with the GPU engine selected (the test layers fall back to their CPU code there; the
/// net's own work (loss reads, ClearParamDiffs, Update, SoftmaxWithLoss) runs on the device).</summary>
[TestFixture]
[Category("GPU")]
public sealed class NetPassTestsGpuFloat : NetPassTests<float>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}

/// <summary>See <see cref="NetPassTestsGpuFloat"/>.</summary>
[TestFixture]
[Category("GPU")]
public sealed class NetPassTestsGpuDouble : NetPassTests<double>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
