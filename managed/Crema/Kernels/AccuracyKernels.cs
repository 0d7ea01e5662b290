using System.Numerics;
using Crema.Cuda;
using Crema.Interop;
using static Crema.Kernels.SoftmaxKernels;

namespace Crema.Kernels;

/// <summary>The settings the accuracy kernel takes.</summary>
/// <param name="TopK">A position is correct when fewer than TopK classes score strictly higher than its label (≥ 1).</param>
/// <param name="IgnoreLabel">Positions with this label are not counted; null for none.</param>
public readonly record struct AccuracyOptions(int TopK, int? IgnoreLabel);

/// <summary>Launcher for <c>kernels/accuracy.cu</c> (Caffe's Accuracy); asynchronous on the spans' context stream.</summary>
public static class AccuracyKernels
{
    /// <summary>Value of the bad-label slot when every label was valid (the same as the softmax loss uses).</summary>
    public const long NoBadLabel = SoftmaxLossKernels.NoBadLabel;

    /// <summary>
    /// Over scores viewed as (outer, channels, inner) and one label per (outer, inner) position: accuracy[0] = correct /
    /// counted (0 when nothing is counted), and with <paramref name="perClass"/> the same fraction per label class (0
    /// for a class with no position), using <paramref name="classCounts"/> (2·channels) as scratch. A label is the
    /// integer it truncates to; ignored positions are not counted; an invalid label (NaN, or neither ignored nor in
    /// [0, channels)) is not counted either, and the least such position goes to badLabel[0]
    /// (<see cref="NoBadLabel"/> when none). The results are exact and the same on every run.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative size, or TopK below 1.</exception>
    /// <exception cref="ArgumentException">A span has no buffer, another length than the shape asks, or another context; perClass without classCounts.</exception>
    public static void Forward<T>(long outer, long channels, long inner, AccuracyOptions options,
        DeviceSpan<T> scores, DeviceSpan<T> labels, DeviceSpan<T> accuracy, DeviceSpan<T>? perClass,
        DeviceSpan<long>? classCounts, DeviceSpan<long> badLabel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = KernelChecks.IsFloat<T>("accuracy");
        long count = CheckShape<T>(outer, channels, inner);
        long positions = outer * inner;
        if (options.TopK < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.TopK, $"TopK must be at least 1, got {options.TopK}");
        }

        if (perClass.HasValue != classCounts.HasValue)
        {
            throw new ArgumentException(
                $"the per-class output needs both perClass and classCounts; got {(perClass.HasValue ? "perClass without classCounts" : "classCounts without perClass")}",
                perClass.HasValue ? nameof(classCounts) : nameof(perClass));
        }

        var context = CheckSpan(scores, count, "outer·channels·inner", outer, channels, inner);
        CheckSpan(labels, positions, "outer·inner", outer, channels, inner);
        CheckScalar(accuracy);
        CheckScalar(badLabel);
        CheckSameContext(context, labels);
        CheckSameContext(context, accuracy);
        CheckSameContext(context, badLabel);
        if (perClass is { } pc && classCounts is { } cc)
        {
            CheckSpan(pc, channels, "channels", outer, channels, inner, nameof(perClass));
            CheckSpan(cc, 2 * channels, "2·channels", outer, channels, inner, nameof(classCounts));
            CheckSameContext(context, pc, nameof(perClass));
            CheckSameContext(context, cc, nameof(classCounts));
        }

        using var pScores = scores.Acquire();
        using var pLabels = labels.Acquire();
        using var pAccuracy = accuracy.Acquire();
        using var pPerClass = perClass.HasValue ? perClass.Value.Acquire() : default;
        using var pCounts = classCounts.HasValue ? classCounts.Value.Acquire() : default;
        using var pBad = badLabel.Acquire();
        int hasIgnore = options.IgnoreLabel.HasValue ? 1 : 0;
        int ignore = options.IgnoreLabel ?? 0;
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_saccuracy_forward(context.Handle, outer, channels, inner, pScores.Pointer, pLabels.Pointer,
                options.TopK, hasIgnore, ignore, pAccuracy.Pointer, pPerClass.Pointer, pCounts.Pointer, pBad.Pointer)
            : CremaNative.crema_daccuracy_forward(context.Handle, outer, channels, inner, pScores.Pointer, pLabels.Pointer,
                options.TopK, hasIgnore, ignore, pAccuracy.Pointer, pPerClass.Pointer, pCounts.Pointer, pBad.Pointer));
    }
}
