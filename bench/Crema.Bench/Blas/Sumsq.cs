using BenchmarkDotNet.Attributes;
using Crema.Blas;

namespace Crema.Bench.Blas;

/// <summary>Σ x[i]² (n elements read); the GPU result stays on the device.</summary>
[Traffic(BlasOp.Sumsq), BenchmarkCategory(BlasCategory)]
public class Sumsq : VectorBenchmark
{
    /// <summary>The managed CPU path.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(CpuCategory)]
    public float Cpu() => CpuMath.Sumsq<float>(X);

    /// <summary>The CUDA reduction into a device scalar.</summary>
    [Benchmark(OperationsPerInvoke = GpuOpsPerInvoke), BenchmarkCategory(GpuCategory)]
    public void Gpu()
    {
        for (int i = 0; i < GpuOpsPerInvoke; i++)
        {
            GpuMath.Sumsq(DeviceX, DeviceResult);
        }

        Context.Synchronize();
    }
}
