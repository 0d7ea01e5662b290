using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using Crema.Parameters;

namespace Crema.Layers.Cpu;

/// <summary>The loss settings of one SoftmaxWithLoss layer, in the element type.</summary>
internal sealed class SoftmaxLossSpec<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal SoftmaxLossSpec(int? ignoreLabel, NormalizationMode normalization, double labelSmoothing, T[]? classWeights)
    {
        IgnoreLabel = ignoreLabel;
        Normalization = normalization;
        Smoothing = T.CreateChecked(labelSmoothing);
        ClassWeights = classWeights;
        WeightSum = T.Zero;
        if (classWeights is not null)
        {
            foreach (var w in classWeights)
            {
                WeightSum += w;
            }
        }
    }

    internal int? IgnoreLabel { get; }

    internal NormalizationMode Normalization { get; }

    /// <summary>ε; zero means the smoothing term is never evaluated (Caffe's arithmetic).</summary>
    internal T Smoothing { get; }

    /// <summary>w_c, or null for all ones (then no weight is ever multiplied in).</summary>
    internal T[]? ClassWeights { get; }

    /// <summary>W = Σ_c w_c (unused without weights).</summary>
    internal T WeightSum { get; }

    internal T Weight(int c) => ClassWeights is null ? T.One : ClassWeights[c];

    internal T TotalWeight(long channels) => ClassWeights is null ? T.CreateChecked(channels) : WeightSum;
}

/// <summary>What a scan of the labels found: each position's class (−1 when ignored) and the normalizer inputs.</summary>
internal readonly record struct LabelScan(int[] Classes, long BadPosition, long ValidCount, double ValidWeight);

/// <summary>
/// The CPU SoftmaxWithLoss (docs/softmax-loss-semantics.md), the reference for <c>kernels/softmax_loss.cu</c>:
/// one pass computes the log-sum-exp per position (kept for Backward), the loss, and optionally the probabilities and
/// (fused) the gradient; Backward recomputes p = exp(x − lse). Same regimes as <see cref="SoftmaxCpu"/>. The loss is
/// accumulated in double per work unit and the units are summed in order, so it is deterministic.
/// </summary>
internal static unsafe class SoftmaxLossCpu
{
    /// <summary>Caffe's clamp −ln(FLT_MIN): the largest loss one position can contribute.</summary>
    internal const double MaxPositionLoss = 87.336544750553;

    /// <summary>Labels per scan chunk: the chunks' partial counts are combined in order, whatever the core count.</summary>
    private const int ScanChunk = 1 << 16;

    /// <summary>
    /// Maps every label to its class (−1 when ignored or invalid) into <paramref name="classes"/> (reused by the
    /// caller between passes) and finds the first invalid one.
    /// </summary>
    internal static LabelScan ScanLabels<T>(ReadOnlySpan<T> labels, long channels, SoftmaxLossSpec<T> spec, int[] classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = (labels.Length + ScanChunk - 1) / ScanChunk;
        var partial = new (long Bad, long Valid, double Weight)[chunks];
        fixed (T* pl = labels)
        {
            T* lp = pl;
            int length = labels.Length;
            void Scan(int chunk)
            {
                int begin = chunk * ScanChunk, end = Math.Min(length, begin + ScanChunk);
                partial[chunk] = ScanRange(lp, begin, end, channels, spec, classes);
            }

            if (labels.Length >= 2 * ScanChunk)
            {
                Parallel.For(0, chunks, Scan);
            }
            else
            {
                for (int chunk = 0; chunk < chunks; chunk++)
                {
                    Scan(chunk);
                }
            }
        }

        long bad = -1, valid = 0;
        double weight = 0;
        foreach (var (chunkBad, chunkValid, chunkWeight) in partial)
        {
            if (bad < 0 && chunkBad >= 0)
            {
                bad = chunkBad;
            }

            valid += chunkValid;
            weight += chunkWeight;
        }

        return new LabelScan(classes, bad, valid, weight);
    }

