using System.Numerics;
using System.Runtime.CompilerServices;
using Crema.Cuda;
using Crema.Interop;

namespace Crema.Kernels;

/// <summary>Launchers for <c>kernels/softmax.cu</c> over an (outer, channels, inner) view; asynchronous.</summary>
public static class SoftmaxKernels
{
    /// <summary>y = softmax(x) along the channel axis; y may be x.</summary>
    public static void Forward<T>(long outer, long channels, long inner, DeviceSpan<T> x, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>();
        long count = CheckShape<T>(outer, channels, inner);
        var context = CheckSpan(x, count, "outer·channels·inner", outer, channels, inner);
        CheckSpan(y, count, "outer·channels·inner", outer, channels, inner);
        CheckSameContext(context, y);
        using var px = x.Acquire();
        using var py = y.Acquire();
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_ssoftmax_forward(context.Handle, outer, channels, inner, px.Pointer, py.Pointer)
            : CremaNative.crema_dsoftmax_forward(context.Handle, outer, channels, inner, px.Pointer, py.Pointer));
    }

    /// <summary>dx = y ⊙ (dy − Σ_c dy·y); dx may be dy.</summary>
    public static void Backward<T>(long outer, long channels, long inner, DeviceSpan<T> y, DeviceSpan<T> dy, DeviceSpan<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = IsFloat<T>();
        long count = CheckShape<T>(outer, channels, inner);
        var context = CheckSpan(y, count, "outer·channels·inner", outer, channels, inner);
        CheckSpan(dy, count, "outer·channels·inner", outer, channels, inner);
        CheckSpan(dx, count, "outer·channels·inner", outer, channels, inner);
        CheckSameContext(context, dy);
        CheckSameContext(context, dx);
        using var py = y.Acquire();
        using var pdy = dy.Acquire();
        using var pdx = dx.Acquire();
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_ssoftmax_backward(context.Handle, outer, channels, inner, py.Pointer, pdy.Pointer, pdx.Pointer)
            : CremaNative.crema_dsoftmax_backward(context.Handle, outer, channels, inner, py.Pointer, pdy.Pointer, pdx.Pointer));
    }

    /// <summary>
    /// Checks an (outer, channels, inner) view: no negative size, and outer·channels·inner elements of T with a
    /// 64-bit byte count. Returns outer·channels·inner.
    /// </summary>
    internal static unsafe long CheckShape<T>(long outer, long channels, long inner)
        where T : unmanaged
    {
        foreach (var (value, name) in new[] { (outer, nameof(outer)), (channels, nameof(channels)), (inner, nameof(inner)) })
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(name, value,
                    $"{name} must not be negative; the shape is {Shape(outer, channels, inner)}");
            }
        }

        long max = long.MaxValue / sizeof(T);
        long positions = outer;
        bool fits = inner == 0 || positions <= max / inner;
        positions = fits ? positions * inner : 0;
        fits = fits && (channels == 0 || positions <= max / channels);
        if (!fits)
        {
            throw new ArgumentOutOfRangeException(nameof(outer), outer,
                $"the shape {Shape(outer, channels, inner)} has more elements of {typeof(T).Name} than a 64-bit byte count holds");
        }

        return positions * channels;
    }

    /// <summary>A span that must have exactly <paramref name="expected"/> elements (what <paramref name="what"/> says).</summary>
    internal static CudaContext CheckSpan<TElement>(DeviceSpan<TElement> span, long expected, string what,
        long outer, long channels, long inner, [CallerArgumentExpression(nameof(span))] string name = "")
        where TElement : unmanaged
    {
        if (span.Buffer is null)
        {
            throw new ArgumentException($"{name} is a default DeviceSpan with no buffer", name);
        }

        if (span.Length != expected)
        {
            throw new ArgumentException(
                $"{name} has {span.Length} elements, expected {expected} ({what} for the shape {Shape(outer, channels, inner)})", name);
        }

        return span.Context;
    }

    /// <summary>A device scalar: a span with at least one element.</summary>
    internal static void CheckScalar<TElement>(DeviceSpan<TElement> span, [CallerArgumentExpression(nameof(span))] string name = "")
        where TElement : unmanaged
    {
        if (span.Buffer is null)
        {
            throw new ArgumentException($"{name} is a default DeviceSpan with no buffer", name);
        }

        if (span.Length < 1)
        {
            throw new ArgumentException($"{name} must have room for one element, it has {span.Length}", name);
        }
    }

    /// <summary>Every span of one call must live on the same context: one stream orders the whole op.</summary>
    internal static void CheckSameContext<TElement>(CudaContext context, DeviceSpan<TElement> span,
        [CallerArgumentExpression(nameof(span))] string name = "")
        where TElement : unmanaged
    {
        if (!ReferenceEquals(context, span.Context))
        {
            throw new ArgumentException($"{name} belongs to another CUDA context than the first tensor of the call", name);
        }
    }

    internal static string Shape(long outer, long channels, long inner) => $"(outer {outer}, channels {channels}, inner {inner})";

    internal static bool IsFloat<T>() => KernelChecks.IsFloat<T>("softmax");
}
