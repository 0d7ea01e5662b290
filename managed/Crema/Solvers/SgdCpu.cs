using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Crema.Blas;

namespace Crema.Solvers;

/// <summary>
/// The CPU twin of the SGD step kernels (<see cref="Kernels.SgdKernels"/>, <c>kernels/sgd.cu</c>): the same
/// per-element operations in the same order, each rounded on its own, so the GPU path equals this one bit for bit
/// given the same inputs. Used by <see cref="SgdSolver{T}"/> on the CPU engine.
/// </summary>
internal static class SgdCpu
{
    // Elements converted to double at a time when summing the squares of a float tensor.
    private const int ConvertBlock = 1024;

    /// <summary>
    /// The fused momentum update of one param: g = diff · scale (+ localDecay · data when localDecay ≠ 0);
    /// h = momentum · history + localRate · g (localRate · g when momentum is 0, so NaN in history does not survive);
    /// history = h; diff = h; data −= h when <paramref name="applyUpdate"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    public static void Update<T>(T momentum, T localDecay, T localRate, T scale, bool applyUpdate,
        Span<T> data, Span<T> diff, Span<T> history)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuMath.CheckSameLength(data.Length, diff.Length, nameof(data), nameof(diff));
        CpuMath.CheckSameLength(data.Length, history.Length, nameof(data), nameof(history));
        bool decay = localDecay != T.Zero;
        bool useMomentum = momentum != T.Zero;

        // Vector<T> lanes round each operation exactly as scalars do (no contraction into fused multiply-adds),
        // so the vector body and the scalar tail give the same bits as the kernel.
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.Count > 1)
        {
            var s = new Vector<T>(scale);
            var d = new Vector<T>(localDecay);
            var r = new Vector<T>(localRate);
            var m = new Vector<T>(momentum);
            for (; i <= data.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var w = new Vector<T>(data[i..]);
                var g = new Vector<T>(diff[i..]) * s;
                if (decay)
                {
                    g = (d * w) + g;
                }

                var step = r * g;
                var h = useMomentum ? (m * new Vector<T>(history[i..])) + step : step;
                h.CopyTo(history[i..]);
                h.CopyTo(diff[i..]);
                if (applyUpdate)
                {
                    (w - h).CopyTo(data[i..]);
                }
            }
        }

        for (; i < data.Length; i++)
        {
            T g = diff[i] * scale;
            if (decay)
            {
                g = (localDecay * data[i]) + g;
            }

            T step = localRate * g;
            T h = useMomentum ? (momentum * history[i]) + step : step;
            history[i] = h;
            diff[i] = h;
            if (applyUpdate)
            {
                data[i] -= h;
            }
        }
    }

    /// <summary>
    /// The step's scale, as <see cref="Kernels.SgdKernels.ClipScale{T}"/> computes it: norm = √(Σ sumsqs) / iterSize
    /// (added in index order), factor = clip / norm when clip ≥ 0 and norm &gt; clip, else 1; returns factor / iterSize
    /// rounded to T.
    /// </summary>
    public static T ClipScale<T>(ReadOnlySpan<double> sumsqs, double clip, int iterSize, out double norm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterSize, 1);
        double total = 0;
        foreach (double s in sumsqs)
        {
            total += s;
        }

        norm = Math.Sqrt(total) / iterSize;
        double factor = clip >= 0 && norm > clip ? clip / norm : 1;
        return T.CreateTruncating(factor / iterSize);
    }

    /// <summary>Σ x[i]² accumulated in double and returned unrounded: one tensor's share of the global norm.</summary>
    public static double SumsqToDouble<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
        {
            return CpuMath.Sumsq(MemoryMarshal.Cast<T, double>(x));
        }

        if (typeof(T) != typeof(float))
        {
            throw new NotSupportedException($"the SGD step supports float and double, not {typeof(T).Name}");
        }

        // Widen a block at a time, then sum the squares in double (CpuMath.Sumsq would sum floats in float).
        Span<double> wide = stackalloc double[ConvertBlock];
        double total = 0;
        for (int start = 0; start < x.Length; start += ConvertBlock)
        {
            var block = x.Slice(start, Math.Min(ConvertBlock, x.Length - start));
            var target = wide[..block.Length];
            TensorPrimitives.ConvertTruncating<float, double>(MemoryMarshal.Cast<T, float>(block), target);
            total += TensorPrimitives.SumOfSquares<double>(target);
        }

        return total;
    }
}
