using Crema.Net;
using Crema.Parameters;
using Crema.Solvers;
using Microsoft.Extensions.Logging;

namespace Crema.Tests.Solvers;

/// <summary>
/// The SGD solver on the CPU: the learning-rate policies at given iterations, momentum and weight decay against
/// hand-computed sequences, iter_size against a doubled batch, clipping to an exact global norm, the smoothed loss.
/// </summary>
public class SgdSolverTests
{
    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    [TestCase("fixed", 0, 0.01)]
    [TestCase("fixed", 12345, 0.01)]
    [TestCase("step", 0, 0.01)]
    [TestCase("step", 9, 0.01)]
    [TestCase("step", 10, 0.001)]
    [TestCase("step", 25, 0.0001)]
    [TestCase("exp", 0, 0.01)]
    [TestCase("exp", 3, 0.00001)]
    [TestCase("inv", 0, 0.01)]
    [TestCase("inv", 10, 0.01 / 1.6817928305074290)] // (1 + 0.1·10)^0.75 = 2^0.75
    [TestCase("inv", 30, 0.01 / 2.8284271247461903)] // (1 + 0.1·30)^0.75 = 4^0.75
    [TestCase("poly", 0, 0.01)]
    [TestCase("poly", 50, 0.0025)] // (1 − 50/100)^2 = 1/4
    [TestCase("poly", 90, 0.0001)]
    [TestCase("poly", 100, 0.0)]
    [TestCase("sigmoid", 10, 0.005)] // centre: 1 / (1 + e^0)
    [TestCase("sigmoid", 20, 0.01 / (1 + 0.36787944117144233))] // 1 / (1 + e^−1)
    public void LearningRate_FollowsThePolicy(string policy, int iter, double expected)
    {
        var p = new SolverParameter
        {
            BaseLr = 0.01f,
            LrPolicy = policy,
            Gamma = 0.1f,
            Power = policy == "poly" ? 2 : 0.75f,
            Stepsize = 10,
            MaxIter = 100,
        };

        // The parameters are floats, as in Caffe: compare to single precision.
        Assert.That(SgdSolver<double>.LearningRateAt(p, iter), Is.EqualTo(expected).Within(1e-4).Percent);
    }

    [TestCase(0, 1.0)]
    [TestCase(4, 1.0)]
    [TestCase(5, 0.5)]
    [TestCase(7, 0.5)]
    [TestCase(8, 0.25)]
    [TestCase(1000, 0.25)]
    public void LearningRate_Multistep_MultipliesAtEachStepValue(int iter, double expected)
    {
        var p = new SolverParameter { BaseLr = 1, LrPolicy = "multistep", Gamma = 0.5f, Stepvalue = [5, 8] };
        Assert.That(SgdSolver<double>.LearningRateAt(p, iter), Is.EqualTo(expected));
    }

    [Test]
    public void LearningRate_Property_IsThePolicyAtTheCurrentIteration()
    {
        using var net = LinearModel.Create(2);
        var p = new SolverParameter { BaseLr = 1, LrPolicy = "step", Gamma = 0.5f, Stepsize = 2 };
        using var solver = new SgdSolver<double>(p, net);
        LinearModel.Feed(net, LinearModel.BatchA, LinearModel.TargetA);

        var seen = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            seen.Add(solver.LearningRate);
            solver.Step(1);
        }

