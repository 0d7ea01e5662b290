using Crema.Interop;

namespace Crema.Cuda;

/// <summary>
/// Marks what a CUDA profiler records when it is told to wait for the program (Nsight Compute's
/// <c>ncu --profile-from-start off</c>, Nsight Systems' <c>nsys profile --capture-range=cudaProfilerApi</c>): only the
/// kernels launched between <see cref="Start"/> and <see cref="Stop"/>, so set-up and warm-up stay out of a profile.
/// Without a profiler attached both calls do nothing. They act on the process's current device.
/// <code>
/// using (CudaProfiler.Range())
/// {
///     layer.Forward(bottom, top);
///     context.Synchronize();
/// }
/// </code>
/// </summary>
public static class CudaProfiler
{
    /// <summary>Starts recording (cudaProfilerStart).</summary>
    /// <exception cref="CremaException">The CUDA runtime refused, e.g. no device is visible.</exception>
    public static void Start()
    {
        NativeLibraryResolver.EnsureLoaded();
        NativeStatus.ThrowIfFailed(CremaNative.crema_profiler_start());
    }

    /// <summary>Stops recording (cudaProfilerStop).</summary>
    /// <exception cref="CremaException">The CUDA runtime refused.</exception>
    public static void Stop()
    {
        NativeLibraryResolver.EnsureLoaded();
        NativeStatus.ThrowIfFailed(CremaNative.crema_profiler_stop());
    }

    /// <summary>Starts recording now and stops when the returned value is disposed.</summary>
    /// <exception cref="CremaException">The CUDA runtime refused.</exception>
    public static IDisposable Range()
    {
        Start();
        return new Recording();
    }

    private sealed class Recording : IDisposable
    {
        private bool stopped;

        public void Dispose()
        {
            if (!stopped)
            {
                stopped = true;
                Stop();
            }
        }
    }
}
