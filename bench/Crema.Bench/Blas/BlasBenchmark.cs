using BenchmarkDotNet.Attributes;
using Crema.Cuda;

namespace Crema.Bench.Blas;

/// <summary>
/// What every BLAS benchmark shares: categories, the CPU/GPU target names the setups bind to, random inputs and
/// the GPU context. Each op class has a <c>Cpu</c> method (the baseline) and a <c>Gpu</c> method that queues
/// <see cref="GpuOpsPerInvoke"/> ops and then synchronises, so the host's launch-and-wait latency is paid once per
/// batch, as in a training step, and BenchmarkDotNet reports the time of one op.
/// </summary>
public abstract class BlasBenchmark
{
    /// <summary>Category of every BLAS benchmark class.</summary>
    public const string BlasCategory = "Blas";

    /// <summary>Category of the managed CPU path (the baseline).</summary>
    public const string CpuCategory = "CPU";

    /// <summary>Category of the CUDA path; Program filters it out when no GPU is usable.</summary>
    public const string GpuCategory = "GPU";

    /// <summary>Name of every class's CPU method, which the CPU setups bind to.</summary>
    protected const string CpuMethod = "Cpu";

    /// <summary>Name of every class's GPU method, which the GPU setups bind to.</summary>
    protected const string GpuMethod = "Gpu";

    /// <summary>GPU ops queued between two synchronisations.</summary>
    protected const int GpuOpsPerInvoke = 10;

    private CudaContext? context;

    /// <summary>The context GPU benchmarks run on (the process-wide one from <see cref="Engine.GpuContext"/>).</summary>
    protected CudaContext Context => context ?? throw new InvalidOperationException("the GPU setup has not run");

    /// <summary>Binds the process-wide GPU context; called from the GPU setups.</summary>
    protected void UseGpu() => context = Engine.GpuContext;

    /// <summary>Uniform in [-1, -0.25] ∪ [0.25, 1]: never zero, so no kernel gets an easy input.</summary>
    protected static float[] RandomVector(long length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (long i = 0; i < values.LongLength; i++)
        {
            float magnitude = 0.25f + (0.75f * random.NextSingle());
            values[i] = random.Next(2) == 0 ? magnitude : -magnitude;
        }

        return values;
    }

    /// <summary>A device copy of <paramref name="host"/>.</summary>
    protected DeviceBuffer<float> Upload(float[] host)
    {
        var buffer = Context.Allocate<float>(host.LongLength);
        buffer.CopyFrom(host);
        return buffer;
    }
}
