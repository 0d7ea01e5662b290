using BenchmarkDotNet.Attributes;
using Crema.Blas;

namespace Crema.Bench.Blas;

/// <summary>y = alpha x + y (3n elements moved).</summary>
[Traffic(BlasOp.Axpy), BenchmarkCategory(BlasCategory)]
public class Axpy : VectorBenchmark
{
    // Small, so y stays of the same magnitude over millions of invocations.
    private const float Alpha = 1e-4f;

    /// <summary>The managed CPU path.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(CpuCategory)]
    public void Cpu() => CpuMath.Axpy(Alpha, X, Y);

    /// <summary>The CUDA kernel.</summary>
    [Benchmark(OperationsPerInvoke = GpuOpsPerInvoke), BenchmarkCategory(GpuCategory)]
    public void Gpu()
    {
        for (int i = 0; i < GpuOpsPerInvoke; i++)
        {
            GpuMath.Axpy(Alpha, DeviceX, DeviceY);
        }

        Context.Synchronize();
    }
}
