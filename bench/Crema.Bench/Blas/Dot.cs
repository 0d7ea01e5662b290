using BenchmarkDotNet.Attributes;
using Crema.Blas;

namespace Crema.Bench.Blas;

/// <summary>Σ x[i]·y[i] (2n elements read); the GPU result stays on the device.</summary>
[Traffic(BlasOp.Dot), BenchmarkCategory(BlasCategory)]
public class Dot : VectorBenchmark
{
    /// <summary>The managed CPU path.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(CpuCategory)]
    public float Cpu() => CpuMath.Dot<float>(X, Y);

    /// <summary>The CUDA reduction into a device scalar.</summary>
    [Benchmark(OperationsPerInvoke = GpuOpsPerInvoke), BenchmarkCategory(GpuCategory)]
    public void Gpu()
    {
        for (int i = 0; i < GpuOpsPerInvoke; i++)
        {
            GpuMath.Dot(DeviceX, DeviceY, DeviceResult);
        }

        Context.Synchronize();
    }
}
