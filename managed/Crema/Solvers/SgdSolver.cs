using System.Globalization;
using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Cuda;
using Crema.Fillers;
using Crema.Kernels;
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
/// (history = momentum · history + rate · lr_mult · diff; diff = history) and applied (data −= diff).
/// </summary>
/// <remarks>
/// <para>
/// The update is one fused pass per param (<see cref="SgdKernels.Update{T}"/> on the GPU, its twin
/// <c>SgdCpu.Update</c> on the CPU, equal bit for bit): g = diff · scale + local_decay · data, h = momentum · history +
/// local_rate · g, history = h, diff = h (the update stays in the diff, as in Caffe) and data −= h, reading data, diff
/// and history once. scale is one factor, 1 / iter_size times the clipping factor. Applying data −= h in the same pass
/// replaces <see cref="Net{T}.Update"/>, which would read data and diff again; it updates the same blobs (the learnable
/// params, which sharers see) with the same subtraction. With <c>debug_info</c> the data step is left to
/// <see cref="Net{T}.Update"/>, whose log lines show the data before it. Compared with the former sequence (scale by
/// 1 / iter_size, scale by the clipping factor, axpy, axpby, copy, update) the two scale factors are multiplied first,
/// so the diff is rounded once, and the norm's per-param shares are kept in double instead of rounded to T: equal bit
/// for bit when neither scaling applies.
/// </para>
/// <para>
/// Clipping: the threshold applies to the gradient averaged over <c>iter_size</c> (Caffe clips the accumulated sum,
/// so its threshold means something else for every <c>iter_size</c>; here iter_size 2 clips as one step on the doubled
/// batch does). The norm is √(Σ over params of Σ diff², each param's share summed in double) / iter_size, the shares
/// added in param order. On the GPU each share is a deterministic reduction into a device double and a one-thread
/// kernel turns them into the scale, which the update kernels read from device memory.
/// </para>
/// <para>
/// Host synchronisation on the GPU engine: none in a step, except on display iterations
/// (<c>display</c> &gt; 0 and iter % display == 0), where reading the smoothed loss waits for the device once (and
/// with clipping and a logger, reading the norm for the "Gradient clipping" line once more: that line is logged only
/// on display iterations on the GPU, on every clipped iteration on the CPU). Each pass adds its loss into a device
/// slot of the smoothed-loss window (<see cref="Net{T}.ForwardBackwardDeferred"/>); the window is read when
/// <see cref="SmoothedLoss"/> is, and errors the device recorded (an invalid label) are thrown then, at the latest:
/// on a display iteration, on a read of <see cref="SmoothedLoss"/> or a <see cref="Snapshot(string)"/>, or by the net's next
/// host read of a loss. Layers without GPU kernels still copy their blobs between host and device, which waits.
/// </para>
/// <para>
/// As in Caffe's loop, an iteration starts with the test nets when one is due (<see cref="TestNets"/>,
/// SgdSolverTestNets.cs) and ends with a snapshot every <c>snapshot</c> iterations (<see cref="Snapshot()"/>,
/// SgdSolverSnapshot.cs).
/// </para>
/// </remarks>
public sealed partial class SgdSolver<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Blob<T>> history = [];
    private readonly LossWindow<T> losses = new();
    private readonly bool ownsNet;
    private readonly ILogger? logger;
    private int lossIndex;
    private T smoothedLoss;
    private bool smoothedLossOnDevice;
    private double[]? hostSumsqs;
    private DeviceBuffer<double>? stepSumsqs;
    private DeviceBuffer<T>? stepScale;
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
    /// <remarks>
    /// On the GPU engine the iteration losses stay on the device until this is read: reading it then waits for the
    /// device and first throws what the device recorded since the last read (an invalid label; see
    /// <see cref="Net{T}.ThrowIfDeviceErrors"/>).
    /// </remarks>
    public T SmoothedLoss
    {
        get
        {
            if (smoothedLossOnDevice)
            {
                Net.ThrowIfDeviceErrors();
                smoothedLoss = losses.Mean();
                smoothedLossOnDevice = false;
            }

            return smoothedLoss;
        }

        private set
        {
            smoothedLoss = value;
            smoothedLossOnDevice = false;
        }
    }

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

    /// <summary>
    /// Called at the end of each iteration of <see cref="Step"/> (after the update and any snapshot) with the number
    /// of the iteration just done, as Caffe's log numbers it: <see cref="Iter"/> − 1. A test that iteration started
    /// with is in <see cref="LastTestResults"/> (its <see cref="SolverTestResult.Iteration"/> is that number).
    /// </summary>
    /// <remarks>
    /// On the GPU engine a callback that reads <see cref="SmoothedLoss"/> waits for the device; to keep steps free of
    /// host syncs, read it only on display iterations (<c>display</c> &gt; 0 and iteration % display == 0), where the
    /// step has waited already.
    /// </remarks>
    public List<Action<int>> AfterIteration { get; } = [];

    /// <summary>
    /// Runs <paramref name="iters"/> training iterations (see the class summary). When
    /// <paramref name="cancellationToken"/> is cancelled, returns before the next iteration starts (the one in progress
    /// completes, its update and snapshot included); nothing is thrown, and <see cref="Iter"/> says how far it got.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iters"/> is negative.</exception>
    public void Step(int iters, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(iters);
        for (int n = 0; n < iters && !cancellationToken.IsCancellationRequested; n++)
        {
            Net.ClearParamDiffs();
            if (TestDue())
            {
                TestAll();
            }

            ForwardBackwardIteration();
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

            foreach (var callback in AfterIteration)
            {
                callback(Iter - 1);
            }
        }
    }

    /// <summary>
    /// Caffe's <c>Solve</c>: restores <paramref name="resumeFile"/> when given, runs the iterations left until
    /// <c>max_iter</c>, then snapshots (<c>snapshot_after_train</c>, when there is a <c>snapshot_prefix</c> and the
    /// last iteration did not just snapshot), logs the loss of one more forward pass on display iterations and tests
    /// on test iterations, as Caffe does after the last step.
    /// </summary>
    /// <remarks>
    /// When <paramref name="cancellationToken"/> is cancelled, the iteration in progress completes (<see cref="Step"/>),
    /// then Solve snapshots when there is a <c>snapshot_prefix</c> and no snapshot of this iteration was written yet
    /// (whatever <c>snapshot_after_train</c> says: an interrupted run should be resumable), logs
    /// <c>Optimization stopped early.</c> and returns without throwing; <see cref="Iter"/> says where it stopped.
    /// </remarks>
    public void Solve(string? resumeFile = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (resumeFile is not null)
        {
            Restore(resumeFile);
        }

        Step(Math.Max(0, Param.MaxIter - Iter), cancellationToken);
        if (cancellationToken.IsCancellationRequested && Iter < Param.MaxIter)
        {
            if (Param.SnapshotPrefix.Length > 0 && lastSnapshotIter != Iter)
            {
                Snapshot();
            }

            Log("Optimization stopped early.");
            return;
        }

        if (Param.SnapshotAfterTrain && Param.SnapshotPrefix.Length > 0 && (Param.Snapshot == 0 || Iter % Param.Snapshot != 0))
        {
            Snapshot();
        }

        if (Param.Display > 0 && Iter % Param.Display == 0)
        {
            UpdateSmoothedLoss(NextLossSlot(), Net.Forward());
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
    /// advances <see cref="Iter"/>: one scale for <c>iter_size</c> and clipping, then per param the fused
    /// regularization, momentum and data step (see the class remarks).
    /// </summary>
    public void ApplyUpdate()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        double rate = LearningRate;
        var learnable = Net.LearnableParams;
        bool gpu = Engine.Current == ComputeEngine.Gpu;
        // With debug_info, Net.Update logs each param's data before the step and the update itself, so it keeps
        // the data step; otherwise the fused update applies it and Net.Update is not called.
        bool apply = !Net.DebugInfo;
        var hostScale = gpu ? T.One : ClipGradients();
        var deviceScale = gpu ? ClipGradientsOnDevice() : default;
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
                SgdKernels.Update(momentum, localDecay, localRate, deviceScale, apply,
                    blob.MutableGpuData, blob.MutableGpuDiff, hist.MutableGpuData);
            }
            else
            {
                SgdCpu.Update(momentum, localDecay, localRate, hostScale, apply,
                    blob.MutableCpuData, blob.MutableCpuDiff, hist.MutableCpuData);
            }
        }

        if (!apply)
        {
            Net.Update();
        }

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

        losses.Dispose();
        stepSumsqs?.Dispose();
        stepScale?.Dispose();

        if (ownsNet)
        {
            Net.Dispose();
        }
    }

    private void CreateTestNetsOrDispose(Func<NetParameter?> trainDefinition)
    {
        try
        {
            CreateTestNets(trainDefinition);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    // The iteration's iter_size forward/backward passes; their mean loss goes into the next slot of the smoothed-loss
    // window. On the GPU engine the passes add their losses into the slot on the device and nothing is read back.
    private void ForwardBackwardIteration()
    {
        int slot = NextLossSlot();
        if (Engine.Current == ComputeEngine.Gpu)
        {
            var sum = losses.DeviceSlot(slot);
            GpuMath.Set(T.Zero, sum);
            for (int i = 0; i < Param.IterSize; i++)
            {
                Net.ForwardBackwardDeferred(sum);
            }

            if (Param.IterSize > 1)
            {
                GpuMath.Scal(T.One / T.CreateChecked(Param.IterSize), sum);
            }

            smoothedLossOnDevice = true;
            return;
        }

        var loss = T.Zero;
        for (int i = 0; i < Param.IterSize; i++)
        {
            loss += Net.ForwardBackward();
        }

        // Times the reciprocal, not a division: the GPU engine scales its device sum by the same rounded
        // reciprocal (GpuMath.Scal), and the two differ by an ulp for an iter_size that is not a power of two.
        if (Param.IterSize > 1)
        {
            loss *= T.One / T.CreateChecked(Param.IterSize);
        }

        UpdateSmoothedLoss(slot, loss);
    }

    // The window's slot for this iteration: the next free one until average_loss are held, then the oldest.
    private int NextLossSlot()
    {
        losses.Reserve(Param.AverageLoss);
        if (losses.Count < Param.AverageLoss)
        {
            return losses.Count;
        }

        int slot = lossIndex;
        lossIndex = (lossIndex + 1) % Param.AverageLoss;
        return slot;
    }

    // The step's scale on the host: 1 / iter_size, times clip / ‖g‖ when the L2 norm ‖g‖ of all learnable diffs
    // averaged over iter_size exceeds clip_gradients (SgdCpu.ClipScale, the twin of the device's). Logs each clipping.
    private T ClipGradients()
    {
        double clip = Param.ClipGradients;
        int count = 0;
        if (clip >= 0)
        {
            var learnable = Net.LearnableParams;
            if (hostSumsqs is null || hostSumsqs.Length != learnable.Count)
            {
                hostSumsqs = new double[learnable.Count];
            }

            foreach (var blob in learnable)
            {
                if (blob.Count > 0)
                {
                    hostSumsqs[count++] = SgdCpu.SumsqToDouble(blob.CpuDiff);
                }
            }
        }

        var scale = SgdCpu.ClipScale<T>(hostSumsqs.AsSpan(0, count), clip, Param.IterSize, out double norm);
        if (clip >= 0 && norm > clip)
        {
            LogClipping(norm);
        }

        return scale;
    }

    // The same scale on the device: each learnable diff's Σ diff² into a device double (deterministic reductions,
    // one per param, added in param order by the scale kernel), then the scale the update kernels read. Nothing is
    // read back, except the norm for the clipping log line on display iterations, where the host waits anyway.
    private DeviceSpan<T> ClipGradientsOnDevice()
    {
        var context = Engine.GpuContext;
        var learnable = Net.LearnableParams;
        if (stepSumsqs is null || stepScale is null || stepScale.Context != context)
        {
            stepSumsqs?.Dispose();
            stepScale?.Dispose();
            stepSumsqs = null;
            stepScale = null;
            stepSumsqs = context.Allocate<double>(learnable.Count + 1);
            stepScale = context.Allocate<T>(1);
        }

        double clip = Param.ClipGradients;
        int count = 0;
        if (clip >= 0)
        {
            foreach (var blob in learnable)
            {
                if (blob.Count > 0)
                {
                    GpuMath.SumsqToDouble(blob.GpuDiff, stepSumsqs.Slice(count++, 1));
                }
            }
        }

        var norm = stepSumsqs.Slice(learnable.Count, 1);
        SgdKernels.ClipScale(stepSumsqs.Slice(0, count), clip, Param.IterSize, norm, stepScale.Span);
        if (clip >= 0 && logger is not null && Param.Display > 0 && Iter % Param.Display == 0)
        {
            double value;
            using (var pointer = norm.Acquire())
            {
                value = context.ReadScalar<double>(pointer.Pointer);
            }

            if (value > clip)
            {
                LogClipping(value);
            }
        }

        return stepScale.Span;
    }

    private void LogClipping(double norm) =>
        Log(string.Create(
            CultureInfo.InvariantCulture,
            $"Gradient clipping: scaling down gradients (L2 norm {norm} > {Param.ClipGradients}) by scale factor {Param.ClipGradients / norm}"));

    private void UpdateSmoothedLoss(int slot, T loss)
    {
        if (smoothedLossOnDevice)
        {
            // Device losses in the window from earlier GPU iterations: their errors are due before they are read.
            Net.ThrowIfDeviceErrors();
        }

        losses.Set(slot, loss);
        SmoothedLoss = losses.Mean();
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
