using BenchmarkDotNet.Attributes;
using Crema.Blas;
using Crema.Cuda;

namespace Crema.Bench.Blas;

/// <summary>
/// The gemms of an MLP training step (<see cref="GemmCases"/>): each case's transposes, shape and beta exactly as
/// InnerProductLayer calls gemm. GFLOP/s is the column to read; the PyTorch peer is bench/peer/torch_gemm.py.
/// </summary>
[GemmTraffic, BenchmarkCategory(BlasCategory)]
public class MlpGemm : BlasBenchmark
{
    // Long enough for the JIT's tiering to have promoted the call path before BenchmarkDotNet measures.
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(0.5);

    private GemmCase problem = GemmCases.All[0];
    private float[] a = [];
    private float[] b = [];
    private float[] c = [];
    private DeviceBuffer<float>? deviceA;
    private DeviceBuffer<float>? deviceB;
    private DeviceBuffer<float>? deviceC;

    /// <summary>The case names, in table order.</summary>
    public static IEnumerable<string> Cases => GemmCases.Names;

    /// <summary>A case of <see cref="GemmCases"/>.</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = GemmCases.All[0].Name;

    /// <summary>Host matrices for the CPU target, and a warm-up.</summary>
    [GlobalSetup(Target = CpuMethod)]
    public void SetupCpu()
    {
        CreateInputs();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 3 || System.Diagnostics.Stopwatch.GetElapsedTime(start) < WarmUpTime; i++)
        {
            Cpu();
        }
    }

    /// <summary>Device matrices for the GPU target.</summary>
    [GlobalSetup(Target = GpuMethod)]
    public void SetupGpu()
    {
        CreateInputs();
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
    public void Cpu() =>
        CpuMath.Gemm(problem.TransA, problem.TransB, problem.M, problem.N, problem.K, 1f, a, b, problem.Beta, c);

    /// <summary>cuBLAS through the native library.</summary>
    [Benchmark(OperationsPerInvoke = GpuOpsPerInvoke), BenchmarkCategory(GpuCategory)]
    public void Gpu()
    {
        var (da, db, dc) = (Required(deviceA).Span, Required(deviceB).Span, Required(deviceC).Span);
        for (int i = 0; i < GpuOpsPerInvoke; i++)
        {
            GpuMath.Gemm(problem.TransA, problem.TransB, problem.M, problem.N, problem.K, 1f, da, db, problem.Beta, dc);
        }

        Context.Synchronize();
    }

    private void CreateInputs()
    {
        problem = GemmCases.Get(Case);
        a = RandomVector((long)problem.M * problem.K, seed: 1);
        b = RandomVector((long)problem.K * problem.N, seed: 2);
        c = RandomVector((long)problem.M * problem.N, seed: 3);
    }

    private static DeviceBuffer<float> Required(DeviceBuffer<float>? buffer) =>
        buffer ?? throw new InvalidOperationException("the GPU setup has not run");
}
