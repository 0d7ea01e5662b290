using System.Globalization;
using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Fillers;
using Crema.Net;
using Crema.Parameters;
using Microsoft.Extensions.Logging;

namespace Crema.Solvers;

/// <summary>
/// Caffe's <c>SGDSolver</c>: stochastic gradient descent with momentum and L2 weight decay over a training
/// <see cref="Net{T}"/>. Each iteration of <see cref="Step"/> clears the param diffs, runs <c>iter_size</c>
/// forward/backward passes (the loss is their mean), then <see cref="ApplyUpdate"/>: the diffs are divided by
/// <c>iter_size</c>, clipped to a global L2 norm of <c>clip_gradients</c>, regularized
/// (diff += weight_decay · decay_mult · data), turned into the momentum update
/// (history = momentum · history + rate · lr_mult · diff; diff = history) and applied by <see cref="Net{T}.Update"/>.
/// </summary>
/// <remarks>
/// Unlike Caffe, which clips the accumulated (not yet averaged) gradient, the clip threshold here applies to the
/// averaged gradient, so it means the same for every <c>iter_size</c>. As in Caffe's loop, an iteration starts with
/// the test nets when one is due (<see cref="TestNets"/>, SgdSolverTestNets.cs) and ends with a snapshot every
/// <c>snapshot</c> iterations (<see cref="Snapshot()"/>, SgdSolverSnapshot.cs).
/// </remarks>
public sealed partial class SgdSolver<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Blob<T>> history = [];
    private readonly List<T> losses = [];
    private readonly bool ownsNet;
    private readonly ILogger? logger;
    private int lossIndex;
    private bool disposed;

    /// <summary>
    /// A solver for <paramref name="net"/>, which the caller keeps owning. The engine in use (<see cref="Engine"/>)
    /// decides where the update runs; <c>solver_mode</c> is for whoever selects it.
    /// </summary>
    /// <exception cref="ArgumentException">A bad value in <paramref name="param"/>; the message names the field.</exception>
    public SgdSolver(SolverParameter param, Net<T> net, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(param);
        ArgumentNullException.ThrowIfNull(net);
        param.Validate();
        Param = param.Clone();
        Net = net;
        this.logger = logger;
        CreateHistory();
        CreateTestNetsOrDispose(TrainDefinition);
    }

    /// <summary>
    /// A solver that builds its TRAIN net from <c>net_param</c>, or else from the file <c>net</c> names, after seeding
    /// the fillers with <c>random_seed</c> when it is non-negative. The solver owns (and disposes) that net.
    /// </summary>
    /// <exception cref="ArgumentException">A bad value, no net given, or a wiring error in the net.</exception>
    /// <exception cref="TextFormatException">The net file is malformed.</exception>
    public SgdSolver(SolverParameter param, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(param);
        param.Validate();
        Param = param.Clone();
        this.logger = logger;
        NetParameter netParam = Param.NetParam
            ?? (Param.Net.Length > 0
                ? NetParameter.ParseFile(Param.Net)
                : throw new ArgumentException("the solver names no net: give net or net_param", nameof(param)));
        if (Param.RandomSeed >= 0)
        {
            SeededRandom.SetGlobalSeed((ulong)Param.RandomSeed);
        }

        Net = new Net<T>(netParam, Phase.Train, logger);
        ownsNet = true;
        CreateHistory();
        CreateTestNetsOrDispose(() => netParam);
    }

    /// <summary>The solver's parameters (a copy of those given).</summary>
    public SolverParameter Param { get; }

    /// <summary>The net being trained.</summary>
    public Net<T> Net { get; }

    /// <summary>The number of iterations done; the learning rate is the policy's at this iteration.</summary>
    public int Iter { get; set; }

    /// <summary>The learning rate of the next iteration (the policy at <see cref="Iter"/>).</summary>
    public double LearningRate => LearningRateAt(Param, Iter);

    /// <summary>The mean of the last <c>average_loss</c> iteration losses (0 before the first iteration).</summary>
    public T SmoothedLoss { get; private set; }

    /// <summary>The momentum history, one blob per learnable param of the net.</summary>
    public IReadOnlyList<Blob<T>> History => history;

    /// <summary>
    /// The learning rate Caffe's policies give at <paramref name="iter"/>: <c>fixed</c> base_lr; <c>step</c>
    /// base_lr · gamma^⌊iter / stepsize⌋; <c>multistep</c> base_lr · gamma^(number of stepvalues ≤ iter);
    /// <c>exp</c> base_lr · gamma^iter; <c>inv</c> base_lr · (1 + gamma · iter)^−power; <c>poly</c>
    /// base_lr · (1 − iter / max_iter)^power; <c>sigmoid</c> base_lr / (1 + e^(−gamma · (iter − stepsize))).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown policy, or one missing what it needs.</exception>
    public static double LearningRateAt(SolverParameter param, int iter)
    {
        ArgumentNullException.ThrowIfNull(param);
        double baseLr = param.BaseLr;
        double gamma = param.Gamma;
        double power = param.Power;
        switch (param.LrPolicy)
        {
            case "fixed":
                return baseLr;
            case "step":
                if (param.Stepsize <= 0)
                {
                    throw new ArgumentException($"lr_policy step needs stepsize > 0, got {param.Stepsize}", nameof(param));
                }

                return baseLr * Math.Pow(gamma, iter / param.Stepsize);
            case "multistep":
                int passed = 0;
                while (passed < param.Stepvalue.Count && iter >= param.Stepvalue[passed])
                {
                    passed++;
                }

                return baseLr * Math.Pow(gamma, passed);
            case "exp":
                return baseLr * Math.Pow(gamma, iter);
            case "inv":
                return baseLr * Math.Pow(1 + (gamma * iter), -power);
            case "poly":
                if (param.MaxIter <= 0)
                {
                    throw new ArgumentException($"lr_policy poly needs max_iter > 0, got {param.MaxIter}", nameof(param));
                }

                return baseLr * Math.Pow(1 - ((double)iter / param.MaxIter), power);
            case "sigmoid":
                return baseLr * (1 / (1 + Math.Exp(-gamma * (iter - param.Stepsize))));
            default:
                throw new ArgumentException($"unknown lr_policy '{param.LrPolicy}'", nameof(param));
        }
    }

    /// <summary>Runs <paramref name="iters"/> training iterations (see the class summary).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iters"/> is negative.</exception>
    public void Step(int iters)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(iters);
        for (int n = 0; n < iters; n++)
        {
            Net.ClearParamDiffs();
            if (TestDue())
            {
                TestAll();
            }

            var loss = T.Zero;
            for (int i = 0; i < Param.IterSize; i++)
            {
                loss += Net.ForwardBackward();
            }

            loss /= T.CreateChecked(Param.IterSize);
            UpdateSmoothedLoss(loss);
            bool display = Param.Display > 0 && Iter % Param.Display == 0;
            if (display)
            {
                // Caffe's lines (numbers as C++ streams print them); reading the loss is the step's one host sync.
                Log($"Iteration {Iter}, loss = {Net<T>.Number(SmoothedLoss)}");
                Log($"Iteration {Iter}, lr = {Net<T>.Number(T.CreateChecked(LearningRate))}");
            }

            ApplyUpdate();
            if (Param.Snapshot > 0 && Iter % Param.Snapshot == 0)
            {
                Snapshot();
            }
        }
    }

    /// <summary>
    /// Caffe's <c>Solve</c>: restores <paramref name="resumeFile"/> when given, runs the iterations left until
    /// <c>max_iter</c>, then snapshots (<c>snapshot_after_train</c>, when there is a <c>snapshot_prefix</c> and the
    /// last iteration did not just snapshot), logs the loss of one more forward pass on display iterations and tests
    /// on test iterations, as Caffe does after the last step.
    /// </summary>
    public void Solve(string? resumeFile = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (resumeFile is not null)
        {
            Restore(resumeFile);
        }

        Step(Math.Max(0, Param.MaxIter - Iter));
        if (Param.SnapshotAfterTrain && Param.SnapshotPrefix.Length > 0 && (Param.Snapshot == 0 || Iter % Param.Snapshot != 0))
        {
            Snapshot();
        }

        if (Param.Display > 0 && Iter % Param.Display == 0)
        {
            UpdateSmoothedLoss(Net.Forward());
            Log($"Iteration {Iter}, loss = {Net<T>.Number(SmoothedLoss)}");
        }

        if (Param.TestInterval > 0 && Iter % Param.TestInterval == 0 && testNets.Count > 0)
        {
            TestAll();
        }

        Log("Optimization Done.");
    }

    /// <summary>
    /// Turns the param diffs the net holds into the update and applies it at the current learning rate, then
    /// advances <see cref="Iter"/>: normalize by <c>iter_size</c>, clip, regularize, momentum, <see cref="Net{T}.Update"/>.
    /// </summary>
    public void ApplyUpdate()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        double rate = LearningRate;
        var learnable = Net.LearnableParams;
        bool gpu = Engine.Current == ComputeEngine.Gpu;
        if (Param.IterSize > 1)
        {
            var scale = T.One / T.CreateChecked(Param.IterSize);
            foreach (var blob in learnable)
            {
                Scale(blob, scale, gpu);
            }
        }

        ClipGradients(gpu);

        // One pass of GpuMath calls per param (axpy, axpby, copy); a fused per-param kernel that does decay, momentum
        // and the copy in one read of data, diff and history is the follow-up. Nothing here reads back to the host.
        var momentum = T.CreateChecked(Param.Momentum);
        for (int i = 0; i < learnable.Count; i++)
        {
            var blob = learnable[i];
            if (blob.Count == 0)
            {
                continue;
            }

            var localDecay = T.CreateChecked((double)Param.WeightDecay * Net.ParamsWeightDecay[i]);
            var localRate = T.CreateChecked(rate * Net.ParamsLrMult[i]);
            var hist = history[i];
            if (gpu)
            {
                if (localDecay != T.Zero)
                {
                    GpuMath.Axpy(localDecay, blob.GpuData, blob.MutableGpuDiff);
                }

                GpuMath.Axpby(localRate, blob.GpuDiff, momentum, hist.MutableGpuData);
                GpuMath.Copy(hist.GpuData, blob.MutableGpuDiff);
            }
            else
            {
                if (localDecay != T.Zero)
                {
                    CpuMath.Axpy(localDecay, blob.CpuData, blob.MutableCpuDiff);
                }

                CpuMath.Axpby(localRate, blob.CpuDiff, momentum, hist.MutableCpuData);
                CpuMath.Copy(hist.CpuData, blob.MutableCpuDiff);
            }
        }

        Net.Update();
        Iter++;
    }

    /// <summary>Frees the history (and the net, when the solver built it).</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var blob in history)
        {
            blob.Dispose();
        }

        foreach (var net in testNets)
        {
            net.Dispose();
        }

        if (ownsNet)
        {
            Net.Dispose();
        }
    }

    private void CreateTestNetsOrDispose(Func<NetParameter?> trainDefinition)
    {
        try
        {
            CreateTestNets(trainDefinition());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static void Scale(Blob<T> blob, T factor, bool gpu)
    {
        if (blob.Count == 0)
        {
            return;
        }

        if (gpu)
        {
            GpuMath.Scal(factor, blob.MutableGpuDiff);
        }
        else
        {
            CpuMath.Scal(factor, blob.MutableCpuDiff);
        }
    }

    // Scales every diff by clip / ‖g‖ when the global L2 norm ‖g‖ of all learnable diffs exceeds clip_gradients.
    // On the GPU the norm is read back (one synchronisation per iteration, only when clipping is on).
    private void ClipGradients(bool gpu)
    {
        if (Param.ClipGradients < 0)
        {
            return;
        }

        double sumsq = 0;
        foreach (var blob in Net.LearnableParams)
        {
            if (blob.Count > 0)
            {
                sumsq += double.CreateChecked(gpu ? GpuMath.Sumsq(blob.GpuDiff) : CpuMath.Sumsq(blob.CpuDiff));
            }
        }

        double norm = Math.Sqrt(sumsq);
        if (norm > Param.ClipGradients)
        {
            var factor = T.CreateChecked(Param.ClipGradients / norm);
            Log(string.Create(
                CultureInfo.InvariantCulture,
                $"Gradient clipping: scaling down gradients (L2 norm {norm} > {Param.ClipGradients}) by scale factor {Param.ClipGradients / norm}"));
            foreach (var blob in Net.LearnableParams)
            {
                Scale(blob, factor, gpu);
            }
        }
    }

    private void UpdateSmoothedLoss(T loss)
    {
        if (losses.Count < Param.AverageLoss)
        {
            losses.Add(loss);
        }
        else
        {
            losses[lossIndex] = loss;
            lossIndex = (lossIndex + 1) % Param.AverageLoss;
        }

        var sum = T.Zero;
        foreach (var l in losses)
        {
            sum += l;
        }

        SmoothedLoss = sum / T.CreateChecked(losses.Count);
    }

    private void CreateHistory()
    {
        try
        {
            bool gpu = Engine.Current == ComputeEngine.Gpu;
            foreach (var param in Net.LearnableParams)
            {
                var blob = new Blob<T>([.. param.Shape]);
                history.Add(blob);
                if (blob.Count == 0)
                {
                    continue;
                }

                if (gpu)
                {
                    GpuMath.Set(T.Zero, blob.MutableGpuData);
                }
                else
                {
                    CpuMath.Set(T.Zero, blob.MutableCpuData);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Log(string line)
    {
        if (logger is not null)
        {
            SolverLog.Line(logger, line);
        }
    }
}

/// <summary>The solver's log lines, through a source-generated logger method.</summary>
internal static partial class SolverLog
{
    /// <summary>Writes one line as it is.</summary>
    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Line}")]
    public static partial void Line(ILogger logger, string line);
}
