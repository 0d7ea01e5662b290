using BenchmarkDotNet.Attributes;
using Crema.Cuda;

namespace Crema.Bench.Blas;

/// <summary>
/// Inputs for the level-1 ops: two random vectors of <see cref="N"/> floats on the host, and on the device for the
/// GPU target, plus a one-element device result for the reductions. 1 &lt;&lt; 20 floats (4 MB) fit in a GPU's
/// L2; 1 &lt;&lt; 24 (64 MB) do not.
/// </summary>
public abstract class VectorBenchmark : BlasBenchmark
{
    private DeviceBuffer<float>? deviceX;
    private DeviceBuffer<float>? deviceY;
    private DeviceBuffer<float>? deviceResult;

    /// <summary>Elements per vector.</summary>
    [Params(1 << 20, 1 << 24)]
    public int N { get; set; }

    /// <summary>The first input on the host.</summary>
    protected float[] X { get; private set; } = [];

    /// <summary>The second input (axpy's output) on the host.</summary>
    protected float[] Y { get; private set; } = [];

    /// <summary>The first input on the device.</summary>
    protected DeviceSpan<float> DeviceX => Required(deviceX).Span;

    /// <summary>The second input (axpy's output) on the device.</summary>
    protected DeviceSpan<float> DeviceY => Required(deviceY).Span;

    /// <summary>Where the GPU reductions write their result (on the device, no read-back).</summary>
    protected DeviceSpan<float> DeviceResult => Required(deviceResult).Span;

    /// <summary>Host inputs for the CPU target.</summary>
    [GlobalSetup(Target = CpuMethod)]
    public void SetupCpu()
    {
        X = RandomVector(N, seed: 1);
        Y = RandomVector(N, seed: 2);
    }

    /// <summary>Device inputs for the GPU target.</summary>
    [GlobalSetup(Target = GpuMethod)]
    public void SetupGpu()
    {
        SetupCpu();
        UseGpu();
        deviceX = Upload(X);
        deviceY = Upload(Y);
        deviceResult = Context.Allocate<float>(1);
    }

    /// <summary>Frees the device inputs.</summary>
    [GlobalCleanup(Target = GpuMethod)]
    public void CleanupGpu()
    {
        deviceX?.Dispose();
        deviceY?.Dispose();
        deviceResult?.Dispose();
        deviceX = deviceY = deviceResult = null;
    }

    private static DeviceBuffer<float> Required(DeviceBuffer<float>? buffer) =>
        buffer ?? throw new InvalidOperationException("the GPU setup has not run");
}
