using System.Numerics;
using Crema.Blas;
using Crema.Core;

namespace Crema.Tests.Core;

/// <summary>Head-state transitions and blob math with the device side in play.</summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class BlobGpuTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Test]
    public void FirstGpuAccess_AllocatesZeroFilledDeviceMemory()
    {
        using var blob = new Blob<T>(3, 5);

        var gpu = blob.MutableGpuData;

        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.HeadAtGpu));
        Assert.That(blob.Data.HasCpuMemory, Is.False);
        Assert.That(gpu.ToArray(), Is.All.EqualTo(T.Zero));
    }

    [Test]
    public void EmptyBlob_MovesBetweenSidesWithoutAllocating()
    {
        using var blob = new Blob<T>(0, 3);

        Assert.That(blob.MutableGpuData.Length, Is.Zero);
        Assert.That(blob.CpuData.Length, Is.Zero);
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.Synced));
        Assert.That(blob.AsumData(), Is.EqualTo(T.Zero));
        blob.Update();
    }

    [Test]
    public void HeadStates_MoveAsCaffesSyncedMemoryDoes()
    {
        using var blob = new Blob<T>(4);
        var values = TestData.Uniform<T>(4, seed: 11);
        blob.SetData(values);
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.HeadAtCpu));

        Assert.That(blob.GpuData.ToArray(), Is.EqualTo(values), "reading on the GPU copies host to device");
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.Synced));

        GpuMath.Scal(T.CreateTruncating(2), blob.MutableGpuData);
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.HeadAtGpu));

        var back = blob.CpuData.ToArray();
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.Synced), "reading on the CPU copies device to host");
        Assert.That(back, Is.EqualTo(values.Select(v => v * T.CreateTruncating(2)).ToArray()));

        _ = blob.MutableCpuData;
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.HeadAtCpu));
    }

    [Test]
    public void BlobMath_OnTheGpu_MatchesTheCpu()
    {
        using var blob = new Blob<T>(2, 3, 4, 5);
        var values = TestData.Uniform<T>(120, seed: 1701);
        blob.SetData(values);
        double cpuAsum = double.CreateTruncating(blob.AsumData());
        double cpuSumsq = double.CreateTruncating(blob.SumsqData());

        _ = blob.MutableGpuData; // head at GPU: the reductions now run there
        double tolerance = TestData.Tolerance<T>();
        TestData.AssertClose(double.CreateTruncating(blob.AsumData()), cpuAsum, tolerance, "asum");
        TestData.AssertClose(double.CreateTruncating(blob.SumsqData()), cpuSumsq, tolerance, "sumsq");

        GpuMath.Copy(blob.GpuData, blob.MutableGpuDiff);
        GpuMath.Scal(T.CreateTruncating(7), blob.MutableGpuDiff);
        TestData.AssertClose(double.CreateTruncating(blob.AsumDiff()), 7 * cpuAsum, tolerance, "asum diff");
        TestData.AssertClose(double.CreateTruncating(blob.SumsqDiff()), 49 * cpuSumsq, tolerance, "sumsq diff");

        blob.ScaleData(T.CreateTruncating(3));
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.HeadAtGpu));
        TestData.AssertClose(double.CreateTruncating(blob.AsumData()), 3 * cpuAsum, tolerance, "asum after scale");
    }

    [Test]
    public void Update_OnTheGpu_MatchesTheCpu()
    {
        using var blob = new Blob<T>(1000);
        var data = TestData.Uniform<T>(1000, seed: 21);
        var diff = TestData.Uniform<T>(1000, seed: 22);
        blob.SetData(data);
        blob.SetDiff(diff);
        _ = blob.GpuData; // synced: Update runs on the GPU, as in Caffe

        blob.Update();

        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.HeadAtGpu));
        var expected = data.Zip(diff, (d, g) => double.CreateTruncating(d - g)).ToArray();
        TestData.AssertClose<T>(blob.CpuData, expected, 0, "data after update");
    }

    [Test]
    public void CopyFrom_OnTheGpuEngine_CopiesOnTheDevice()
    {
        Engine.UseGpu();
        using var source = new Blob<T>(7);
        source.SetData(TestData.Uniform<T>(7, seed: 4));
        using var target = new Blob<T>(7);

        target.CopyFrom(source);

        Assert.That(target.Data.Head, Is.EqualTo(SyncedHead.HeadAtGpu));
        Assert.That(target.GetData(), Is.EqualTo(source.GetData()));
    }

    [Test]
    public void HostMemory_IsPageLocked_OnTheGpuEngine()
    {
        Engine.UseGpu();
        using var blob = new Blob<T>(8);
        _ = blob.MutableCpuData;
        Assert.That(blob.Data.IsCpuMemoryPageLocked, Is.True);
    }

    [Test]
    public void Dispose_FreesDeviceMemory()
    {
        var (freeBefore, _) = Crema.Cuda.CudaRuntime.GetMemoryInfo(Context.Device);
        var blob = new Blob<T>(64, 1024, 1024); // 256 or 512 MiB
        _ = blob.MutableGpuData;
        var (freeDuring, _) = Crema.Cuda.CudaRuntime.GetMemoryInfo(Context.Device);
        blob.Dispose();
        var (freeAfter, _) = Crema.Cuda.CudaRuntime.GetMemoryInfo(Context.Device);

        Assert.That(freeDuring, Is.LessThan(freeBefore - (200L << 20)));
        Assert.That(freeAfter, Is.GreaterThan(freeDuring + (200L << 20)));
    }
}