        Assert.That(seen, Is.EqualTo(new[] { 1.0, 1.0, 0.5, 0.5, 0.25 }));
        Assert.That(solver.Iter, Is.EqualTo(5));
    }

    [Test]
    public void MomentumAndWeightDecay_MatchAHandComputedSequence()
    {
        // Each iteration the diffs are set to 1 by hand; W starts at 0.1 (decay_mult 1), b at 0.2 (lr_mult 2,
        // decay_mult 0); base_lr 0.1, momentum 0.9, weight_decay 0.01.
        //   W: d = 1 + 0.01·w;  h = 0.9·h + 0.1·d;  w −= h
        //      it 0: d = 1.001       h = 0.1001        w = −0.0001
        //      it 1: d = 0.999999    h = 0.1900899     w = −0.1901899
        //      it 2: d = 0.998098101 h = 0.2708907201  w = −0.4610806201
        //   b: h = 0.9·h + 0.2·1; b −= h:  h = 0.2, 0.38, 0.542;  b = 0, −0.38, −0.922
        using var net = LinearModel.Create(2);
        var p = new SolverParameter { BaseLr = 0.1f, Momentum = 0.9f, WeightDecay = 0.01f };
        using var solver = new SgdSolver<double>(p, net);
        var weight = net.LearnableParams[0];
        var bias = net.LearnableParams[1];
        double[] expectedW = [-0.0001, -0.1901899, -0.4610806201];
        double[] expectedB = [0, -0.38, -0.922];
        double[] expectedHistoryW = [0.1001, 0.1900899, 0.2708907201];

        for (int it = 0; it < 3; it++)
        {
            weight.SetDiff(Enumerable.Repeat(1.0, 6).ToArray());
            bias.SetDiff([1.0, 1.0]);
            solver.ApplyUpdate();

            // The float parameters (0.1f, 0.9f, 0.01f) limit the agreement to single precision.
            Assert.That(weight.GetData(), Is.All.EqualTo(expectedW[it]).Within(1e-7), $"W after iteration {it}");
            Assert.That(bias.GetData(), Is.All.EqualTo(expectedB[it]).Within(1e-7), $"b after iteration {it}");
            Assert.That(solver.History[0].GetData(), Is.All.EqualTo(expectedHistoryW[it]).Within(1e-7));
            Assert.That(weight.GetDiff(), Is.EqualTo(solver.History[0].GetData()), "the diff holds the update");
        }

        Assert.That(solver.Iter, Is.EqualTo(3));
    }

    [Test]
    public void Step_MatchesAReferenceComputation_OverThreeIterations()
    {
        using var net = LinearModel.Create(2);
        var p = new SolverParameter
        {
            BaseLr = 0.05f,
            LrPolicy = "step",
            Gamma = 0.5f,
            Stepsize = 2,
            Momentum = 0.9f,
            WeightDecay = 0.01f,
            AverageLoss = 2,
        };
        using var solver = new SgdSolver<double>(p, net);
        LinearModel.Feed(net, LinearModel.BatchA, LinearModel.TargetA);

        // The reference: the same model in plain double arithmetic with the parameters as Caffe holds them (floats).
        double[] w = Enumerable.Repeat((double)0.1f, 6).ToArray();
        double[] b = [(double)0.2f, (double)0.2f];
        var hw = new double[6];
        var hb = new double[2];
        var refLosses = new List<double>();
        for (int it = 0; it < 3; it++)
        {
            var (loss, dw, db) = LinearGradients(w, b, LinearModel.BatchA, LinearModel.TargetA, batch: 2);
            refLosses.Add(loss);
            double rate = (double)0.05f * Math.Pow((double)0.5f, it / 2);
            for (int i = 0; i < 6; i++)
            {
                double d = dw[i] + ((double)0.01f * w[i]);
                hw[i] = ((double)0.9f * hw[i]) + (rate * d);
                w[i] -= hw[i];
            }

            for (int i = 0; i < 2; i++)
            {
                hb[i] = ((double)0.9f * hb[i]) + (rate * 2 * db[i]);
                b[i] -= hb[i];
            }

            solver.Step(1);
            Assert.That(net.LearnableParams[0].GetData(), Is.EqualTo(w).Within(1e-12), $"W after iteration {it}");
            Assert.That(net.LearnableParams[1].GetData(), Is.EqualTo(b).Within(1e-12), $"b after iteration {it}");
            double smoothed = refLosses.TakeLast(2).Average();
            Assert.That(solver.SmoothedLoss, Is.EqualTo(smoothed).Within(1e-12), $"smoothed loss at iteration {it}");
        }
    }

    [Test]
    public void IterSize2_EqualsOneStepOnTheDoubledBatch()
    {
        var p = new SolverParameter { BaseLr = 0.1f, Momentum = 0.9f, WeightDecay = 0.01f, IterSize = 2 };

        // Two half batches, fed alternately before each forward pass.
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
        using var accumulated = new SgdSolver<double>(p, halves);

        using var doubled = LinearModel.Create(4);
        LinearModel.Feed(doubled, [.. LinearModel.BatchA, .. LinearModel.BatchB], [.. LinearModel.TargetA, .. LinearModel.TargetB]);
        p.IterSize = 1;
        using var single = new SgdSolver<double>(p, doubled);

        for (int it = 0; it < 3; it++)
        {
            accumulated.Step(1);
            single.Step(1);
            for (int i = 0; i < 2; i++)
            {
                Assert.That(halves.LearnableParams[i].GetData(), Is.EqualTo(doubled.LearnableParams[i].GetData()).Within(1e-12),
                    $"param {i} after iteration {it}");
            }

            Assert.That(accumulated.SmoothedLoss, Is.EqualTo(single.SmoothedLoss).Within(1e-12), "the loss is the mean over iter_size");
        }
    }

    [Test]
    public void ClipGradients_ScalesTheGlobalNormToTheLimit()
    {
        // W's diff is all 3, b's all 4: ‖g‖ = √(6·9 + 2·16) = √86 > 2.
        using var net = LinearModel.Create(2);
        var p = new SolverParameter { BaseLr = 1, ClipGradients = 2 };
        using var solver = new SgdSolver<double>(p, net);
        net.LearnableParams[0].SetDiff(Enumerable.Repeat(3.0, 6).ToArray());
        net.LearnableParams[1].SetDiff([4.0, 4.0]);

        solver.ApplyUpdate();

        // With momentum 0 the diff holds lr · lr_mult · clipped gradient; b's lr_mult is 2.
        var w = net.LearnableParams[0].GetDiff();
        var b = net.LearnableParams[1].GetDiff().Select(v => v / 2).ToArray();
        double norm = Math.Sqrt(w.Concat(b).Sum(v => v * v));
        Assert.That(norm, Is.EqualTo(2.0).Within(1e-14));
        Assert.That(w, Is.All.EqualTo(3 * 2 / Math.Sqrt(86)).Within(1e-14));
        Assert.That(b, Is.All.EqualTo(4 * 2 / Math.Sqrt(86)).Within(1e-14));
    }

    [Test]
    public void ClipGradients_LeavesSmallerNormsAlone_AndIsOffWhenNegative()
    {
        foreach (float clip in new[] { 100f, -1f })
        {
            using var net = LinearModel.Create(2);
            using var solver = new SgdSolver<double>(new SolverParameter { BaseLr = 1, ClipGradients = clip }, net);
            net.LearnableParams[0].SetDiff(Enumerable.Repeat(30.0, 6).ToArray());
            net.LearnableParams[1].SetDiff([4.0, 4.0]);
            solver.ApplyUpdate();
            Assert.That(net.LearnableParams[0].GetDiff(), Is.All.EqualTo(30.0), $"clip {clip}");
            Assert.That(net.LearnableParams[1].GetDiff(), Is.All.EqualTo(8.0), $"clip {clip}");
        }
    }

    [Test]
    public void BuildsItsOwnTrainNet_FromNetParam_OrFile()
    {
        string text = $"base_lr: 0.1\nrandom_seed: 7\nnet_param {{ {LinearModel.Text.Replace("BATCH", "2")} }}";
        using (var solver = new SgdSolver<double>(SolverParameter.Parse(text)))
        {
            Assert.That(solver.Net.Phase, Is.EqualTo(Phase.Train));
            Assert.That(solver.Net.LearnableParams, Has.Count.EqualTo(2));
            LinearModel.Feed(solver.Net, LinearModel.BatchA, LinearModel.TargetA);
            solver.Step(2);
            Assert.That(solver.Iter, Is.EqualTo(2));
        }

        string path = Path.Combine(Path.GetTempPath(), $"crema-net-{Guid.NewGuid():N}.prototxt");
        try
        {
            File.WriteAllText(path, LinearModel.Text.Replace("BATCH", "2"));
            using var solver = new SgdSolver<double>(new SolverParameter { BaseLr = 0.1f, Net = path });
            Assert.That(solver.Net.Name, Is.EqualTo("linear"));
        }
        finally
        {
            File.Delete(path);
        }

        Assert.That(() => new SgdSolver<double>(new SolverParameter { BaseLr = 0.1f }), Throws.ArgumentException.With.Message.Contains("net_param"));
        Assert.That(() => new SgdSolver<double>(new SolverParameter { RegularizationType = "L1", NetParam = new() }),
            Throws.ArgumentException.With.Message.Contains("L1"));
    }

    [Test]
    public void Solve_RunsToMaxIter_AndTheLossFalls()
    {
        using var net = LinearModel.Create(2);
        LinearModel.Feed(net, LinearModel.BatchA, LinearModel.TargetA);
        using var solver = new SgdSolver<double>(new SolverParameter { BaseLr = 0.05f, Momentum = 0.9f, MaxIter = 60 }, net);
        solver.Step(1);
        double first = solver.SmoothedLoss;
        solver.Solve();
        Assert.That(solver.Iter, Is.EqualTo(60));
        Assert.That(solver.SmoothedLoss, Is.LessThan(first / 10));
    }

    [Test]
    public void Display_LogsTheSmoothedLossAndTheRate_EveryDisplayIterations()
    {
        using var net = LinearModel.Create(2);
        LinearModel.Feed(net, LinearModel.BatchA, LinearModel.TargetA);
        var logger = new ListLogger();
        var p = new SolverParameter { BaseLr = 0.5f, LrPolicy = "step", Gamma = 0.5f, Stepsize = 2, Display = 2 };
        using var solver = new SgdSolver<double>(p, net, logger);
        solver.Step(3);

        Assert.That(logger.Lines, Has.Count.EqualTo(4));
        Assert.That(logger.Lines[0], Does.StartWith("Iteration 0, loss = "));
        Assert.That(logger.Lines[1], Is.EqualTo("Iteration 0, lr = 0.5"));
        Assert.That(logger.Lines[2], Does.StartWith("Iteration 2, loss = "));
        Assert.That(logger.Lines[3], Is.EqualTo("Iteration 2, lr = 0.25"));
    }

    // Loss and gradients of y = W x + b against t with Caffe's Euclidean loss Σ(y − t)² / (2N).
    private static (double Loss, double[] DW, double[] DB) LinearGradients(double[] w, double[] b, double[] x, double[] t, int batch)
    {
        var dw = new double[6];
        var db = new double[2];
        double loss = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < 2; o++)
            {
                double y = b[o];
                for (int i = 0; i < 3; i++)
                {
                    y += w[(o * 3) + i] * x[(n * 3) + i];
                }

                double r = y - t[(n * 2) + o];
                loss += r * r / (2 * batch);
                db[o] += r / batch;
                for (int i = 0; i < 3; i++)
                {
                    dw[(o * 3) + i] += r * x[(n * 3) + i] / batch;
                }
            }
        }

        return (loss, dw, db);
    }
}
