using System.Numerics;
using System.Runtime.CompilerServices;
using Crema.Cuda;
using Crema.Interop;

namespace Crema.Blas;

/// <summary>
/// The GPU math backend: the same ops as <see cref="CpuMath"/> on <see cref="DeviceSpan{T}"/>s, queued on the
/// owning context's stream. Nothing synchronises with the host except the reductions that return a value; their
/// overloads with a device <c>result</c> stay asynchronous. The element type is float or double.
/// </summary>
public static class GpuMath
{
    /// <summary>y[i] = alpha.</summary>
    public static void Set<T>(T alpha, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var py = y.Acquire();
        NativeStatus.ThrowIfFailed(IsFloat<T>()
            ? CremaNative.crema_sset(y.Context.Handle, y.Length, AsFloat(alpha), py.Pointer)
            : CremaNative.crema_dset(y.Context.Handle, y.Length, AsDouble(alpha), py.Pointer));
    }

    /// <summary>y = x.</summary>
    public static void Copy<T>(DeviceSpan<T> x, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var context = Pair(x, y);
        using var px = x.Acquire();
        using var py = y.Acquire();
        NativeStatus.ThrowIfFailed(IsFloat<T>()
            ? CremaNative.crema_scopy(context.Handle, x.Length, px.Pointer, py.Pointer)
            : CremaNative.crema_dcopy(context.Handle, x.Length, px.Pointer, py.Pointer));
    }

    /// <summary>y = alpha x + y.</summary>
    public static void Axpy<T>(T alpha, DeviceSpan<T> x, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var context = Pair(x, y);
        using var px = x.Acquire();
        using var py = y.Acquire();
        NativeStatus.ThrowIfFailed(IsFloat<T>()
            ? CremaNative.crema_saxpy(context.Handle, x.Length, AsFloat(alpha), px.Pointer, py.Pointer)
            : CremaNative.crema_daxpy(context.Handle, x.Length, AsDouble(alpha), px.Pointer, py.Pointer));
    }

    /// <summary>y = alpha x + beta y; beta = 0 overwrites y.</summary>
    public static void Axpby<T>(T alpha, DeviceSpan<T> x, T beta, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var context = Pair(x, y);
        using var px = x.Acquire();
        using var py = y.Acquire();
        NativeStatus.ThrowIfFailed(IsFloat<T>()
            ? CremaNative.crema_saxpby(context.Handle, x.Length, AsFloat(alpha), px.Pointer, AsFloat(beta), py.Pointer)
            : CremaNative.crema_daxpby(context.Handle, x.Length, AsDouble(alpha), px.Pointer, AsDouble(beta), py.Pointer));
    }

    /// <summary>x = alpha x.</summary>
    public static void Scal<T>(T alpha, DeviceSpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var px = x.Acquire();
        NativeStatus.ThrowIfFailed(IsFloat<T>()
            ? CremaNative.crema_sscal(x.Context.Handle, x.Length, AsFloat(alpha), px.Pointer)
            : CremaNative.crema_dscal(x.Context.Handle, x.Length, AsDouble(alpha), px.Pointer));
    }