    private static (long Bad, long Valid, double Weight) ScanRange<T>(T* labels, int begin, int end, long channels,
        SoftmaxLossSpec<T> spec, int[] classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long bad = -1, valid = 0;
        double weight = 0;
        bool hasIgnore = spec.IgnoreLabel is not null;
        T ignore = spec.IgnoreLabel is int ig ? T.CreateChecked(ig) : T.Zero;
        uint limit = (uint)Math.Min(channels, int.MaxValue);
        bool weighted = spec.ClassWeights is not null;
        for (int p = begin; p < end; p++)
        {
            T v = labels[p];
            if (hasIgnore && v == ignore)
            {
                classes[p] = -1;
                continue;
            }

            // Saturating conversion (NaN → 0): the label is valid when converting back gives the same value.
            int c = int.CreateSaturating(v);
            if (T.CreateTruncating(c) != v || (uint)c >= limit)
            {
                classes[p] = -1;
                if (bad < 0)
                {
                    bad = p;
                }

                continue;
            }

            classes[p] = c;
            valid++;
            if (weighted)
            {
                weight += double.CreateTruncating(spec.ClassWeights![c]);
            }
        }

        return (bad, valid, weight);
    }

    /// <summary>N after the guard (N ≤ 0 → 1).</summary>
    internal static double Normalizer(NormalizationMode mode, long outer, long inner, LabelScan scan, bool weighted)
    {
        double n = mode switch
        {
            NormalizationMode.Full => (double)outer * inner,
            NormalizationMode.Valid => weighted ? scan.ValidWeight : scan.ValidCount,
            NormalizationMode.BatchSize => outer,
            NormalizationMode.None => 1,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, $"unknown normalization mode {mode}"),
        };
        return n > 0 ? n : 1;
    }

    /// <summary>
    /// Writes lse per position, the probabilities into <paramref name="prob"/> when it is not empty, and the gradient
    /// scaled by <paramref name="gradScale"/> into <paramref name="grad"/> when it is not empty; returns Σ ℓ.
    /// </summary>
    internal static double Forward<T>(long outer, long channels, long inner, SoftmaxLossSpec<T> spec, int[] classes,
        ReadOnlySpan<T> x, Span<T> lse, Span<T> prob, Span<T> grad, T gradScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var blocks = new RowBlocks(outer, channels, inner);
        if (blocks.Units == 0 || channels == 0)
        {
            lse.Clear();
            grad.Clear();
            return 0;
        }

        var partials = new double[blocks.Units];
        bool withProb = !prob.IsEmpty, withGrad = !grad.IsEmpty;
        fixed (T* px = x, plse = lse, pprob = prob, pgrad = grad)
        {
            var ctx = new Pointers<T>(px, plse, withProb ? pprob : null, withGrad ? pgrad : null);
            blocks.ForEach(u =>
            {
                partials[u] = inner > 1 ? ForwardSlice(blocks, u, spec, classes, ctx)
                    : channels >= RowBlocks.SmallChannels ? ForwardWideRows(blocks, u, spec, classes, ctx)
                    : ForwardNarrowRows(blocks, u, spec, classes, ctx);
                if (withGrad)
                {
                    BackwardUnit(blocks, u, spec, classes, ctx, gradScale);
                }
            });
        }

        double sum = 0;
        foreach (var partial in partials)
        {
            sum += partial;
        }

        return sum;
    }

    /// <summary>grad = ∂(Σℓ)/∂x · <paramref name="scale"/>, from x and the forward pass's lse.</summary>
    internal static void Backward<T>(long outer, long channels, long inner, SoftmaxLossSpec<T> spec, int[] classes,
        ReadOnlySpan<T> x, ReadOnlySpan<T> lse, Span<T> grad, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var blocks = new RowBlocks(outer, channels, inner);
        if (channels == 0)
        {
            return;
        }

        fixed (T* px = x, plse = lse, pgrad = grad)
        {
            var ctx = new Pointers<T>(px, plse, null, pgrad);
            blocks.ForEach(u => BackwardUnit(blocks, u, spec, classes, ctx, scale));
        }
    }

    private static void BackwardUnit<T>(RowBlocks blocks, int unit, SoftmaxLossSpec<T> spec, int[] classes, Pointers<T> ctx, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (blocks.Inner > 1)
        {
            BackwardSlice(blocks, unit, spec, classes, ctx, scale);
        }
        else
        {
            BackwardRows(blocks, unit, spec, classes, ctx, scale);
        }
    }

    private static double ForwardWideRows<T>(RowBlocks blocks, int unit, SoftmaxLossSpec<T> spec, int[] classes, Pointers<T> ctx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = (int)blocks.Channels;
        var (first, count) = blocks.RowsOf(unit);
        T[]? rented = ctx.Prob is null ? ArrayPool<T>.Shared.Rent(c) : null;
        try
        {
            double loss = 0;
            for (long r = first; r < first + count; r++)
            {
                var xs = new ReadOnlySpan<T>(ctx.X + (r * c), c);
                var e = ctx.Prob is null ? rented.AsSpan(0, c) : new Span<T>(ctx.Prob + (r * c), c);
                if (ctx.Prob is null && TryUnshiftedLogSumExp(xs, e, out T quick))
                {
                    ctx.Lse[r] = quick;
                    loss += PositionLoss(spec, classes[r], quick, xs, 1, c);
                    continue;
                }

                T sum = SoftmaxCpu.ExpShifted(xs, e, out T max);
                T lse = max + T.Log(sum);
                ctx.Lse[r] = lse;
                if (ctx.Prob is not null)
                {
                    TensorPrimitives.Multiply(e, T.One / sum, e);
                }

                loss += PositionLoss(spec, classes[r], lse, xs, 1, c);
            }

            return loss;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<T>.Shared.Return(rented);
            }
        }
    }

    private static double ForwardNarrowRows<T>(RowBlocks blocks, int unit, SoftmaxLossSpec<T> spec, int[] classes, Pointers<T> ctx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = (int)blocks.Channels;
        var (first, count) = blocks.RowsOf(unit);
        T[] rented = ArrayPool<T>.Shared.Rent((count * c) + (2 * count));
        try
        {
            var e = ctx.Prob is null ? rented.AsSpan(0, count * c) : new Span<T>(ctx.Prob + (first * c), count * c);
            var max = rented.AsSpan(count * c, count);
            var sum = rented.AsSpan((count * c) + count, count);
            var xs = new ReadOnlySpan<T>(ctx.X + (first * c), count * c);
            SoftmaxCpu.ShiftByRowMax(xs, e, c, max);
            TensorPrimitives.Exp(e, e);
            for (int r = 0; r < count; r++)
            {
                sum[r] = SoftmaxCpu.SumSmall<T>(e.Slice(r * c, c));
            }

            var lse = new Span<T>(ctx.Lse + first, count);
            TensorPrimitives.Log(sum, lse);
            TensorPrimitives.Add(lse, max, lse);
            double loss = 0;
            for (int r = 0; r < count; r++)
            {
                if (ctx.Prob is not null)
                {
                    T inverse = T.One / sum[r];
                    var er = e.Slice(r * c, c);
                    for (int k = 0; k < c; k++)
                    {
                        er[k] *= inverse;
                    }
                }

                loss += PositionLoss(spec, classes[first + r], lse[r], xs.Slice(r * c, c), 1, c);
            }

            return loss;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    private static double ForwardSlice<T>(RowBlocks blocks, int unit, SoftmaxLossSpec<T> spec, int[] classes, Pointers<T> ctx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (i, j0, width) = blocks.SliceOf(unit);
        long channels = blocks.Channels, inner = blocks.Inner;
        T[] rented = ArrayPool<T>.Shared.Rent(3 * width);
        try
        {
            var max = rented.AsSpan(0, width);
            var sum = rented.AsSpan(width, width);
            var e = rented.AsSpan(2 * width, width);
            long baseOffset = (i * channels * inner) + j0;
            fixed (T* scratch = e)
            {
                // Without a probability top the exponentials only feed the sum: one scratch row (stride 0) holds them.
                if (ctx.Prob is null)
                {
                    SoftmaxCpu.ExpShiftedAlongChannels(ctx.X + baseOffset, channels, inner, width, max, sum, scratch, 0);
                }
                else
                {
                    SoftmaxCpu.ExpShiftedAlongChannels(ctx.X + baseOffset, channels, inner, width, max, sum, ctx.Prob + baseOffset, inner);
                }
            }

            if (ctx.Prob is not null)
            {
                var inverse = e;
                TensorPrimitives.Reciprocal(sum, inverse);
                for (long c = 0; c < channels; c++)
                {
                    var dest = new Span<T>(ctx.Prob + baseOffset + (c * inner), width);
                    TensorPrimitives.Multiply(dest, inverse, dest);
                }
            }

            long position0 = (i * inner) + j0;
            var lse = new Span<T>(ctx.Lse + position0, width);
            TensorPrimitives.Log(sum, lse);
            TensorPrimitives.Add(lse, max, lse);
            double loss = 0;
            var row = new ReadOnlySpan<T>(ctx.X + baseOffset, (int)(((channels - 1) * inner) + width));
            for (int j = 0; j < width; j++)
            {
                loss += PositionLoss(spec, classes[position0 + j], lse[j], row[j..], (int)inner, (int)channels);
            }

            return loss;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// log Σ exp(x) in two vector passes (exp, sum) instead of four (max, subtract, exp, sum), for rows whose logits
    /// are moderate, which is almost all of them. It is exact enough only when the sum is finite and not tiny: then
    /// the largest term is at least 1e-8 / C, so terms that underflow (below 1e-38) change nothing, and nothing
    /// overflowed. NaN, ±inf and extreme rows fail the test and take the max-shifted path.
    /// </summary>
    private static bool TryUnshiftedLogSumExp<T>(ReadOnlySpan<T> x, Span<T> scratch, out T lse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Exp(x, scratch);
        T sum = TensorPrimitives.Sum<T>(scratch);
        lse = T.Log(sum);
        return T.IsFinite(sum) && sum >= T.CreateChecked(1e-8);
    }

    /// <summary>ℓ for one position whose logits are <paramref name="x"/>[k · stride]; 0 when ignored.</summary>
    private static double PositionLoss<T>(SoftmaxLossSpec<T> spec, int label, T lse, ReadOnlySpan<T> x, int stride, int channels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (label < 0)
        {
            return 0;
        }

        T bound = T.CreateChecked(MaxPositionLoss);
        T nll = Clamp(lse - x[label * stride], bound);
        if (spec.ClassWeights is null && T.IsZero(spec.Smoothing))
        {
            return double.CreateChecked(nll);
        }

        T loss = (T.One - spec.Smoothing) * spec.Weight(label) * nll;
        if (!T.IsZero(spec.Smoothing))
        {
            T smooth = T.Zero;
            for (int k = 0; k < channels; k++)
            {
                smooth += spec.Weight(k) * Clamp(lse - x[k * stride], bound);
            }

            loss += spec.Smoothing / T.CreateChecked(channels) * smooth;
        }

        return double.CreateChecked(loss);
    }

    /// <summary>v clamped from above; NaN stays NaN.</summary>
    private static T Clamp<T>(T v, T bound)
        where T : unmanaged, IFloatingPointIeee754<T> => v > bound ? bound : v;

    private static void BackwardRows<T>(RowBlocks blocks, int unit, SoftmaxLossSpec<T> spec, int[] classes, Pointers<T> ctx, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = (int)blocks.Channels;
        var (first, count) = blocks.RowsOf(unit);
        var g = new Span<T>(ctx.Grad + (first * c), count * c);
        var xs = new ReadOnlySpan<T>(ctx.X + (first * c), count * c);
        if (c >= RowBlocks.SmallChannels)
        {
            for (int r = 0; r < count; r++)
            {
                var gr = g.Slice(r * c, c);
                TensorPrimitives.Subtract(xs.Slice(r * c, c), ctx.Lse[first + r], gr);
                TensorPrimitives.Exp(gr, gr);
                FinishRow(spec, classes[first + r], gr, scale);
            }

            return;
        }

        for (int r = 0; r < count; r++)
        {
            T lse = ctx.Lse[first + r];
            var xr = xs.Slice(r * c, c);
            var gr = g.Slice(r * c, c);
            for (int k = 0; k < c; k++)
            {
                gr[k] = xr[k] - lse;
            }
        }

        TensorPrimitives.Exp(g, g);
        for (int r = 0; r < count; r++)
        {
            FinishRow(spec, classes[first + r], g.Slice(r * c, c), scale);
        }
    }

    /// <summary>Turns p (in <paramref name="g"/>) into the scaled gradient of one row.</summary>
    private static void FinishRow<T>(SoftmaxLossSpec<T> spec, int label, Span<T> g, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (label < 0)
        {
            g.Clear();
            return;
        }

        var (pFactor, labelTerm, smoothTerm) = Coefficients(spec, label, g.Length, scale);
        if (g.Length >= RowBlocks.SmallChannels)
        {
            TensorPrimitives.Multiply(g, pFactor, g);
        }
        else
        {
            for (int k = 0; k < g.Length; k++)
            {
                g[k] *= pFactor;
            }
        }

        g[label] -= labelTerm;
        if (!T.IsZero(smoothTerm))
        {
            for (int k = 0; k < g.Length; k++)
            {
                g[k] -= smoothTerm * spec.Weight(k);
            }
        }
    }

    /// <summary>
    /// g_c = s·[(1−ε)·w_y·(p_c − [c = y]) + (ε/C)·(W·p_c − w_c)] = pFactor·p_c − labelTerm·[c = y] − smoothTerm·w_c.
    /// </summary>
    private static (T PFactor, T LabelTerm, T SmoothTerm) Coefficients<T>(SoftmaxLossSpec<T> spec, int label, long channels, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (spec.ClassWeights is null && T.IsZero(spec.Smoothing))
        {
            return (scale, scale, T.Zero);
        }

        T a = (T.One - spec.Smoothing) * spec.Weight(label);
        T b = spec.Smoothing / T.CreateChecked(channels);
        return (scale * (a + (b * spec.TotalWeight(channels))), scale * a, scale * b);
    }

    private static void BackwardSlice<T>(RowBlocks blocks, int unit, SoftmaxLossSpec<T> spec, int[] classes, Pointers<T> ctx, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (i, j0, width) = blocks.SliceOf(unit);
        long channels = blocks.Channels, inner = blocks.Inner;
        long position0 = (i * inner) + j0;
        long baseOffset = (i * channels * inner) + j0;
        T[] rented = ArrayPool<T>.Shared.Rent(2 * width);
        try
        {
            var factor = rented.AsSpan(0, width);
            var smooth = rented.AsSpan(width, width);
            bool anySmooth = false;
            for (int j = 0; j < width; j++)
            {
                int label = classes[position0 + j];
                if (label < 0)
                {
                    factor[j] = T.Zero;
                    smooth[j] = T.Zero;
                    continue;
                }

                var (pFactor, _, smoothTerm) = Coefficients(spec, label, channels, scale);
                factor[j] = pFactor;
                smooth[j] = smoothTerm;
                anySmooth |= !T.IsZero(smoothTerm);
            }

            var lse = new ReadOnlySpan<T>(ctx.Lse + position0, width);
            for (long c = 0; c < channels; c++)
            {
                var g = new Span<T>(ctx.Grad + baseOffset + (c * inner), width);
                TensorPrimitives.Subtract(new ReadOnlySpan<T>(ctx.X + baseOffset + (c * inner), width), lse, g);
                TensorPrimitives.Exp(g, g);
                TensorPrimitives.Multiply(g, factor, g);
                if (anySmooth)
                {
                    T w = spec.Weight((int)c);
                    for (int j = 0; j < width; j++)
                    {
                        g[j] -= smooth[j] * w;
                    }
                }
            }

            for (int j = 0; j < width; j++)
            {
                int label = classes[position0 + j];
                if (label >= 0)
                {
                    var (_, labelTerm, _) = Coefficients(spec, label, channels, scale);
                    ctx.Grad[baseOffset + (label * inner) + j] -= labelTerm;
                }
                else
                {
                    // Exactly 0 even when the row holds NaN or ±inf (0 · NaN would not be).
                    for (long c = 0; c < channels; c++)
                    {
                        ctx.Grad[baseOffset + (c * inner) + j] = T.Zero;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(rented);
        }
    }

    /// <summary>The tensors one pass works on (pinned by the caller for the pass).</summary>
    private readonly struct Pointers<T>
        where T : unmanaged
    {
        internal Pointers(T* x, T* lse, T* prob, T* grad)
        {
            X = x;
            Lse = lse;
            Prob = prob;
            Grad = grad;
        }

        internal T* X { get; }

        internal T* Lse { get; }

        internal T* Prob { get; }

        internal T* Grad { get; }
    }
}
