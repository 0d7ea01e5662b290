using Crema.Blas;
using Crema.Cuda;

namespace Crema.Tests.Cuda;

/// <summary>Devices, memory, copies, streams, events and contexts through the managed wrappers.</summary>
public class CudaWrapperTests : GpuTestBase
{
    [Test]
    public void Device_ReportsPlausibleProperties()
    {
        var device = CudaRuntime.GetDeviceInfo(Context.Device);

        Assert.That(device.Name, Is.Not.Empty);
        Assert.That(device.ComputeCapability, Is.GreaterThanOrEqualTo(new Version(7, 0)), "the library is built for sm_70 and later");
        Assert.That(device.TotalMemoryBytes, Is.GreaterThan(1L << 30));
        Assert.That(device.MultiprocessorCount, Is.GreaterThan(0));
        Assert.That(device.TheoreticalBandwidthGBps, Is.GreaterThan(100));
        TestContext.Out.WriteLine($"{device} (theoretical {device.TheoreticalBandwidthGBps:F0} GB/s)");
    }

    [Test]
    public void Probe_ListsTheDevices()
    {
        var status = CudaRuntime.Probe();

        Assert.That(status.IsAvailable, Is.True);
        Assert.That(status.Devices, Is.Not.Empty);
        Assert.That(status.DriverVersion, Is.GreaterThanOrEqualTo(status.RuntimeVersion), "a working driver is at least as new as the runtime");
    }

    [Test]
    public void MemoryInfo_FreeIsAtMostTotal()
    {
        var (free, total) = CudaRuntime.GetMemoryInfo(Context.Device);
        Assert.That(free, Is.GreaterThan(0).And.LessThanOrEqualTo(total));
    }

