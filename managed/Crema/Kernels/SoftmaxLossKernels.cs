using System.Numerics;
using Crema.Cuda;
using Crema.Interop;
using Crema.Parameters;
using static Crema.Kernels.SoftmaxKernels;

namespace Crema.Kernels;

/// <summary>The loss settings the softmax-loss kernels take.</summary>
/// <param name="IgnoreLabel">Positions with this label add nothing; null for none.</param>
/// <param name="Normalization">The normalizer mode (always max(1, n)).</param>
/// <param name="LabelSmoothing">PyTorch's ε in [0, 1]; 0 is off.</param>
public readonly record struct SoftmaxLossOptions(int? IgnoreLabel, NormalizationMode Normalization, double LabelSmoothing);

/// <summary>Launchers for <c>kernels/softmax_loss.cu</c>; asynchronous on the spans' context stream.</summary>
public static class SoftmaxLossKernels
{
    /// <summary>Value of the bad-label slot when every label was valid (the launcher fills it with 0x7F bytes).</summary>
    public const long NoBadLabel = 0x7F7F7F7F7F7F7F7F;

    /// <summary>
    /// Forward: reads the logits once; writes the log-sum-exp per position into <paramref name="lse"/>,
    /// the probabilities into <paramref name="prob"/> when given, Σ loss / normalizer into <paramref name="loss"/>[0],
    /// max(1, n) into <paramref name="normalizer"/>[0] and the least flat position of an invalid label into
    /// <paramref name="badLabel"/>[0] (<see cref="NoBadLabel"/> when none). With <paramref name="gradScale"/> and
    /// <paramref name="grad"/> (fused mode) it also writes grad = ∂loss/∂logits · gradScale[0] / normalizer.
    /// </summary>
    public static void Forward<T>(long outer, long channels, long inner, SoftmaxLossOptions options,
        DeviceSpan<T> logits, DeviceSpan<T> labels, DeviceSpan<T>? classWeights,
        DeviceSpan<T> lse, DeviceSpan<T>? prob, DeviceSpan<T> loss, DeviceSpan<T> normalizer, DeviceSpan<long> badLabel,
        DeviceSpan<T>? gradScale, DeviceSpan<T>? grad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>();
        long count = CheckShape<T>(outer, channels, inner);
        long positions = outer * inner;
        CheckOptions(options);
        if (gradScale.HasValue != grad.HasValue)
        {
            throw new ArgumentException(
                $"fused mode needs both gradScale and grad; got {(gradScale.HasValue ? "gradScale without grad" : "grad without gradScale")}",
                gradScale.HasValue ? nameof(grad) : nameof(gradScale));
        }

        var context = CheckSpan(logits, count, "outer·channels·inner", outer, channels, inner);
        CheckSpan(labels, positions, "outer·inner", outer, channels, inner);
        CheckSpan(lse, positions, "outer·inner", outer, channels, inner);
        CheckScalar(loss);
        CheckScalar(normalizer);
        CheckScalar(badLabel);
        CheckSameContext(context, labels);
        CheckSameContext(context, lse);
        CheckSameContext(context, loss);
        CheckSameContext(context, normalizer);
        CheckSameContext(context, badLabel);
        if (classWeights is { } weights)
        {
            CheckSpan(weights, channels, "channels", outer, channels, inner, nameof(classWeights));
            CheckSameContext(context, weights, nameof(classWeights));
        }

        if (prob is { } p)
        {
            CheckSpan(p, count, "outer·channels·inner", outer, channels, inner, nameof(prob));
            CheckSameContext(context, p, nameof(prob));
        }

        if (gradScale is { } scale && grad is { } g)
        {
            CheckScalar(scale, nameof(gradScale));
            CheckSpan(g, count, "outer·channels·inner", outer, channels, inner, nameof(grad));
            CheckSameContext(context, scale, nameof(gradScale));
            CheckSameContext(context, g, nameof(grad));
        }

        using var pLogits = logits.Acquire();
        using var pLabels = labels.Acquire();
        using var pWeights = classWeights.HasValue ? classWeights.Value.Acquire() : default;
        using var pLse = lse.Acquire();
        using var pProb = prob.HasValue ? prob.Value.Acquire() : default;
        using var pLoss = loss.Acquire();
        using var pNormalizer = normalizer.Acquire();
        using var pBad = badLabel.Acquire();
        using var pScale = gradScale.HasValue ? gradScale.Value.Acquire() : default;
        using var pGrad = grad.HasValue ? grad.Value.Acquire() : default;
        int hasIgnore = options.IgnoreLabel.HasValue ? 1 : 0;
        int ignore = options.IgnoreLabel ?? 0;
        int mode = (int)options.Normalization;
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_ssoftmax_loss_forward(context.Handle, outer, channels, inner, pLogits.Pointer, pLabels.Pointer,
                hasIgnore, ignore, mode, options.LabelSmoothing, pWeights.Pointer, pLse.Pointer, pProb.Pointer, pLoss.Pointer,
                pNormalizer.Pointer, pBad.Pointer, pScale.Pointer, pGrad.Pointer)
            : CremaNative.crema_dsoftmax_loss_forward(context.Handle, outer, channels, inner, pLogits.Pointer, pLabels.Pointer,
                hasIgnore, ignore, mode, options.LabelSmoothing, pWeights.Pointer, pLse.Pointer, pProb.Pointer, pLoss.Pointer,
                pNormalizer.Pointer, pBad.Pointer, pScale.Pointer, pGrad.Pointer));
    }

    /// <summary>
    /// Backward: grad = ∂loss/∂logits · topDiff[0] / normalizer[0], from the logits and the forward pass's lse;
    /// ignored positions get exactly 0.
    /// </summary>
    public static void Backward<T>(long outer, long channels, long inner, SoftmaxLossOptions options,
        DeviceSpan<T> logits, DeviceSpan<T> labels, DeviceSpan<T>? classWeights, DeviceSpan<T> lse,
        DeviceSpan<T> topDiff, DeviceSpan<T> normalizer, DeviceSpan<T> grad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>();
        long count = CheckShape<T>(outer, channels, inner);
        long positions = outer * inner;
        CheckOptions(options);
        var context = CheckSpan(logits, count, "outer·channels·inner", outer, channels, inner);
        CheckSpan(labels, positions, "outer·inner", outer, channels, inner);
        CheckSpan(lse, positions, "outer·inner", outer, channels, inner);
        CheckSpan(grad, count, "outer·channels·inner", outer, channels, inner);
        CheckScalar(topDiff);
        CheckScalar(normalizer);
        CheckSameContext(context, labels);
        CheckSameContext(context, lse);
        CheckSameContext(context, grad);
        CheckSameContext(context, topDiff);
        CheckSameContext(context, normalizer);
        if (classWeights is { } weights)
        {
            CheckSpan(weights, channels, "channels", outer, channels, inner, nameof(classWeights));
            CheckSameContext(context, weights, nameof(classWeights));
        }

        using var pLogits = logits.Acquire();
        using var pLabels = labels.Acquire();
        using var pWeights = classWeights.HasValue ? classWeights.Value.Acquire() : default;
        using var pLse = lse.Acquire();
        using var pTop = topDiff.Acquire();
        using var pNormalizer = normalizer.Acquire();
        using var pGrad = grad.Acquire();
        int hasIgnore = options.IgnoreLabel.HasValue ? 1 : 0;
        int ignore = options.IgnoreLabel ?? 0;
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_ssoftmax_loss_backward(context.Handle, outer, channels, inner, pLogits.Pointer, pLabels.Pointer,
                pLse.Pointer, hasIgnore, ignore, options.LabelSmoothing, pWeights.Pointer, pTop.Pointer, pNormalizer.Pointer, pGrad.Pointer)
            : CremaNative.crema_dsoftmax_loss_backward(context.Handle, outer, channels, inner, pLogits.Pointer, pLabels.Pointer,
                pLse.Pointer, hasIgnore, ignore, options.LabelSmoothing, pWeights.Pointer, pTop.Pointer, pNormalizer.Pointer, pGrad.Pointer));
    }

    /// <summary>
    /// Keeps the first invalid label of several forward passes: when <paramref name="latched"/>[0] holds
    /// <see cref="NoBadLabel"/> and <paramref name="badLabel"/>[0] (a <see cref="Forward{T}"/> slot) does not, copies
    /// the position to <paramref name="latched"/>[0] and the label there to <paramref name="latchedValue"/>[0] (NaN
    /// for a position outside the labels); otherwise changes nothing. Re-arm it with <see cref="ResetBadLabel"/>
    /// after reading it.
    /// </summary>
    /// <exception cref="ArgumentException">A default span, an empty scalar, or spans of different contexts.</exception>
    public static void LatchBadLabel<T>(DeviceSpan<T> labels, DeviceSpan<long> badLabel, DeviceSpan<long> latched, DeviceSpan<T> latchedValue)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>();
        CheckScalar(badLabel);
        CheckScalar(latched);
        CheckScalar(latchedValue);
        if (labels.Buffer is null)
        {
            throw new ArgumentException("labels is a default DeviceSpan with no buffer", nameof(labels));
        }

        var context = badLabel.Context;
        CheckSameContext(context, labels);
        CheckSameContext(context, latched);
        CheckSameContext(context, latchedValue);
        using var pLabels = labels.Acquire();
        using var pBad = badLabel.Acquire();
        using var pLatched = latched.Acquire();
        using var pValue = latchedValue.Acquire();
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_slatch_bad_label(context.Handle, labels.Length, pLabels.Pointer, pBad.Pointer, pLatched.Pointer, pValue.Pointer)
            : CremaNative.crema_dlatch_bad_label(context.Handle, labels.Length, pLabels.Pointer, pBad.Pointer, pLatched.Pointer, pValue.Pointer));
    }

    /// <summary>Sets a bad-label slot or latch to <see cref="NoBadLabel"/> (asynchronous on its context's stream).</summary>
    /// <exception cref="ArgumentException">A default or empty span.</exception>
    public static void ResetBadLabel(DeviceSpan<long> slot)
    {
        CheckScalar(slot);
        using var pointer = slot.Acquire();
        NativeStatus.ThrowIfFailed(CremaNative.crema_memset_async(pointer.Pointer, 0x7F, sizeof(long), slot.Context.Stream.Handle));
    }

    private static void CheckOptions(SoftmaxLossOptions options)
    {
        if (!Enum.IsDefined(options.Normalization))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Normalization,
                $"Normalization must be Full, Valid, BatchSize or None, got {(int)options.Normalization}");
        }

        if (!(options.LabelSmoothing >= 0 && options.LabelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LabelSmoothing,
                $"LabelSmoothing must be in [0, 1], got {options.LabelSmoothing}");
        }
    }
}
