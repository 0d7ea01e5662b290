using Crema.Cuda;

namespace Crema.Tests;

/// <summary>
/// Base of every GPU fixture: the whole fixture is reported as skipped, with the reason, when no usable GPU is
/// present (library missing, no device, driver too old). Never an `if (available)` that silently passes.
/// </summary>
[Category("GPU")]
public abstract class GpuTestBase
{
    /// <summary>The context the fixture's GPU work runs on.</summary>
    protected CudaContext Context { get; private set; } = null!;

    [OneTimeSetUp]
    public void RequireGpu()
    {
        var status = CudaRuntime.Probe();
        if (!status.IsAvailable)
        {
            Assert.Ignore($"GPU unavailable: {FirstLine(status.Reason)}");
        }

        Context = Engine.GpuContext;
    }

    [TearDown]
    public void BackToCpu() => Engine.UseCpu();

    /// <summary>A device copy of <paramref name="host"/> on <see cref="Context"/>, for the caller to dispose (freed here if the copy fails).</summary>
    protected DeviceBuffer<TElement> Upload<TElement>(TElement[] host)
        where TElement : unmanaged
    {
        var buffer = Context.Allocate<TElement>(host.Length);
        try
        {
            buffer.CopyFrom(host);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static string FirstLine(string? text) =>
        (text ?? "unknown reason").Split('\n')[0].Trim();
}
