using System.Numerics;
using Crema.Cuda;

namespace Crema.Kernels;

// PLACEHOLDER surface: the kernels helper replaces the bodies with calls into kernels/softmax.cu.
/// <summary>Launchers for <c>kernels/softmax.cu</c> over an (outer, channels, inner) view; asynchronous.</summary>
public static class SoftmaxKernels
{
    /// <summary>y = softmax(x) along the channel axis; y may be x.</summary>
    public static void Forward<T>(long outer, long channels, long inner, DeviceSpan<T> x, DeviceSpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();

    /// <summary>dx = y ⊙ (dy − Σ_c dy·y); dx may be dy.</summary>
    public static void Backward<T>(long outer, long channels, long inner, DeviceSpan<T> y, DeviceSpan<T> dy, DeviceSpan<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => throw new NotImplementedException();
}
