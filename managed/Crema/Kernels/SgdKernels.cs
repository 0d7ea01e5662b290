using System.Numerics;
using System.Runtime.CompilerServices;
using Crema.Cuda;
using Crema.Interop;

namespace Crema.Kernels;

/// <summary>
/// Launchers for <c>kernels/sgd.cu</c>, the SGD solver's step: the scale the update applies (iter_size and gradient
/// clipping) and the fused momentum update of one param. Asynchronous on the spans' context stream; nothing is read
/// back to the host. <c>Crema.Solvers.SgdCpu</c> is the CPU twin, equal bit for bit.
/// </summary>
public static class SgdKernels
{
    /// <summary>
    /// <paramref name="scale"/>[0] = factor / iterSize, where norm = √(Σ sumsqs) / iterSize (the shares added in index
    /// order, in double: the L2 norm of the gradient averaged over <paramref name="iterSize"/>) and factor =
    /// clip / norm when <paramref name="clip"/> ≥ 0 and norm &gt; clip, else 1. <paramref name="norm"/>[0], when given,
    /// receives norm. With clipping off pass an empty <paramref name="sumsqs"/> and a negative clip.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iterSize"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">A default span, an empty scalar, or spans of different contexts.</exception>
    public static void ClipScale<T>(DeviceSpan<double> sumsqs, double clip, int iterSize, DeviceSpan<double>? norm, DeviceSpan<T> scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = KernelChecks.IsFloat<T>("SGD");
        ArgumentOutOfRangeException.ThrowIfLessThan(iterSize, 1);
        SoftmaxKernels.CheckScalar(scale);
        CheckBuffer(sumsqs);
        var context = scale.Context;
        SoftmaxKernels.CheckSameContext(context, sumsqs);
        if (norm is { } n)
        {
            SoftmaxKernels.CheckScalar(n, nameof(norm));
            SoftmaxKernels.CheckSameContext(context, n, nameof(norm));
        }

        using var pSumsqs = sumsqs.Acquire();
        using var pNorm = norm.HasValue ? norm.Value.Acquire() : default;
        using var pScale = scale.Acquire();
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_ssgd_clip_scale(context.Handle, sumsqs.Length, pSumsqs.Pointer, clip, iterSize, pNorm.Pointer, pScale.Pointer)
            : CremaNative.crema_dsgd_clip_scale(context.Handle, sumsqs.Length, pSumsqs.Pointer, clip, iterSize, pNorm.Pointer, pScale.Pointer));
    }

    /// <summary>
    /// The fused momentum update of one param, one read of data, diff and history per element: g = diff · scale[0]
    /// (+ localDecay · data when localDecay ≠ 0); h = momentum · history + localRate · g (localRate · g when momentum
    /// is 0); history = h; diff = h; and data −= h when <paramref name="applyUpdate"/>. Each product and sum is
    /// rounded on its own, as the CPU twin does.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A default span, lengths that differ, an empty scale, spans of different contexts, or overlapping data, diff
    /// and history.
    /// </exception>
    public static void Update<T>(T momentum, T localDecay, T localRate, DeviceSpan<T> scale, bool applyUpdate,
        DeviceSpan<T> data, DeviceSpan<T> diff, DeviceSpan<T> history)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = KernelChecks.IsFloat<T>("SGD");
        CheckBuffer(data);
        CheckBuffer(diff);
        CheckBuffer(history);
        SoftmaxKernels.CheckScalar(scale);
        if (diff.Length != data.Length || history.Length != data.Length)
        {
            throw new ArgumentException(
                $"data, diff and history must have the same length, got {data.Length}, {diff.Length} and {history.Length}",
                diff.Length != data.Length ? nameof(diff) : nameof(history));
        }

        var context = data.Context;
        SoftmaxKernels.CheckSameContext(context, diff);
        SoftmaxKernels.CheckSameContext(context, history);
        SoftmaxKernels.CheckSameContext(context, scale);
        CheckDisjoint(data, diff);
        CheckDisjoint(data, history);
        CheckDisjoint(diff, history);
        // Every thread reads the scale while others write data, diff and history: it must be none of them.
        CheckDisjoint(scale, data);
        CheckDisjoint(scale, diff);
        CheckDisjoint(scale, history);

        using var pScale = scale.Acquire();
        using var pData = data.Acquire();
        using var pDiff = diff.Acquire();
        using var pHistory = history.Acquire();
        int apply = applyUpdate ? 1 : 0;
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_ssgd_update(context.Handle, data.Length, float.CreateTruncating(momentum), float.CreateTruncating(localDecay),
                float.CreateTruncating(localRate), pScale.Pointer, apply, pData.Pointer, pDiff.Pointer, pHistory.Pointer)
            : CremaNative.crema_dsgd_update(context.Handle, data.Length, double.CreateTruncating(momentum), double.CreateTruncating(localDecay),
                double.CreateTruncating(localRate), pScale.Pointer, apply, pData.Pointer, pDiff.Pointer, pHistory.Pointer));
    }

    private static void CheckBuffer<TElement>(DeviceSpan<TElement> span, [CallerArgumentExpression(nameof(span))] string name = "")
        where TElement : unmanaged
    {
        if (span.Buffer is null)
        {
            throw new ArgumentException($"{name} is a default DeviceSpan with no buffer", name);
        }
    }

    private static void CheckDisjoint<T>(DeviceSpan<T> a, DeviceSpan<T> b,
        [CallerArgumentExpression(nameof(a))] string aName = "", [CallerArgumentExpression(nameof(b))] string bName = "")
        where T : unmanaged
    {
        bool overlap = ReferenceEquals(a.Buffer, b.Buffer) && a.Length > 0 && b.Length > 0
            && a.Offset < b.Offset + b.Length && b.Offset < a.Offset + a.Length;
        if (overlap)
        {
            throw new ArgumentException($"{aName} and {bName} overlap; the update writes {bName} while it reads {aName}", bName);
        }
    }
}
