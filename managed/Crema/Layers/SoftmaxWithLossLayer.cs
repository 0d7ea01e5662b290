using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Kernels;
using Crema.Layers.Cpu;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's SoftmaxWithLoss: the cross-entropy of softmax(bottom[0]) along <c>softmax_param.axis</c> against the
/// labels in bottom[1] (stored as T, one per position), as defined in docs/softmax-loss-semantics.md. Top 0 is the
/// loss (a scalar); an optional top 1 gets the probabilities. Supports <c>ignore_label</c>, the four normalizations
/// (and legacy <c>normalize</c>), <c>loss_weight</c>, and PyTorch's <c>label_smoothing</c> and class <c>weight</c>.
/// Unlike Caffe, the softmax is not a separate inner layer: one pass computes the log-sum-exp per position, which
/// Backward reuses, so nothing is written into the bottom diff but the gradient, and two tops work.
/// </summary>
public sealed class SoftmaxWithLossLayer<T> : LossLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Blob<T> lse = new();
    private readonly Blob<T> normalizer = new(1);
    private readonly BadLabelSlot<T> badLabels = new();
    private Blob<T>? classWeights;
    private SoftmaxLossSpec<T>? spec;
    private int[]? classes;
    private long outer;
    private long channels;
    private long inner;
    private bool gradientFromForward;

    /// <summary>Creates the layer.</summary>
    public SoftmaxWithLossLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "SoftmaxWithLoss";

    /// <inheritdoc/>
    public override int ExactNumTopBlobs => -1;

    /// <inheritdoc/>
    public override int MinTopBlobs => 1;

    /// <inheritdoc/>
    public override int MaxTopBlobs => 2;

    /// <summary>
    /// Fused mode: Forward also writes bottom[0]'s diff, using top[0]'s diff as it is at Forward time (the loss
    /// weight in a net), and Backward then has nothing left to do. For a net that will certainly back-propagate: a
    /// training step then reads the logits once and writes the gradient once.
    /// </summary>
    public bool FusedBackward { get; set; }

    /// <summary>The class axis in use, after the last Reshape (non-negative).</summary>
    public int Axis { get; private set; }

    /// <summary>The normalization in effect (<c>normalization</c>, else legacy <c>normalize</c>, else VALID).</summary>
    public NormalizationMode Normalization => LayerParam.LossParam.EffectiveNormalization;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A label smoothing outside [0, 1] or a negative or non-finite class weight.</exception>
    public override void LayerSetUp(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var lossParam = LayerParam.LossParam;
        float smoothing = lossParam.LabelSmoothing;
        if (!(smoothing >= 0 && smoothing <= 1))
        {
            throw new ArgumentException(
                $"{this}: loss_param.label_smoothing {smoothing.ToString(CultureInfo.InvariantCulture)} is outside [0, 1]");
        }

        T[]? weights = null;
        if (lossParam.Weight.Count > 0)
        {
            weights = new T[lossParam.Weight.Count];
            for (int c = 0; c < weights.Length; c++)
            {
                float w = lossParam.Weight[c];
                if (!float.IsFinite(w) || w < 0)
                {
                    throw new ArgumentException(
                        $"{this}: loss_param.weight {w.ToString(CultureInfo.InvariantCulture)} of class {c} must be finite and non-negative");
                }

                weights[c] = T.CreateChecked(w);
            }

            classWeights?.Dispose();
            classWeights = new Blob<T>(weights.Length);
            classWeights.SetData(weights);
        }

        spec = new SoftmaxLossSpec<T>(lossParam.IgnoreLabel, lossParam.EffectiveNormalization, smoothing, weights);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The label count does not match the positions of the logits.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside the logits' axes.</exception>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        base.Reshape(bottom, top);
        var x = bottom[0];
        Axis = LayerShapes.CanonicalAxis(x, LayerParam.SoftmaxParam.Axis, "softmax_param.axis", this);
        outer = x.CountBetween(0, Axis);
        channels = x.Shape[Axis];
        inner = x.CountFrom(Axis + 1);
        if (outer * inner != bottom[1].Count)
        {
            throw new ArgumentException(
                $"{this}: the labels must have one value per position (outer · inner = {outer} · {inner} = {outer * inner} " +
                $"for predictions ({string.Join(", ", x.Shape)}) with class axis {Axis}), but labels ({string.Join(", ", bottom[1].Shape)}) " +
                $"have {bottom[1].Count}");
        }

        if (classWeights is not null && classWeights.Count != channels)
        {
            throw new ArgumentException(
                $"{this}: loss_param.weight has {classWeights.Count} values but the predictions have {channels} classes");
        }

        lse.ReshapeLike(bottom[1]);
        if (top.Count == 2)
        {
            top[1].ReshapeLike(x);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Every GPU forward pass latches its first invalid label (position and value as they were then) on the device
    /// unless an earlier pass already did, so the first error of all the passes since the last check is thrown here,
    /// however many passes ran without a host read (a net accumulating its loss on the device).
    /// </remarks>
    public override void ThrowIfDeviceErrors()
    {
        if (badLabels.Take() is { } bad)
        {
            throw BadLabel(bad.Position, bad.Value);
        }
    }

    /// <inheritdoc/>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var s = Spec;
        var labels = bottom[1].CpuData;
        var scan = SoftmaxLossCpu.ScanLabels(labels, channels, s, Classes(labels.Length));
        if (scan.BadPosition >= 0)
        {
            throw BadLabel(scan.BadPosition, labels[(int)scan.BadPosition]);
        }

        double n = SoftmaxLossCpu.Normalizer(s.Normalization, outer, inner, scan, s.ClassWeights is not null);
        normalizer.MutableCpuData[0] = T.CreateChecked(n);
        bool fused = FusedBackward && !IsEmpty;
        T gradScale = fused ? top[0].CpuDiff[0] / T.CreateChecked(n) : T.Zero;
        double sum = SoftmaxLossCpu.Forward(outer, channels, inner, s, scan.Classes,
            bottom[0].CpuData, lse.MutableCpuData, top.Count == 2 ? top[1].MutableCpuData : [],
            fused ? bottom[0].MutableCpuDiff : [], gradScale);
        top[0].MutableCpuData[0] = T.CreateChecked(sum / n);
        gradientFromForward = fused;
    }

    /// <inheritdoc/>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var s = Spec;
        gradientFromForward = false;
        if (IsEmpty)
        {
            // Nothing to read: the loss is 0 and the normalizer 1 (the guard), without launching a pass.
            GpuMath.Set(T.Zero, top[0].MutableGpuData);
            GpuMath.Set(T.One, normalizer.MutableGpuData);
            if (top.Count == 2 && top[1].Count > 0)
            {
                top[1].MutableGpuData.Clear();
            }

            return;
        }

        var badLabel = badLabels.On(Engine.GpuContext);
        bool fused = FusedBackward;
        SoftmaxLossKernels.Forward(outer, channels, inner, Options(s),
            bottom[0].GpuData, bottom[1].GpuData, classWeights?.GpuData,
            lse.MutableGpuData, top.Count == 2 ? top[1].MutableGpuData : null,
            top[0].MutableGpuData, normalizer.MutableGpuData, badLabel,
            fused ? top[0].GpuDiff : null, fused ? bottom[0].MutableGpuDiff : null);
        badLabels.Pending(bottom[1]);
        gradientFromForward = fused;
    }

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        CheckPropagateDown(propagateDown);
        if (!propagateDown[0] || gradientFromForward || bottom[0].Count == 0)
        {
            return;
        }

        var s = Spec;
        var labels = bottom[1].CpuData;
        var scan = SoftmaxLossCpu.ScanLabels(labels, channels, s, Classes(labels.Length));
        if (scan.BadPosition >= 0)
        {
            throw BadLabel(scan.BadPosition, labels[(int)scan.BadPosition]);
        }

        T scale = top[0].CpuDiff[0] / normalizer.CpuData[0];
        SoftmaxLossCpu.Backward(outer, channels, inner, s, scan.Classes, bottom[0].CpuData, lse.CpuData,
            bottom[0].MutableCpuDiff, scale);
    }

    /// <inheritdoc/>
    protected override void BackwardGpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        CheckPropagateDown(propagateDown);
        if (!propagateDown[0] || gradientFromForward || bottom[0].Count == 0)
        {
            return;
        }

        var s = Spec;
        SoftmaxLossKernels.Backward(outer, channels, inner, Options(s),
            bottom[0].GpuData, bottom[1].GpuData, classWeights?.GpuData, lse.GpuData,
            top[0].GpuDiff, normalizer.GpuData, bottom[0].MutableGpuDiff);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lse.Dispose();
            normalizer.Dispose();
            classWeights?.Dispose();
            badLabels.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool IsEmpty => outer * inner == 0 || channels == 0;

    /// <summary>The per-position class buffer of the CPU passes, kept between calls (it is as large as the labels).</summary>
    private int[] Classes(int length)
    {
        if (classes is null || classes.Length != length)
        {
            classes = new int[length];
        }

        return classes;
    }

    private SoftmaxLossSpec<T> Spec =>
        spec ?? throw new InvalidOperationException($"{this}: SetUp must run before Forward and Backward");

    private static SoftmaxLossOptions Options(SoftmaxLossSpec<T> s) =>
        new(s.IgnoreLabel, s.Normalization, double.CreateChecked(s.Smoothing));

    private void CheckPropagateDown(IReadOnlyList<bool> propagateDown)
    {
        if (propagateDown[1])
        {
            throw new ArgumentException($"{this} cannot backpropagate to label inputs (propagate_down[1] is true)",
                nameof(propagateDown));
        }
    }

    private ArgumentException BadLabel(long position, T value)
    {
        long i = position / inner, j = position % inner;
        string where = inner == 1 ? $"position {position}" : $"position {position} (outer index {i}, inner index {j})";
        string ignore = LayerParam.LossParam.IgnoreLabel is int ig ? $" and is not the ignore_label {ig}" : "";
        return new ArgumentException(
            $"{this}: label {value.ToString(null, CultureInfo.InvariantCulture)} at {where} is not an integer in [0, {channels}){ignore}");
    }
}
