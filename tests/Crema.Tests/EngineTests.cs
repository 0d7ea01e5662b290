using Crema.Core;
using Crema.Cuda;

namespace Crema.Tests;

public class EngineTests
{
    [TearDown]
    public void BackToCpu() => Engine.UseCpu();

    [Test]
    public void DefaultEngine_IsCpu() => Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu));

    [Test]
    public void UnknownDevice_IsRefusedWithTheReason()
    {
        var e = Assert.Throws<GpuUnavailableException>(() => Engine.UseGpu(99));

        Assert.That(e!.Message, Does.StartWith("GPU unavailable: "));
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu), "a failed switch leaves the CPU engine selected");
        if (CudaRuntime.Probe().IsAvailable)
        {
            Assert.That(e.Reason, Is.EqualTo(GpuUnavailableReason.DeviceNotFound));
            Assert.That(e.Message, Does.Contain("device 99"));
        }
    }
}

/// <summary>What a user sees on a machine without a GPU: a clear exception, and the CPU path keeps working.</summary>
public class NoGpuTests
{
    private GpuStatus status = null!;

    [OneTimeSetUp]
    public void RequireNoGpu()
    {
        status = CudaRuntime.Probe();
        if (status.IsAvailable)
        {
            Assert.Ignore("this machine has a GPU; these tests describe a machine without one");
        }
    }

    [TearDown]
    public void BackToCpu() => Engine.UseCpu();

    [Test]
    public void Probe_SaysWhyThereIsNoGpu()
    {
        Assert.That(status.Reason, Is.Not.Null.And.Not.Empty);
        Assert.That(status.ReasonKind, Is.Not.Null);
        Assert.That(status.Devices, Is.Empty);
    }

    [Test]
    public void UseGpu_ThrowsWithTheReason()
    {
        var e = Assert.Throws<GpuUnavailableException>(() => Engine.UseGpu());

        Assert.That(e!.Message, Is.EqualTo($"GPU unavailable: {status.Reason}"));
        Assert.That(e.Reason, Is.EqualTo(status.ReasonKind));
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu));
    }

    [Test]
    public void ProfilerStart_ThrowsSayingWhy()
    {
        var e = Assert.Throws(Is.InstanceOf<CremaException>(), CudaProfiler.Start);

        Assert.That(e!.Message, Does.Contain(status.ReasonKind == GpuUnavailableReason.LibraryMissing ? "GPU unavailable" : "cudaProfilerStart"));
    }

    [Test]
    public void GpuDataOfABlob_Throws_AndTheBlobStillWorksOnTheCpu()
    {
        using var blob = new Blob<float>(3);
        blob.SetData([1f, -2f, 3f]);

        Assert.Throws<GpuUnavailableException>(() => _ = blob.GpuData);

        Assert.That(blob.AsumData(), Is.EqualTo(6f));
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.HeadAtCpu));
    }
}
