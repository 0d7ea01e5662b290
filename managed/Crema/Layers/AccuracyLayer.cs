using System.Globalization;
using System.Numerics;
using Crema.Core;
using Crema.Cuda;
using Crema.Kernels;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>Accuracy</c>: bottom[0] holds scores viewed as (outer, C, inner) around <c>axis</c>, bottom[1] one label
/// per (outer, inner) position. A position counts as correct when fewer than <c>top_k</c> classes score strictly
/// higher than its label; positions labelled <c>ignore_label</c> are not counted. top[0] is the fraction correct (0
/// when nothing counted); an optional top[1] of C elements gives it per class. No backward. A label is the integer it
/// truncates to (as Caffe's cast); a NaN label, or one neither ignored nor in [0, C), throws naming its position and
/// value. The GPU path (<c>kernels/accuracy.cu</c>) counts in integers, so both engines give the same bits; it records
/// an invalid label on the device and throws at the next read-back (<see cref="ThrowIfDeviceErrors"/>), as
/// SoftmaxWithLoss does.
/// </summary>
public sealed class AccuracyLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly BadLabelSlot<T> badLabels = new();
    private int outer;
    private int channels;
    private int inner;
    private DeviceBuffer<long>? classCounts;

    /// <summary>Creates the layer.</summary>
    public AccuracyLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "Accuracy";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 2;

    /// <inheritdoc/>
    public override int MinTopBlobs => 1;

    /// <inheritdoc/>
    public override int MaxTopBlobs => 2;

    /// <summary>Accuracy has no gradient, so no bottom takes a forced one.</summary>
    public override bool AllowForceBackward(int bottomIndex) => false;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">top_k exceeds the classes, or the labels do not match the positions.</exception>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var p = LayerParam.AccuracyParam;
        var scores = bottom[0];
        int axis = LayerShapes.CanonicalAxis(scores, p.Axis, "accuracy_param.axis", this);
        outer = LayerShapes.ToInt(scores.CountBetween(0, axis), "outer count", this);
        channels = scores.Shape[axis];
        inner = LayerShapes.ToInt(scores.CountFrom(axis + 1), "inner count", this);
        if (p.TopK == 0 || p.TopK > (uint)channels)
        {
            throw new ArgumentException(
                $"{this}: accuracy_param.top_k {p.TopK} must be in [1, {channels}], the number of classes of scores " +
                $"{LayerShapes.Text(scores.Shape)}");
        }

        if ((long)outer * inner != bottom[1].Count)
        {
            throw new ArgumentException(
                $"{this}: the labels {LayerShapes.Text(bottom[1].Shape)} must have outer·inner = {(long)outer * inner} " +
                $"elements for scores {LayerShapes.Text(scores.Shape)} with axis {axis}");
        }

        top[0].Reshape([]);
        if (top.Count > 1)
        {
            top[1].Reshape(channels);
        }
    }

    /// <summary>Throws for an invalid label the last GPU forward pass recorded (reads one scalar back, waiting for the stream).</summary>
    /// <exception cref="ArgumentException">The least position whose label was invalid, with its value.</exception>
    public override void ThrowIfDeviceErrors()
    {
        if (badLabels.Take() is { } bad)
        {
            throw BadLabel(bad.Position, bad.Value);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A label that is NaN or neither ignored nor in [0, C).</exception>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var p = LayerParam.AccuracyParam;
        var scores = bottom[0].CpuData;
        var labels = bottom[1].CpuData;
        var correctPerClass = new long[channels];
        var countPerClass = new long[channels];
        long correct = 0;
        long counted = 0;
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < inner; j++)
            {
                T value = labels[(o * inner) + j];
                bool isNaN = T.IsNaN(value);
                int label = int.CreateSaturating(value);
                if (!isNaN && p.IgnoreLabel is int ignored && label == ignored)
                {
                    continue;
                }

                if (isNaN || label < 0 || label >= channels)
                {
                    throw BadLabel((o * inner) + j, value);
                }

                countPerClass[label]++;
                counted++;
                int baseIndex = o * channels * inner + j;
                T truth = scores[baseIndex + (label * inner)];
                int better = 0;
                for (int c = 0; c < channels && better < p.TopK; c++)
                {
                    if (scores[baseIndex + (c * inner)] > truth)
                    {
                        better++;
                    }
                }

                if (better < p.TopK)
                {
                    correct++;
                    correctPerClass[label]++;
                }
            }
        }

        top[0].MutableCpuData[0] = counted == 0 ? T.Zero : T.CreateTruncating(correct / (double)counted);
        if (top.Count > 1)
        {
            var perClass = top[1].MutableCpuData;
            for (int c = 0; c < channels; c++)
            {
                perClass[c] = countPerClass[c] == 0 ? T.Zero : T.CreateTruncating(correctPerClass[c] / (double)countPerClass[c]);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Nothing is read back: an invalid label is thrown by <see cref="ThrowIfDeviceErrors"/> (which
    /// <see cref="Layer{T}.Forward"/> and a net's forward pass call).</remarks>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var p = LayerParam.AccuracyParam;
        var context = Engine.GpuContext;
        var badLabel = badLabels.On(context);
        DeviceSpan<T>? perClass = null;
        DeviceSpan<long>? counts = null;
        if (top.Count > 1)
        {
            if (classCounts is null || classCounts.Context != context || classCounts.Length != 2L * channels)
            {
                classCounts?.Dispose();
                classCounts = context.Allocate<long>(2L * channels);
            }

            perClass = top[1].MutableGpuData;
            counts = classCounts.Span;
        }

        AccuracyKernels.Forward(outer, channels, inner, new AccuracyOptions((int)p.TopK, p.IgnoreLabel),
            bottom[0].GpuData, bottom[1].GpuData, top[0].MutableGpuData, perClass, counts, badLabel);
        badLabels.Pending(bottom[1]);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Any propagateDown entry is true.</exception>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (propagateDown.Any(d => d))
        {
            throw new NotSupportedException($"{this}: Accuracy layer cannot backpropagate");
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            badLabels.Dispose();
            classCounts?.Dispose();
        }

        base.Dispose(disposing);
    }

    private ArgumentException BadLabel(long position, T value)
    {
        long i = position / inner, j = position % inner;
        string where = inner == 1 ? $"position {position}" : $"position {position} (outer index {i}, inner index {j})";
        string ignore = LayerParam.AccuracyParam.IgnoreLabel is int ig ? $" and is not the ignore_label {ig}" : "";
        return new ArgumentException(
            $"{this}: label {value.ToString(null, CultureInfo.InvariantCulture)} at {where} is not a class in [0, {channels}){ignore}");
    }
}
