using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Cuda;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's layer contract. <see cref="SetUp"/> checks the blob counts, runs <see cref="LayerSetUp"/> and
/// <see cref="Reshape"/> and fills each weighted top's diff with its loss weight; <see cref="Forward"/> reshapes,
/// runs the engine's variant (<see cref="ForwardCpu"/> or <see cref="ForwardGpu"/>) and returns the weighted loss;
/// <see cref="Backward"/> runs <see cref="BackwardCpu"/> or <see cref="BackwardGpu"/>. The CPU variants are the
/// reference; a layer without GPU kernels runs its CPU variant on either engine.
/// </summary>
public abstract class Layer<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<T> lossWeights = [];
    private readonly List<bool> paramPropagateDown = [];
    private bool disposed;

    /// <summary>Creates the layer from its parameter (kept as given; the layer does not copy it).</summary>
    protected Layer(LayerParameter param)
    {
        ArgumentNullException.ThrowIfNull(param);
        LayerParam = param;
        Phase = param.Phase ?? Parameters.Phase.Train;
    }

    /// <summary>The parameter the layer was made from.</summary>
    public LayerParameter LayerParam { get; }

    /// <summary>The phase the layer runs in.</summary>
    public Phase Phase { get; }

    /// <summary>The registry name of the layer type.</summary>
    public abstract string Type { get; }

    /// <summary>The learnable blobs (weights, biases); empty for layers without parameters.</summary>
    public List<Blob<T>> Blobs { get; } = [];

    /// <summary>Exact number of bottoms, or -1 for no exact requirement.</summary>
    public virtual int ExactNumBottomBlobs => -1;

    /// <summary>Least number of bottoms, or -1.</summary>
    public virtual int MinBottomBlobs => -1;

    /// <summary>Most bottoms, or -1.</summary>
    public virtual int MaxBottomBlobs => -1;

    /// <summary>Exact number of tops, or -1 for no exact requirement.</summary>
    public virtual int ExactNumTopBlobs => -1;

    /// <summary>Least number of tops, or -1.</summary>
    public virtual int MinTopBlobs => -1;

    /// <summary>Most tops, or -1.</summary>
    public virtual int MaxTopBlobs => -1;

    /// <summary>Whether the layer needs as many tops as bottoms.</summary>
    public virtual bool EqualNumBottomTopBlobs => false;

    /// <summary>Whether a net should create the least number of anonymous tops the layer needs.</summary>
    public virtual bool AutoTopBlobs => false;

    /// <summary>Whether <c>force_backward</c> may make bottom <paramref name="bottomIndex"/> propagate down.</summary>
    public virtual bool AllowForceBackward(int bottomIndex) => true;

    /// <summary>
    /// Whether Backward computes the diff of learnable blob <paramref name="paramIndex"/> (Caffe's
    /// <c>param_propagate_down</c>); true unless set otherwise.
    /// </summary>
    public bool ParamPropagateDown(int paramIndex) =>
        paramIndex >= paramPropagateDown.Count || paramPropagateDown[paramIndex];

    /// <summary>Sets whether Backward computes the diff of learnable blob <paramref name="paramIndex"/>.</summary>
    public void SetParamPropagateDown(int paramIndex, bool value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(paramIndex);
        while (paramPropagateDown.Count <= paramIndex)
        {
            paramPropagateDown.Add(true);
        }

        paramPropagateDown[paramIndex] = value;
    }

    /// <summary>The loss weight of top <paramref name="topIndex"/> (0 for tops that are not part of the loss).</summary>
    public T LossWeight(int topIndex) => topIndex >= 0 && topIndex < lossWeights.Count ? lossWeights[topIndex] : T.Zero;

    /// <summary>Whether any top has a nonzero loss weight.</summary>
    public bool HasLoss => lossWeights.Exists(w => w != T.Zero);

    /// <summary>
    /// Checks the blob counts, runs <see cref="LayerSetUp"/> and <see cref="Reshape"/>, and writes each top's loss
    /// weight into its diff (so that Backward scales by it).
    /// </summary>
    /// <exception cref="ArgumentException">Wrong number of bottoms or tops, or shapes the layer cannot take.</exception>
    public void SetUp(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        CheckBlobCounts(bottom, top);
        LayerSetUp(bottom, top);
        Reshape(bottom, top);
        SetLossWeights(top);
    }

    /// <summary>One-time setup from the parameter and the first bottoms (before <see cref="Reshape"/>).</summary>
    public virtual void LayerSetUp(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
    }

    /// <summary>Shapes the tops (and internal buffers) for the bottoms' shapes; cheap when nothing changed.</summary>
    public abstract void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top);

    /// <summary>
    /// Reshapes, computes the tops on the current engine and returns the weighted loss
    /// (Σ over weighted tops of data · loss weight), reading it back from the device on the GPU engine. Use
    /// <see cref="ForwardDeferred"/> to leave the loss on the device.
    /// </summary>
    public T Forward(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        ForwardDeferred(bottom, top);
        return ReadLoss(top);
    }

    /// <summary>
    /// Reshapes and computes the tops on the current engine without reading anything back: on the GPU nothing
    /// here waits for the device. <see cref="ReadLoss"/> gives the weighted loss afterwards.
    /// </summary>
    public void ForwardDeferred(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Reshape(bottom, top);
        if (Engine.Current == ComputeEngine.Gpu)
        {
            ForwardGpu(bottom, top);
        }
        else
        {
            ForwardCpu(bottom, top);
        }
    }

    /// <summary>
    /// The weighted loss of the last forward pass: Σ over tops with a nonzero loss weight of data · diff (the diff
    /// holds the loss weight). Errors the device recorded during the pass are thrown here
    /// (see <see cref="ThrowIfDeviceErrors"/>).
    /// </summary>
    public T ReadLoss(IReadOnlyList<Blob<T>> top)
    {
        ThrowIfDeviceErrors();
        var loss = T.Zero;
        for (int i = 0; i < top.Count && i < lossWeights.Count; i++)
        {
            if (lossWeights[i] == T.Zero)
            {
                continue;
            }

            var blob = top[i];
            loss += blob.Data.Head == SyncedHead.HeadAtGpu
                ? GpuMath.Dot(blob.GpuData, blob.GpuDiff)
                : CpuMath.Dot(blob.CpuData, blob.CpuDiff);
        }

        return loss;
    }

    /// <summary>
    /// Adds the weighted loss of the last forward pass to <paramref name="sum"/>[0] on the device, without reading
    /// anything back: for each top with a nonzero loss weight, in top order, Σ data · diff (the diff holds the loss
    /// weight) rounded to T, in the order <see cref="ReadLoss"/> adds them on the host. (Called once per pass into one
    /// sum, as the solver does over iter_size passes, it adds the tops of every pass into that sum in turn; the CPU
    /// engine adds each pass's total instead, so with two or more weighted loss tops and iter_size above one the two
    /// may round differently in the last place.) Device errors are not thrown here: they
    /// wait for the next <see cref="ThrowIfDeviceErrors"/> (which <see cref="ReadLoss"/> calls). A top computed on the
    /// host (a layer without GPU kernels) is copied to the device first, which waits for the device.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="sum"/> is a default or empty span, or belongs to another
    /// context than the tops' device memory.</exception>
    public void AccumulateLoss(IReadOnlyList<Blob<T>> top, DeviceSpan<T> sum)
    {
        ArgumentNullException.ThrowIfNull(top);
        for (int i = 0; i < top.Count && i < lossWeights.Count; i++)
        {
            if (lossWeights[i] == T.Zero)
            {
                continue;
            }

            var blob = top[i];
            GpuMath.DotAccumulate(blob.GpuData, blob.GpuDiff, sum);
        }
    }

    /// <summary>
    /// Throws what the device recorded during the forward passes since the last call (for example an invalid label),
    /// reading a status back from the device if the layer keeps one; layers that record nothing do nothing here.
    /// </summary>
    public virtual void ThrowIfDeviceErrors()
    {
    }

    /// <summary>
    /// Computes the bottoms' diffs from the tops' diffs on the current engine, for each bottom whose
    /// <paramref name="propagateDown"/> entry is true.
    /// </summary>
    public void Backward(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (propagateDown.Count != bottom.Count)
        {
            throw new ArgumentException(
                $"{this}: propagateDown has {propagateDown.Count} entries but the layer has {bottom.Count} bottoms",
                nameof(propagateDown));
        }

        if (Engine.Current == ComputeEngine.Gpu)
        {
            BackwardGpu(top, propagateDown, bottom);
        }
        else
        {
            BackwardCpu(top, propagateDown, bottom);
        }
    }

    /// <summary>The CPU forward pass (the reference).</summary>
    protected abstract void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top);

    /// <summary>The GPU forward pass; by default the CPU one.</summary>
    protected virtual void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top) => ForwardCpu(bottom, top);

    /// <summary>The CPU backward pass (the reference).</summary>
    protected abstract void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom);

    /// <summary>The GPU backward pass; by default the CPU one.</summary>
    protected virtual void BackwardGpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom) =>
        BackwardCpu(top, propagateDown, bottom);

    /// <summary>
    /// The loss weight a top gets when the parameter gives none: 0, except a loss layer's first top
    /// (<see cref="LossLayer{T}"/>).
    /// </summary>
    public virtual T DefaultLossWeight(int topIndex) => T.Zero;

    /// <summary>Frees what the layer owns: its learnable blobs and any buffers of its own.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees owned resources; overrides call the base.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var blob in Blobs)
            {
                blob.Dispose();
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.IsNullOrEmpty(LayerParam.Name) ? $"{Type} layer" : $"{Type} layer '{LayerParam.Name}'";

    private void CheckBlobCounts(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        ArgumentNullException.ThrowIfNull(bottom);
        ArgumentNullException.ThrowIfNull(top);
        CheckCount("bottom", bottom.Count, ExactNumBottomBlobs, MinBottomBlobs, MaxBottomBlobs);
        CheckCount("top", top.Count, ExactNumTopBlobs, MinTopBlobs, MaxTopBlobs);
        if (EqualNumBottomTopBlobs && bottom.Count != top.Count)
        {
            throw new ArgumentException($"{this} needs as many tops as bottoms, got {bottom.Count} bottoms and {top.Count} tops");
        }
    }

    private void CheckCount(string what, int count, int exact, int min, int max)
    {
        if (exact >= 0 && count != exact)
        {
            throw new ArgumentException($"{this} takes {exact} {what} blob(s), got {count}");
        }

        if (min >= 0 && count < min)
        {
            throw new ArgumentException($"{this} takes at least {min} {what} blob(s), got {count}");
        }

        if (max >= 0 && count > max)
        {
            throw new ArgumentException($"{this} takes at most {max} {what} blob(s), got {count}");
        }
    }

    private void SetLossWeights(IReadOnlyList<Blob<T>> top)
    {
        var given = LayerParam.LossWeight;
        // Caffe wants all or none; fewer is allowed here (the rest keep their defaults, 0 past a loss layer's first
        // top), so `loss_weight: 3` works on a SoftmaxWithLoss that also outputs probabilities.
        if (given.Count > top.Count)
        {
            throw new ArgumentException(
                $"{this}: loss_weight is given {given.Count} times but the layer has {top.Count} top(s)");
        }

        lossWeights.Clear();
        for (int i = 0; i < top.Count; i++)
        {
            var weight = i < given.Count ? T.CreateChecked(given[i]) : DefaultLossWeight(i);
            if (!T.IsFinite(weight))
            {
                throw new ArgumentException($"{this}: loss_weight {weight} of top {i} is not finite");
            }

            lossWeights.Add(weight);
            if (weight != T.Zero)
            {
                FillDiff(top[i], weight);
            }
        }
    }

    private static void FillDiff(Blob<T> blob, T value)
    {
        if (blob.Count == 0)
        {
            return;
        }

        if (Engine.Current == ComputeEngine.Gpu)
        {
            GpuMath.Set(value, blob.MutableGpuDiff);
        }
        else
        {
            CpuMath.Set(value, blob.MutableCpuDiff);
        }
    }
}
