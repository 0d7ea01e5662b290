using BenchmarkDotNet.Attributes;
using Crema.Blas;
using Crema.Cuda;

namespace Crema.Bench.Blas;

/// <summary>
/// C = A B + C, square n × n row-major floats (reads A, B, C, writes C: 4n² elements; 2n³ flops). The sizes keep
/// the managed CPU path, the baseline, to well under a second per op on a small machine.
/// </summary>
[Traffic(BlasOp.Gemm), BenchmarkCategory(BlasCategory)]
public class Gemm : BlasBenchmark
{
    // beta = 1 so C is read as well as written, as the traffic model says; C grows by A B per op, far from overflow.
    private const float Alpha = 1f;
    private const float Beta = 1f;

    private float[] a = [];
    private float[] b = [];
    private float[] c = [];
    private DeviceBuffer<float>? deviceA;
    private DeviceBuffer<float>? deviceB;
    private DeviceBuffer<float>? deviceC;

    /// <summary>M = N = K.</summary>
    [Params(256, 1024)]
    public int N { get; set; }

    /// <summary>Host matrices for the CPU target.</summary>
    [GlobalSetup(Target = CpuMethod)]
    public void SetupCpu()
    {
        long elements = (long)N * N;
        a = RandomVector(elements, seed: 1);
        b = RandomVector(elements, seed: 2);
        c = RandomVector(elements, seed: 3);
    }

    /// <summary>Device matrices for the GPU target.</summary>
    [GlobalSetup(Target = GpuMethod)]
    public void SetupGpu()
    {
        SetupCpu();
        UseGpu();
        deviceA = Upload(a);
        deviceB = Upload(b);
        deviceC = Upload(c);
    }

    /// <summary>Frees the device matrices.</summary>
    [GlobalCleanup(Target = GpuMethod)]
    public void CleanupGpu()
    {
        deviceA?.Dispose();
        deviceB?.Dispose();
        deviceC?.Dispose();
        deviceA = deviceB = deviceC = null;
    }

    /// <summary>The managed CPU path.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory(CpuCategory)]
    public void Cpu() => CpuMath.Gemm(Transpose.NoTrans, Transpose.NoTrans, N, N, N, Alpha, a, b, Beta, c);

    /// <summary>cuBLAS through the native library.</summary>
    [Benchmark(OperationsPerInvoke = GpuOpsPerInvoke), BenchmarkCategory(GpuCategory)]
    public void Gpu()
    {
        var (da, db, dc) = (Required(deviceA).Span, Required(deviceB).Span, Required(deviceC).Span);
        for (int i = 0; i < GpuOpsPerInvoke; i++)
        {
            GpuMath.Gemm(Transpose.NoTrans, Transpose.NoTrans, N, N, N, Alpha, da, db, Beta, dc);
        }

        Context.Synchronize();
    }

    private static DeviceBuffer<float> Required(DeviceBuffer<float>? buffer) =>
        buffer ?? throw new InvalidOperationException("the GPU setup has not run");
}
