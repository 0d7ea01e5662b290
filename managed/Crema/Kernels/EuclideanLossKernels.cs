using System.Numerics;
using Crema.Cuda;
using Crema.Interop;
using static Crema.Kernels.KernelChecks;
using static Crema.Kernels.SoftmaxKernels;

namespace Crema.Kernels;

/// <summary>
/// Launchers for <c>kernels/euclidean_loss.cu</c> (Caffe's EuclideanLoss); asynchronous on the spans' context stream.
/// The loss stays on the device and the gradient scale is read there: nothing waits for the device.
/// </summary>
public static class EuclideanLossKernels
{
    /// <summary>
    /// diff = a − b over <paramref name="count"/> elements and loss[0] = Σ diff² / (2·<paramref name="num"/>), the sum
    /// accumulated in double in a fixed order (the same bits on every run); num = 0 gives 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count or num is negative.</exception>
    /// <exception cref="ArgumentException">A span has no buffer, another length than count, or another context.</exception>
    public static void Forward<T>(long count, long num, DeviceSpan<T> a, DeviceSpan<T> b, DeviceSpan<T> diff, DeviceSpan<T> loss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>("EuclideanLoss");
        CheckCount<T>(count);
        CheckCount<T>(num);
        var context = CheckSpan(a, count, "count");
        CheckSpan(b, count, "count");
        CheckSpan(diff, count, "count");
        CheckScalar(loss);
        CheckSameContext(context, b);
        CheckSameContext(context, diff);
        CheckSameContext(context, loss);
        using var pa = a.Acquire();
        using var pb = b.Acquire();
        using var pd = diff.Acquire();
        using var pl = loss.Acquire();
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_seuclidean_loss_forward(context.Handle, count, num, pa.Pointer, pb.Pointer, pd.Pointer, pl.Pointer)
            : CremaNative.crema_deuclidean_loss_forward(context.Handle, count, num, pa.Pointer, pb.Pointer, pd.Pointer, pl.Pointer));
    }

    /// <summary>
    /// With s = topDiff[0] / num (read on the device): gradA = s·diff and gradB = −s·diff, each only when given;
    /// num = 0 writes nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count or num is negative.</exception>
    /// <exception cref="ArgumentException">A span has no buffer, another length than count, or another context.</exception>
    public static void Backward<T>(long count, long num, DeviceSpan<T> diff, DeviceSpan<T> topDiff, DeviceSpan<T>? gradA, DeviceSpan<T>? gradB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>("EuclideanLoss");
        CheckCount<T>(count);
        CheckCount<T>(num);
        var context = CheckSpan(diff, count, "count");
        CheckScalar(topDiff);
        CheckSameContext(context, topDiff);
        if (gradA is { } ga)
        {
            CheckSpan(ga, count, "count", nameof(gradA));
            CheckSameContext(context, ga, nameof(gradA));
        }

        if (gradB is { } gb)
        {
            CheckSpan(gb, count, "count", nameof(gradB));
            CheckSameContext(context, gb, nameof(gradB));
        }

        using var pd = diff.Acquire();
        using var pt = topDiff.Acquire();
        using var pa = gradA.HasValue ? gradA.Value.Acquire() : default;
        using var pb = gradB.HasValue ? gradB.Value.Acquire() : default;
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_seuclidean_loss_backward(context.Handle, count, num, pd.Pointer, pt.Pointer, pa.Pointer, pb.Pointer)
            : CremaNative.crema_deuclidean_loss_backward(context.Handle, count, num, pd.Pointer, pt.Pointer, pa.Pointer, pb.Pointer));
    }
}
