using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Crema.Layers.Cpu;

/// <summary>
/// The CPU softmax over an (outer, channels, inner) view, the reference for <c>kernels/softmax.cu</c>. Three
/// regimes, all SIMD through <see cref="TensorPrimitives"/>: wide rows (inner == 1, many classes) one row at a time;
/// narrow rows (few classes) a block of rows per vector call; inner &gt; 1 vectorised along inner, where memory is
/// contiguous. NaN in a row propagates to the whole row's output.
/// </summary>
internal static unsafe class SoftmaxCpu
{
    /// <summary>y = softmax(x) along channels; y may be x.</summary>
    internal static void Forward<T>(long outer, long channels, long inner, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var blocks = new RowBlocks(outer, channels, inner);
        if (channels == 0)
        {
            return;
        }

        fixed (T* px = x, py = y)
        {
            T* xp = px, yp = py;
            if (inner > 1)
            {
                blocks.ForEach(u => ForwardSlice(blocks, u, xp, yp));
            }
            else if (channels >= RowBlocks.SmallChannels)
            {
                blocks.ForEach(u => ForwardWideRows(blocks, u, xp, yp));
            }
            else
            {
                blocks.ForEach(u => ForwardNarrowRows(blocks, u, xp, yp));
            }
        }
    }

    /// <summary>dx = y ⊙ (dy − Σ_c dy·y) along channels; dx may be dy.</summary>
    internal static void Backward<T>(long outer, long channels, long inner, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var blocks = new RowBlocks(outer, channels, inner);
        if (channels == 0)
        {
            return;
        }

        fixed (T* py = y, pdy = dy, pdx = dx)
        {
            T* yp = py, dyp = pdy, dxp = pdx;
            if (inner > 1)
            {
                blocks.ForEach(u => BackwardSlice(blocks, u, yp, dyp, dxp));
            }
            else
            {
                blocks.ForEach(u => BackwardRows(blocks, u, yp, dyp, dxp));
            }
        }
    }

    private static void ForwardWideRows<T>(RowBlocks blocks, int unit, T* x, T* y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = (int)blocks.Channels;
        var (first, count) = blocks.RowsOf(unit);
        for (long r = first; r < first + count; r++)
        {
            var xs = new ReadOnlySpan<T>(x + (r * c), c);
            var ys = new Span<T>(y + (r * c), c);
            // One division, then multiplies (a vector divide costs several multiplies).
            TensorPrimitives.Multiply(ys, T.One / ExpShifted(xs, ys, out _), ys);
        }
    }

    private static void ForwardNarrowRows<T>(RowBlocks blocks, int unit, T* x, T* y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = (int)blocks.Channels;
        var (first, count) = blocks.RowsOf(unit);
        var xs = new ReadOnlySpan<T>(x + (first * c), count * c);
        var ys = new Span<T>(y + (first * c), count * c);
        ShiftByRowMax(xs, ys, c, []);
        TensorPrimitives.Exp(ys, ys);
        for (int r = 0; r < count; r++)
        {
            var row = ys.Slice(r * c, c);
            T inverse = T.One / SumSmall<T>(row);
            for (int k = 0; k < row.Length; k++)
            {
                row[k] *= inverse;
            }
        }
    }

