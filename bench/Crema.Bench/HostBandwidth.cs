namespace Crema.Bench;

/// <summary>
/// The host's copy bandwidth with every core copying its own slice, measured once: the floor the "x floor" column
/// compares CPU rows with (the managed CPU path runs its rows in parallel on every core too).
/// </summary>
public static class HostBandwidth
{
    /// <summary>
    /// Median GB/s (read plus write, 1e9 bytes) of copying one array of <paramref name="bytes"/> into another,
    /// split into one slice per core (<see cref="Parallel.For(int, int, Action{int})"/>); the default, 256 MiB, is far
    /// larger than any CPU cache.
    /// </summary>
    public static double MeasureCopyGBps(long bytes = 256L << 20)
    {
        const int CopiesPerSample = 3;
        const int Samples = 9;

        int length = checked((int)(bytes / sizeof(float)));
        var source = new float[length];
        var destination = new float[length];
        Array.Fill(source, 1.5f);
        int slices = Environment.ProcessorCount;

        void Copy() => Parallel.For(0, slices, s =>
        {
            int start = (int)((long)length * s / slices);
            int end = (int)((long)length * (s + 1) / slices);
            source.AsSpan(start, end - start).CopyTo(destination.AsSpan(start, end - start));
        });

        for (int i = 0; i < 3; i++)
        {
            Copy(); // warm-up: faults the destination's pages in and starts the thread pool's workers
        }

        var rates = new double[Samples];
        for (int s = 0; s < Samples; s++)
        {
            long begin = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < CopiesPerSample; i++)
            {
                Copy();
            }

            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(begin).TotalSeconds;
            rates[s] = 2.0 * length * sizeof(float) * CopiesPerSample / (seconds * 1e9);
        }

        Array.Sort(rates);
        return rates[Samples / 2];
    }
}
