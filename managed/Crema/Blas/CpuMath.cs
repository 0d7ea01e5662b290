using System.Numerics;
using System.Numerics.Tensors;

namespace Crema.Blas;

/// <summary>
/// The CPU math backend and the reference for every GPU op: SIMD through <see cref="TensorPrimitives"/>, split
/// over cores with <see cref="Parallel"/> for large inputs. Reductions are deterministic: fixed-size chunks
/// summed in order, whatever the core count. Matrices are row-major.
/// </summary>
public static class CpuMath
{
    /// <summary>Elements per chunk of the parallel paths; fixed so results do not depend on the core count.</summary>
    internal const int ChunkSize = 1 << 16;

    /// <summary>Inputs smaller than this run on one thread (a fork costs more than it saves).</summary>
    internal const int ParallelThreshold = 1 << 18;

    /// <summary>y[i] = alpha.</summary>
    public static void Set<T>(T alpha, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => y.Fill(alpha);

    /// <summary>y = x.</summary>
    public static void Copy<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameLength(x.Length, y.Length, nameof(x), nameof(y));
        x.CopyTo(y);
    }

    /// <summary>y = alpha x + y.</summary>
    public static unsafe void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameLength(x.Length, y.Length, nameof(x), nameof(y));
        fixed (T* px = x, py = y)
        {
            T* xp = px, yp = py;
            ForEachChunk(x.Length, (start, length) =>
            {
                var ys = new Span<T>(yp + start, length);
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(xp + start, length), alpha, ys, ys);
            });
        }
    }

    /// <summary>y = alpha x + beta y; beta = 0 overwrites y (NaN in y does not survive), as BLAS does.</summary>
    public static unsafe void Axpby<T>(T alpha, ReadOnlySpan<T> x, T beta, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameLength(x.Length, y.Length, nameof(x), nameof(y));
        fixed (T* px = x, py = y)
        {
            T* xp = px, yp = py;
            ForEachChunk(x.Length, (start, length) =>
            {
                var xs = new ReadOnlySpan<T>(xp + start, length);
                var ys = new Span<T>(yp + start, length);
                if (T.IsZero(beta))
                {
                    TensorPrimitives.Multiply(xs, alpha, ys);
                }
                else
                {
                    TensorPrimitives.Multiply(ys, beta, ys);
                    TensorPrimitives.MultiplyAdd(xs, alpha, ys, ys);
                }
            });
        }
    }

    /// <summary>x = alpha x.</summary>
    public static unsafe void Scal<T>(T alpha, Span<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = x)
        {
            T* xp = px;
            ForEachChunk(x.Length, (start, length) =>
            {
                var xs = new Span<T>(xp + start, length);
                TensorPrimitives.Multiply(xs, alpha, xs);
            });
        }
    }

    /// <summary>Σ |x[i]|.</summary>
    public static unsafe T Asum<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = x)
        {
            T* xp = px;
            return SumChunks<T>(x.Length, (start, length) =>
                TensorPrimitives.SumOfMagnitudes(new ReadOnlySpan<T>(xp + start, length)));
        }
    }

    /// <summary>Σ x[i]².</summary>
    public static unsafe T Sumsq<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = x)
        {
            T* xp = px;
            return SumChunks<T>(x.Length, (start, length) =>
                TensorPrimitives.SumOfSquares(new ReadOnlySpan<T>(xp + start, length)));
        }
    }

    /// <summary>Σ x[i]·y[i].</summary>
    public static unsafe T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameLength(x.Length, y.Length, nameof(x), nameof(y));
        fixed (T* px = x, py = y)
        {
            T* xp = px, yp = py;
            return SumChunks<T>(x.Length, (start, length) =>
                TensorPrimitives.Dot(new ReadOnlySpan<T>(xp + start, length), new ReadOnlySpan<T>(yp + start, length)));
        }
    }

    /// <summary>
    /// C (m × n) = alpha op(A) op(B) + beta C, row-major; op(A) is m × k, op(B) is k × n. beta = 0 overwrites C;
    /// alpha = 0 reads neither A nor B (as BLAS).
    /// Products worth packing run on the cache-blocked SIMD kernels of <see cref="CpuGemm"/> (deterministic: the
    /// same shapes give bitwise the same C, whatever the core count); small ones stream rows with
    /// <see cref="TensorPrimitives"/>, in parallel over rows of C when large enough.
    /// </summary>
    public static unsafe void Gemm<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, T beta, Span<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MathChecks.Gemm(transA, transB, m, n, k, a.Length, b.Length, c.Length);
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (T* pa = a, pb = b, pc = c)
        {
            T* ap = pa, bp = pb, cp = pc;
            // As BLAS: with alpha = 0 or k = 0, C = beta C and A and B are not read (their NaN cannot reach C).
            bool accumulate = !T.IsZero(alpha) && k > 0;
            if (accumulate && CpuGemm.IsWorthwhile<T>(transB, m, n, k))
            {
                CpuGemm.Gemm(GemmKernel.Auto, transA, transB, m, n, k, alpha, ap, bp, beta, cp);
                return;
            }

            void Rows(int rowStart, int rowEnd)
            {
                // op(A)'s row i is contiguous unless A is transposed; then it is gathered once per row.
                T[]? gathered = accumulate && transA == Transpose.Trans ? new T[k] : null;
                for (int i = rowStart; i < rowEnd; i++)
                {
                    var cRow = new Span<T>(cp + (long)i * n, n);
                    if (T.IsZero(beta))
                    {
                        cRow.Clear();
                    }
                    else if (beta != T.One)
                    {
                        TensorPrimitives.Multiply(cRow, beta, cRow);
                    }

                    if (!accumulate)
                    {
                        continue;
                    }

                    ReadOnlySpan<T> aRow;
                    if (gathered is null)
                    {
                        aRow = new ReadOnlySpan<T>(ap + (long)i * k, k);
                    }
                    else
                    {
                        for (int p = 0; p < k; p++)
                        {
                            gathered[p] = ap[(long)p * m + i];
                        }

                        aRow = gathered;
                    }

                    if (transB == Transpose.NoTrans)
                    {
                        // C[i, :] += (alpha A[i, p]) B[p, :], streaming rows of B.
                        for (int p = 0; p < k; p++)
                        {
                            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(bp + (long)p * n, n), alpha * aRow[p], cRow, cRow);
                        }
                    }
                    else
                    {
                        // B is n × k: C[i, j] += alpha dot(A[i, :], B[j, :]).
                        for (int j = 0; j < n; j++)
                        {
                            cRow[j] += alpha * TensorPrimitives.Dot(aRow, new ReadOnlySpan<T>(bp + (long)j * k, k));
                        }
                    }
                }
            }

            long work = (long)m * n * Math.Max(k, 1);
            if (work < ParallelThreshold || m == 1)
            {
                Rows(0, m);
            }
            else
            {
                int blocks = Math.Min(m, Environment.ProcessorCount * 4);
                Parallel.For(0, blocks, block => Rows((int)((long)m * block / blocks), (int)((long)m * (block + 1) / blocks)));
            }
        }
    }

    /// <summary>y = alpha op(A) x + beta y, A is m × n row-major; beta = 0 overwrites y; alpha = 0 reads neither A nor x.</summary>
    public static void Gemv<T>(Transpose transA, int m, int n, T alpha, ReadOnlySpan<T> a, ReadOnlySpan<T> x, T beta, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        MathChecks.Gemv(transA, m, n, a.Length, x.Length, y.Length);
        int rows = transA == Transpose.NoTrans ? m : n;
        var target = y[..rows];
        if (T.IsZero(beta))
        {
            target.Clear();
        }
        else if (beta != T.One)
        {
            TensorPrimitives.Multiply(target, beta, target);
        }

        if (T.IsZero(alpha))
        {
            return;
        }

        if (transA == Transpose.NoTrans)
        {
            // y[i] += alpha dot(A[i, :], x): rows of A are contiguous.
            for (int i = 0; i < m; i++)
            {
                target[i] += alpha * TensorPrimitives.Dot(a.Slice(i * n, n), x[..n]);
            }
        }
        else
        {
            // y += (alpha x[p]) A[p, :]: stream the rows of A instead of gathering its columns.
            for (int p = 0; p < m; p++)
            {
                TensorPrimitives.MultiplyAdd(a.Slice(p * n, n), alpha * x[p], target, target);
            }
        }
    }

    internal static void CheckSameLength(long x, long y, string xName, string yName)
    {
        if (x != y)
        {
            throw new ArgumentException($"{xName} has {x} elements but {yName} has {y}; they must be equal", yName);
        }
    }

    private static void ForEachChunk(int count, Action<int, int> body)
    {
        if (count < ParallelThreshold)
        {
            if (count > 0)
            {
                body(0, count);
            }

            return;
        }

        int chunks = (count + ChunkSize - 1) / ChunkSize;
        Parallel.For(0, chunks, c =>
        {
            int start = c * ChunkSize;
            body(start, Math.Min(ChunkSize, count - start));
        });
    }

    private static T SumChunks<T>(int count, Func<int, int, T> partial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (count == 0)
        {
            return T.Zero;
        }

        // Partial sums per fixed-size chunk, added in chunk order in double: deterministic and more accurate
        // than one long float accumulation.
        int chunks = (count + ChunkSize - 1) / ChunkSize;
        var partials = new double[chunks];
        void Run(int c)
        {
            int start = c * ChunkSize;
            partials[c] = double.CreateTruncating(partial(start, Math.Min(ChunkSize, count - start)));
        }

        if (count < ParallelThreshold)
        {
            for (int c = 0; c < chunks; c++)
            {
                Run(c);
            }
        }
        else
        {
            Parallel.For(0, chunks, Run);
        }

        double sum = 0;
        foreach (double p in partials)
        {
            sum += p;
        }

        return T.CreateTruncating(sum);
    }
}