    [Test]
    public void ImpossibleAllocation_ThrowsOutOfMemory_NamingTheSize()
    {
        const long bytes = 1L << 50; // a petabyte
        var e = Assert.Throws<CremaException>(() => Context.Allocate<byte>(bytes));

        Assert.That(e!.Status, Is.EqualTo(CremaStatus.OutOfMemory));
        Assert.That(e.Message, Does.Contain(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        using var after = Context.Allocate<float>(16);
        after.CopyFrom(new float[16]);
        Assert.That(after.ToArray(), Has.Length.EqualTo(16), "the context keeps working after the failure");
    }

    [Test]
    public void BlockingCopies_RoundTrip_IncludingSlices()
    {
        var values = TestData.Uniform<double>(1000, seed: 31);
        using var buffer = Context.Allocate<double>(1000);

        buffer.CopyFrom(values);
        Assert.That(buffer.ToArray(), Is.EqualTo(values));

        buffer.Slice(10, 3).CopyFrom([1.0, 2.0, 3.0]);
        Assert.That(buffer.Slice(9, 5).ToArray(), Is.EqualTo(new[] { values[9], 1.0, 2.0, 3.0, values[13] }));
    }

    [Test]
    public void DeviceToDeviceCopy_OfSpans_CopiesTheRange()
    {
        using var source = Context.Allocate<float>(100);
        using var target = Context.Allocate<float>(100);
        source.CopyFrom(TestData.Uniform<float>(100, seed: 32));
        target.Clear();

        target.Slice(50, 20).CopyFrom(source.Slice(0, 20));

        var result = target.ToArray();
        Assert.That(result[50..70], Is.EqualTo(source.ToArray()[..20]));
        Assert.That(result[..50], Is.All.Zero);
        Assert.That(result[70..], Is.All.Zero);
    }

    [Test]
    public void AsyncCopies_ThroughPinnedMemory_RoundTrip()
    {
        var values = TestData.Uniform<float>(4096, seed: 33);
        using var pinned = new PinnedHostBuffer<float>(4096);
        values.CopyTo(pinned.Span);
        using var device = Context.Allocate<float>(4096);
        using var back = new PinnedHostBuffer<float>(4096);

        device.Span.CopyFromAsync(pinned);
        GpuMath.Scal(2f, device.Span);
        device.Span.CopyToAsync(back);
        Context.Synchronize();

        Assert.That(back.Span.ToArray(), Is.EqualTo(values.Select(v => v * 2f).ToArray()));
    }

    [Test]
    public void PinnedHostBuffer_StartsZeroed()
    {
        using var pinned = new PinnedHostBuffer<double>(257);
        Assert.That(pinned.Span.ToArray(), Is.All.Zero);
        Assert.That(pinned.Slice(250, 7).Length, Is.EqualTo(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => pinned.Slice(255, 3));
    }

    [Test]
    public void ProfilerRange_WithoutAProfiler_LetsTheWorkRun()
    {
        using var buffer = Context.Allocate<float>(1000);
        using (CudaProfiler.Range())
        {
            GpuMath.Set(2.5f, buffer.Span);
            Context.Synchronize();
        }

        CudaProfiler.Stop(); // a second stop is harmless too
        Assert.That(buffer.ToArray(), Is.All.EqualTo(2.5f));
    }

    [Test]
    public void Events_TimeWorkOnAStream()
    {
        using var start = new CudaEvent(Context.Device);
        using var end = new CudaEvent(Context.Device);
        using var buffer = Context.Allocate<float>(1 << 24);

        start.Record(Context.Stream);
        for (int i = 0; i < 10; i++)
        {
            GpuMath.Set(1f, buffer.Span);
        }

        end.Record(Context.Stream);
        float ms = CudaEvent.ElapsedMilliseconds(start, end);

        Assert.That(ms, Is.GreaterThan(0).And.LessThan(10_000));
        Assert.That(Context.Stream.IsIdle(), Is.True, "ElapsedMilliseconds waited for the end event");
    }

    [Test]
    public void SeparateStream_WaitsForAnEventOnTheContextStream()
    {
        using var stream = new CudaStream(Context.Device);
        using var done = new CudaEvent(Context.Device);
        using var buffer = Context.Allocate<float>(1 << 20);
        GpuMath.Set(3f, buffer.Span);
        done.Record(Context.Stream);

        stream.Wait(done);
        stream.Synchronize();

        Assert.That(buffer.Slice((1 << 20) - 1, 1).ToArray(), Is.EqualTo(new[] { 3f }));
    }

    [Test]
    public void SecondContext_HasItsOwnStream_AndDisposesCleanly()
    {
        var other = new CudaContext(Context.Device);
        using (var x = other.Allocate<double>(1000))
        {
            GpuMath.Set(0.5, x.Span);
            Assert.That(GpuMath.Asum(x.Span), Is.EqualTo(500.0));
        }

        Assert.That(other.Stream, Is.Not.SameAs(Context.Stream));
        other.Dispose();
        other.Dispose();
        Assert.Throws<ObjectDisposedException>(() => other.Synchronize());
    }

    [Test]
    public void ZeroLengthBuffer_AllocatesNothing_AndCopiesNothing()
    {
        using var empty = Context.Allocate<float>(0);

        Assert.That(empty.Bytes, Is.Zero);
        Assert.That(empty.ToArray(), Is.Empty);
        empty.CopyFrom([]);
        empty.Clear();
    }

    [Test]
    public void CopyingMoreThanTheBufferHolds_Throws_NamingBothLengths()
    {
        using var buffer = Context.Allocate<float>(4);
        var e = Assert.Throws<ArgumentException>(() => buffer.CopyFrom(new float[5]));
        Assert.That(e!.Message, Does.Contain("5").And.Contain("4"));
    }

    [Test]
    public void CopyTo_NeedsRoomForTheWholeSpan_LikeSpanCopyTo()
    {
        using var buffer = Context.Allocate<float>(4);
        buffer.CopyFrom([1f, 2f, 3f, 4f]);

        var e = Assert.Throws<ArgumentException>(() => buffer.CopyTo(new float[3]));
        Assert.That(e!.Message, Does.Contain("3").And.Contain("4"));

        var larger = new float[6];
        buffer.CopyTo(larger);
        Assert.That(larger, Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 0f, 0f }));
    }
}
