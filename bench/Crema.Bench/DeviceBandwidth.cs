using Crema.Cuda;

namespace Crema.Bench;

/// <summary>The device-to-device copy bandwidth, measured once: the floor the "x floor" column compares with.</summary>
public static class DeviceBandwidth
{
    /// <summary>
    /// Median GB/s (read plus write, 1e9 bytes) of cudaMemcpyAsync between two buffers of
    /// <paramref name="bytes"/> each, timed with CUDA events; the default, 256 MiB, is several times a GPU's L2.
    /// </summary>
    public static double MeasureCopyGBps(CudaContext context, long bytes = 256L << 20)
    {
        ArgumentNullException.ThrowIfNull(context);
        const int CopiesPerSample = 5;
        const int Samples = 11;

        long length = bytes / sizeof(float);
        using var source = context.Allocate<float>(length);
        using var destination = context.Allocate<float>(length);
        Crema.Blas.GpuMath.Set(1.5f, source.Span);
        for (int i = 0; i < 3; i++)
        {
            destination.Span.CopyFrom(source.Span); // warm-up
        }

        using var start = new CudaEvent(context.Device);
        using var end = new CudaEvent(context.Device);
        var rates = new double[Samples];
        for (int s = 0; s < Samples; s++)
        {
            start.Record(context.Stream);
            for (int i = 0; i < CopiesPerSample; i++)
            {
                destination.Span.CopyFrom(source.Span);
            }

            end.Record(context.Stream);
            double milliseconds = CudaEvent.ElapsedMilliseconds(start, end);
            rates[s] = 2.0 * source.Bytes * CopiesPerSample / (milliseconds * 1e6);
        }

        Array.Sort(rates);
        return rates[Samples / 2];
    }
}
