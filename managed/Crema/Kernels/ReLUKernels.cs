using System.Numerics;
using Crema.Cuda;
using Crema.Interop;
using static Crema.Kernels.KernelChecks;
using static Crema.Kernels.SoftmaxKernels;

namespace Crema.Kernels;

/// <summary>Launchers for <c>kernels/relu.cu</c> (Caffe's ReLU with negative_slope); asynchronous on the spans' context stream.</summary>
public static class ReLUKernels
{
    /// <summary>y = x &gt; 0 ? x : negativeSlope·x over <paramref name="count"/> elements, in T; y may be x.</summary>
    /// <exception cref="ArgumentOutOfRangeException">count is negative.</exception>
    /// <exception cref="ArgumentException">A span has no buffer, another length than count, or another context.</exception>
    public static void Forward<T>(long count, T negativeSlope, DeviceSpan<T> x, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>("ReLU");
        CheckCount<T>(count);
        var context = CheckSpan(x, count, "count");
        CheckSpan(y, count, "count");
        CheckSameContext(context, y);
        using var px = x.Acquire();
        using var py = y.Acquire();
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_srelu_forward(context.Handle, count, float.CreateTruncating(negativeSlope), px.Pointer, py.Pointer)
            : CremaNative.crema_drelu_forward(context.Handle, count, double.CreateTruncating(negativeSlope), px.Pointer, py.Pointer));
    }

    /// <summary>
    /// dx = x &gt; 0 ? dy : negativeSlope·dy over <paramref name="count"/> elements, with x the layer's input data (for
    /// an in-place layer its output, which has the input's sign when negativeSlope ≥ 0); dx may be dy.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count is negative.</exception>
    /// <exception cref="ArgumentException">A span has no buffer, another length than count, or another context.</exception>
    public static void Backward<T>(long count, T negativeSlope, DeviceSpan<T> x, DeviceSpan<T> dy, DeviceSpan<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>("ReLU");
        CheckCount<T>(count);
        var context = CheckSpan(x, count, "count");
        CheckSpan(dy, count, "count");
        CheckSpan(dx, count, "count");
        CheckSameContext(context, dy);
        CheckSameContext(context, dx);
        using var px = x.Acquire();
        using var pdy = dy.Acquire();
        using var pdx = dx.Acquire();
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_srelu_backward(context.Handle, count, float.CreateTruncating(negativeSlope), px.Pointer, pdy.Pointer, pdx.Pointer)
            : CremaNative.crema_drelu_backward(context.Handle, count, double.CreateTruncating(negativeSlope), px.Pointer, pdy.Pointer, pdx.Pointer));
    }
}
