using BenchmarkDotNet.Attributes;
using Crema.Blas;

namespace Crema.Bench.Blas;

/// <summary>Σ |x[i]| (n elements read); the GPU result stays on the device.</summary>
[Traffic(BlasOp.Asum), BenchmarkCategory(BlasCategory)]
public class Asum : VectorBenchmark
{
    /// <summary>The managed CPU path.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(CpuCategory)]
    public float Cpu() => CpuMath.Asum<float>(X);

    /// <summary>The CUDA reduction into a device scalar.</summary>
    [Benchmark(OperationsPerInvoke = GpuOpsPerInvoke), BenchmarkCategory(GpuCategory)]
    public void Gpu()
    {
        for (int i = 0; i < GpuOpsPerInvoke; i++)
        {
            GpuMath.Asum(DeviceX, DeviceResult);
        }

        Context.Synchronize();
    }
}
