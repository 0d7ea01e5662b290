using System.Numerics;
using Crema.Cuda;
using Crema.Parameters;

namespace Crema.Kernels;

/// <summary>The loss settings the softmax-loss kernels take.</summary>
/// <param name="IgnoreLabel">Positions with this label add nothing; null for none.</param>
/// <param name="Normalization">The normalizer mode (always max(1, n)).</param>
/// <param name="LabelSmoothing">PyTorch's ε in [0, 1]; 0 is off.</param>
public readonly record struct SoftmaxLossOptions(int? IgnoreLabel, NormalizationMode Normalization, double LabelSmoothing);

// PLACEHOLDER surface: the kernels helper replaces the bodies with calls into kernels/softmax_loss.cu.
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
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();

    /// <summary>
    /// Backward: grad = ∂loss/∂logits · topDiff[0] / normalizer[0], from the logits and the forward pass's lse;
    /// ignored positions get exactly 0.
    /// </summary>
    public static void Backward<T>(long outer, long channels, long inner, SoftmaxLossOptions options,
        DeviceSpan<T> logits, DeviceSpan<T> labels, DeviceSpan<T>? classWeights, DeviceSpan<T> lse,
        DeviceSpan<T> topDiff, DeviceSpan<T> normalizer, DeviceSpan<T> grad)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
}
