using Crema.Blas;

namespace Crema.Layers.Cpu;

/// <summary>
/// How the CPU softmax paths split an (outer, channels, inner) tensor into work units of about
/// <see cref="TargetElements"/> elements. The split depends on the shape only, so per-unit partial sums combined in
/// unit order give the same result whatever the core count.
/// </summary>
internal readonly struct RowBlocks
{
    /// <summary>Elements per unit: big enough to amortise a fork, small enough to stay in L2 with its scratch.</summary>
    internal const int TargetElements = 1 << 14;

    /// <summary>Below this class count an inner == 1 row is too short for per-row vector calls to pay off.</summary>
    internal const int SmallChannels = 64;

    internal RowBlocks(long outer, long channels, long inner)
    {
        Outer = outer;
        Channels = channels;
        Inner = inner;
        if (inner == 1)
        {
            RowsPerUnit = (int)Math.Max(1, TargetElements / Math.Max(1, channels));
            Width = 1;
            UnitsPerOuter = 1;
            Units = (int)((outer + RowsPerUnit - 1) / RowsPerUnit);
        }
        else
        {
            RowsPerUnit = 1;
            Width = (int)Math.Min(inner, Math.Max(8, TargetElements / Math.Max(1, channels)));
            UnitsPerOuter = (int)((inner + Width - 1) / Width);
            Units = checked((int)(outer * UnitsPerOuter));
        }
    }

    internal long Outer { get; }

    internal long Channels { get; }

    internal long Inner { get; }

    /// <summary>Rows per unit when inner == 1.</summary>
    internal int RowsPerUnit { get; }

    /// <summary>Positions along inner per unit when inner &gt; 1.</summary>
    internal int Width { get; }

    internal int UnitsPerOuter { get; }

    internal int Units { get; }

    /// <summary>For inner == 1: the rows [first, first + count) of unit <paramref name="unit"/>.</summary>
    internal (long First, int Count) RowsOf(int unit)
    {
        long first = (long)unit * RowsPerUnit;
        return (first, (int)Math.Min(RowsPerUnit, Outer - first));
    }

    /// <summary>For inner &gt; 1: outer index and the inner range [j0, j0 + width) of unit <paramref name="unit"/>.</summary>
    internal (long Outer, long J0, int Width) SliceOf(int unit)
    {
        long i = unit / UnitsPerOuter;
        long j0 = (long)(unit % UnitsPerOuter) * Width;
        return (i, j0, (int)Math.Min(Width, Inner - j0));
    }

    /// <summary>Runs <paramref name="body"/> for every unit, in parallel when the tensor is large.</summary>
    internal void ForEach(Action<int> body)
    {
        if (Units == 0)
        {
            return;
        }

        if (Outer * Channels * Inner < CpuMath.ParallelThreshold || Units == 1)
        {
            for (int u = 0; u < Units; u++)
            {
                body(u);
            }
        }
        else
        {
            Parallel.For(0, Units, body);
        }
    }
}
