using Crema.Cuda;

namespace Crema;

/// <summary>Which implementation layers and blob operations use.</summary>
public enum ComputeEngine
{
    /// <summary>The managed CPU path (the reference); the default.</summary>
    Cpu,
    /// <summary>The CUDA kernels through the native library.</summary>
    Gpu,
}

/// <summary>
/// Process-wide engine selection, like Caffe's <c>Caffe::set_mode</c>: CPU by default; GPU only when asked for
/// and usable, otherwise <see cref="GpuUnavailableException"/> says why (library missing, no device, driver too old).
/// </summary>
public static class Engine
{
    private static readonly Lock Gate = new();

    // One context per device, kept for the life of the process: buffers allocated on a device stay usable when
    // the engine moves to another one.
    private static readonly Dictionary<int, CudaContext> Contexts = [];
    private static int device;

    /// <summary>The engine in use.</summary>
    public static ComputeEngine Current { get; private set; } = ComputeEngine.Cpu;

    /// <summary>The device GPU work goes to.</summary>
    public static int Device => device;

    /// <summary>Selects the CPU engine (always available).</summary>
    public static void UseCpu() => Current = ComputeEngine.Cpu;

    /// <summary>Selects the GPU engine on <paramref name="deviceIndex"/>.</summary>
    /// <exception cref="GpuUnavailableException">No usable GPU; the message gives the reason.</exception>
    public static void UseGpu(int deviceIndex = 0)
    {
        _ = GetContext(deviceIndex);
        Current = ComputeEngine.Gpu;
    }

    /// <summary>Selects <paramref name="engine"/>; see <see cref="UseGpu"/> for the GPU's failure modes.</summary>
    public static void Use(ComputeEngine engine, int deviceIndex = 0)
    {
        if (engine == ComputeEngine.Gpu)
        {
            UseGpu(deviceIndex);
        }
        else
        {
            UseCpu();
        }
    }

    /// <summary>
    /// The context GPU work runs on, created on first use for the selected device (device 0 unless
    /// <see cref="UseGpu"/> chose another). Blob data can move to the GPU while the CPU engine is selected.
    /// </summary>
    /// <exception cref="GpuUnavailableException">No usable GPU.</exception>
    public static CudaContext GpuContext => GetContext(device);

    private static CudaContext GetContext(int deviceIndex)
    {
        lock (Gate)
        {
            if (Contexts.TryGetValue(deviceIndex, out var existing))
            {
                device = deviceIndex;
                return existing;
            }

            var status = CudaRuntime.Probe();
            if (!status.IsAvailable)
            {
                throw new GpuUnavailableException(status.ReasonKind!.Value, $"GPU unavailable: {status.Reason}");
            }

            if (deviceIndex < 0 || deviceIndex >= status.Devices.Count)
            {
                throw new GpuUnavailableException(GpuUnavailableReason.DeviceNotFound,
                    $"GPU unavailable: device {deviceIndex} does not exist ({status.Devices.Count} device(s) visible)");
            }

            try
            {
                var created = new CudaContext(deviceIndex);
                Contexts.Add(deviceIndex, created);
                device = deviceIndex;
                return created;
            }
            catch (CremaException e)
            {
                throw new GpuUnavailableException(GpuUnavailableReason.InitializationFailed,
                    $"GPU unavailable: creating a context on device {deviceIndex} failed: {e.Message}", e);
            }
        }
    }
}