    /// <summary>Σ |x[i]|, read back to the host (blocks until the stream reaches it).</summary>
    public static T Asum<T>(DeviceSpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> => ReduceToHost(Reduction.Asum, x, x);

    /// <summary>Σ |x[i]| into <paramref name="result"/>[0] on the device (asynchronous).</summary>
    public static void Asum<T>(DeviceSpan<T> x, DeviceSpan<T> result)
        where T : unmanaged, IFloatingPointIeee754<T> => ReduceToDevice(Reduction.Asum, x, x, result);

    /// <summary>Σ x[i]², read back to the host.</summary>
    public static T Sumsq<T>(DeviceSpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> => ReduceToHost(Reduction.Sumsq, x, x);

    /// <summary>Σ x[i]² into <paramref name="result"/>[0] on the device (asynchronous).</summary>
    public static void Sumsq<T>(DeviceSpan<T> x, DeviceSpan<T> result)
        where T : unmanaged, IFloatingPointIeee754<T> => ReduceToDevice(Reduction.Sumsq, x, x, result);

    /// <summary>Σ x[i]·y[i], read back to the host.</summary>
    public static T Dot<T>(DeviceSpan<T> x, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => ReduceToHost(Reduction.Dot, x, y);

    /// <summary>Σ x[i]·y[i] into <paramref name="result"/>[0] on the device (asynchronous).</summary>
    public static void Dot<T>(DeviceSpan<T> x, DeviceSpan<T> y, DeviceSpan<T> result)
        where T : unmanaged, IFloatingPointIeee754<T> => ReduceToDevice(Reduction.Dot, x, y, result);

    /// <summary>
    /// <paramref name="result"/>[0] += Σ x[i]·y[i] on the device (asynchronous): the same reduction as
    /// <see cref="Dot{T}(DeviceSpan{T}, DeviceSpan{T}, DeviceSpan{T})"/>, its total rounded to T and then added, as a
    /// host loop does <c>sum += Dot(x, y)</c>.
    /// </summary>
    public static void DotAccumulate<T>(DeviceSpan<T> x, DeviceSpan<T> y, DeviceSpan<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var context = Pair(x, y);
        _ = Pair(x, result, checkLength: false);
        CheckScalar(result.Length, nameof(result));
        using var px = x.Acquire();
        using var py = y.Acquire();
        using var pr = result.Acquire();
        NativeStatus.ThrowIfFailed(IsFloat<T>()
            ? CremaNative.crema_sdot_accumulate(context.Handle, x.Length, px.Pointer, py.Pointer, pr.Pointer)
            : CremaNative.crema_ddot_accumulate(context.Handle, x.Length, px.Pointer, py.Pointer, pr.Pointer));
    }

    /// <summary>
    /// Σ x[i]² into the device double <paramref name="result"/>[0] (asynchronous), never rounded to T: one tensor's
    /// share of a global norm. Same deterministic order as <see cref="Sumsq{T}(DeviceSpan{T})"/>.
    /// </summary>
    public static void SumsqToDouble<T>(DeviceSpan<T> x, DeviceSpan<double> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Buffer is null || result.Buffer is null)
        {
            throw new ArgumentException($"{(x.Buffer is null ? nameof(x) : nameof(result))} is a default DeviceSpan with no buffer");
        }

        if (!ReferenceEquals(x.Context, result.Context))
        {
            throw new ArgumentException($"{nameof(x)} and {nameof(result)} belong to different CUDA contexts", nameof(result));
        }

        CheckScalar(result.Length, nameof(result));
        bool isFloat = IsFloat<T>();
        using var px = x.Acquire();
        using var pr = result.Acquire();
        NativeStatus.ThrowIfFailed(isFloat
            ? CremaNative.crema_ssumsq_double(x.Context.Handle, x.Length, px.Pointer, pr.Pointer)
            : CremaNative.crema_dsumsq_double(x.Context.Handle, x.Length, px.Pointer, pr.Pointer));
    }

    /// <summary>C (m × n) = alpha op(A) op(B) + beta C, row-major, through cuBLAS; beta = 0 overwrites C.</summary>
    public static void Gemm<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha,
        DeviceSpan<T> a, DeviceSpan<T> b, T beta, DeviceSpan<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MathChecks.Gemm(transA, transB, m, n, k, a.Length, b.Length, c.Length);
        var context = Pair(a, c, checkLength: false);
        _ = Pair(b, c, checkLength: false);
        using var pa = a.Acquire();
        using var pb = b.Acquire();
        using var pc = c.Acquire();
        NativeStatus.ThrowIfFailed(IsFloat<T>()
            ? CremaNative.crema_sgemm(context.Handle, (int)transA, (int)transB, m, n, k, AsFloat(alpha), pa.Pointer, pb.Pointer, AsFloat(beta), pc.Pointer)
            : CremaNative.crema_dgemm(context.Handle, (int)transA, (int)transB, m, n, k, AsDouble(alpha), pa.Pointer, pb.Pointer, AsDouble(beta), pc.Pointer));
    }

    /// <summary>y = alpha op(A) x + beta y, A is m × n row-major, through cuBLAS; beta = 0 overwrites y.</summary>
    public static void Gemv<T>(Transpose transA, int m, int n, T alpha, DeviceSpan<T> a, DeviceSpan<T> x, T beta, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MathChecks.Gemv(transA, m, n, a.Length, x.Length, y.Length);
        var context = Pair(a, y, checkLength: false);
        _ = Pair(x, y, checkLength: false);
        using var pa = a.Acquire();
        using var px = x.Acquire();
        using var py = y.Acquire();
        NativeStatus.ThrowIfFailed(IsFloat<T>()
            ? CremaNative.crema_sgemv(context.Handle, (int)transA, m, n, AsFloat(alpha), pa.Pointer, px.Pointer, AsFloat(beta), py.Pointer)
            : CremaNative.crema_dgemv(context.Handle, (int)transA, m, n, AsDouble(alpha), pa.Pointer, px.Pointer, AsDouble(beta), py.Pointer));
    }

    private static T ReduceToHost<T>(Reduction kind, DeviceSpan<T> x, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var context = Pair(x, y);
        Reduce(kind, context, x, y, context.ScalarPointer);
        return context.ReadScalar<T>(context.ScalarPointer);
    }

    private static void ReduceToDevice<T>(Reduction kind, DeviceSpan<T> x, DeviceSpan<T> y, DeviceSpan<T> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var context = Pair(x, y);
        _ = Pair(x, result, checkLength: false);
        CheckScalar(result.Length, nameof(result));
        using var pr = result.Acquire();
        Reduce(kind, context, x, y, pr.Pointer);
    }

    /// <summary>Queues one deterministic reduction writing to the device address <paramref name="result"/>.</summary>
    private static void Reduce<T>(Reduction kind, CudaContext context, DeviceSpan<T> x, DeviceSpan<T> y, nint result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var px = x.Acquire();
        using var py = y.Acquire();
        var handle = context.Handle;
        long n = x.Length;
        NativeStatus.ThrowIfFailed((kind, IsFloat<T>()) switch
        {
            (Reduction.Asum, true) => CremaNative.crema_sasum(handle, n, px.Pointer, result),
            (Reduction.Asum, false) => CremaNative.crema_dasum(handle, n, px.Pointer, result),
            (Reduction.Sumsq, true) => CremaNative.crema_ssumsq(handle, n, px.Pointer, result),
            (Reduction.Sumsq, false) => CremaNative.crema_dsumsq(handle, n, px.Pointer, result),
            (Reduction.Dot, true) => CremaNative.crema_sdot(handle, n, px.Pointer, py.Pointer, result),
            _ => CremaNative.crema_ddot(handle, n, px.Pointer, py.Pointer, result),
        });
    }

    /// <summary>Both spans must live on the same context (one stream orders the op); usually the same length.</summary>
    private static CudaContext Pair<T>(DeviceSpan<T> x, DeviceSpan<T> y, bool checkLength = true,
        [CallerArgumentExpression(nameof(x))] string xName = "x", [CallerArgumentExpression(nameof(y))] string yName = "y")
        where T : unmanaged
    {
        if (x.Buffer is null || y.Buffer is null)
        {
            throw new ArgumentException($"{(x.Buffer is null ? xName : yName)} is a default DeviceSpan with no buffer");
        }

        if (!ReferenceEquals(x.Context, y.Context))
        {
            throw new ArgumentException($"{xName} and {yName} belong to different CUDA contexts", yName);
        }

        if (checkLength)
        {
            CpuMath.CheckSameLength(x.Length, y.Length, xName, yName);
        }

        return x.Context;
    }

    private static void CheckScalar(long length, string name)
    {
        if (length < 1)
        {
            throw new ArgumentException($"{name} must have room for one element", name);
        }
    }

    private static bool IsFloat<T>()
    {
        if (typeof(T) == typeof(float))
        {
            return true;
        }

        if (typeof(T) == typeof(double))
        {
            return false;
        }

        throw new NotSupportedException($"GPU math supports float and double, not {typeof(T).Name}");
    }

    private static float AsFloat<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T> => float.CreateTruncating(value);

    private static double AsDouble<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T> => double.CreateTruncating(value);

    private enum Reduction
    {
        Asum,
        Sumsq,
        Dot,
    }
}