    private static void ForwardSlice<T>(RowBlocks blocks, int unit, T* x, T* y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (i, j0, width) = blocks.SliceOf(unit);
        long channels = blocks.Channels, inner = blocks.Inner;
        T[] rented = ArrayPool<T>.Shared.Rent(2 * width);
        try
        {
            var max = rented.AsSpan(0, width);
            var sum = rented.AsSpan(width, width);
            long baseOffset = (i * channels * inner) + j0;
            ExpShiftedAlongChannels(x + baseOffset, channels, inner, width, max, sum, y + baseOffset, inner);
            TensorPrimitives.Reciprocal(sum, sum);
            for (long c = 0; c < channels; c++)
            {
                var ys = new Span<T>(y + baseOffset + (c * inner), width);
                TensorPrimitives.Multiply(ys, sum, ys);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    private static void BackwardRows<T>(RowBlocks blocks, int unit, T* y, T* dy, T* dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = (int)blocks.Channels;
        var (first, count) = blocks.RowsOf(unit);
        for (long r = first; r < first + count; r++)
        {
            var ys = new ReadOnlySpan<T>(y + (r * c), c);
            var dys = new ReadOnlySpan<T>(dy + (r * c), c);
            var dxs = new Span<T>(dx + (r * c), c);
            T dot = c >= RowBlocks.SmallChannels ? TensorPrimitives.Dot(dys, ys) : DotSmall(dys, ys);
            if (c >= RowBlocks.SmallChannels)
            {
                TensorPrimitives.Subtract(dys, dot, dxs);
                TensorPrimitives.Multiply(dxs, ys, dxs);
            }
            else
            {
                for (int k = 0; k < c; k++)
                {
                    dxs[k] = ys[k] * (dys[k] - dot);
                }
            }
        }
    }

    private static void BackwardSlice<T>(RowBlocks blocks, int unit, T* y, T* dy, T* dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (i, j0, width) = blocks.SliceOf(unit);
        long channels = blocks.Channels, inner = blocks.Inner;
        T[] rented = ArrayPool<T>.Shared.Rent(width);
        try
        {
            var dot = rented.AsSpan(0, width);
            dot.Clear();
            long baseOffset = (i * channels * inner) + j0;
            for (long c = 0; c < channels; c++)
            {
                long at = baseOffset + (c * inner);
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(dy + at, width), new ReadOnlySpan<T>(y + at, width), dot, dot);
            }

            for (long c = 0; c < channels; c++)
            {
                long at = baseOffset + (c * inner);
                var dxs = new Span<T>(dx + at, width);
                TensorPrimitives.Subtract(new ReadOnlySpan<T>(dy + at, width), dot, dxs);
                TensorPrimitives.Multiply(dxs, new ReadOnlySpan<T>(y + at, width), dxs);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// e = exp(x − max x) for one row (max NaN-propagating); returns Σ e, and the max in <paramref name="max"/>.
    /// </summary>
    internal static T ExpShifted<T>(ReadOnlySpan<T> x, Span<T> e, out T max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, e);
        TensorPrimitives.Exp(e, e);
        return TensorPrimitives.Sum<T>(e);
    }

    /// <summary>
    /// For <paramref name="width"/> positions of an inner &gt; 1 slice starting at <paramref name="x"/>:
    /// max[j] = max_c x[c, j], dest_c = exp(x_c − max) and sum[j] = Σ_c dest_c[j]. dest_c starts at
    /// <paramref name="dest"/> + c · <paramref name="destStride"/>; a stride of 0 reuses one scratch row.
    /// </summary>
    internal static void ExpShiftedAlongChannels<T>(T* x, long channels, long inner, int width, Span<T> max, Span<T> sum,
        T* dest, long destStride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        new ReadOnlySpan<T>(x, width).CopyTo(max);
        for (long c = 1; c < channels; c++)
        {
            TensorPrimitives.Max(max, new ReadOnlySpan<T>(x + (c * inner), width), max);
        }

        sum.Clear();
        for (long c = 0; c < channels; c++)
        {
            var e = new Span<T>(dest + (c * destStride), width);
            TensorPrimitives.Subtract(new ReadOnlySpan<T>(x + (c * inner), width), max, e);
            TensorPrimitives.Exp(e, e);
            TensorPrimitives.Add(sum, e, sum);
        }
    }

    /// <summary>
    /// out[r, k] = in[r, k] − max_k in[r, k] for rows of <paramref name="c"/> elements (NaN-propagating max); the
    /// maxima go into <paramref name="maxes"/> unless it is empty.
    /// </summary>
    internal static void ShiftByRowMax<T>(ReadOnlySpan<T> input, Span<T> output, int c, Span<T> maxes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int start = 0; start < input.Length; start += c)
        {
            var row = input.Slice(start, c);
            T max = row[0];
            for (int k = 1; k < row.Length; k++)
            {
                max = T.Max(max, row[k]);
            }

            if (!maxes.IsEmpty)
            {
                maxes[start / c] = max;
            }

            var dest = output.Slice(start, c);
            for (int k = 0; k < row.Length; k++)
            {
                dest[k] = row[k] - max;
            }
        }
    }

    /// <summary>Σ of a short span, left to right.</summary>
    internal static T SumSmall<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum;
    }

    private static T DotSmall<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int k = 0; k < a.Length; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }
}
