using System.Runtime.InteropServices;
using System.Text;
using Crema.Cuda;
using Crema.Interop;

namespace Crema.Tests.Interop;

/// <summary>The built native library itself: exports and the error plumbing, which work without a GPU.</summary>
[Category("Native")]
public class NativeLibraryTests
{
    private nint library;

    [OneTimeSetUp]
    public void RequireLibrary()
    {
        if (!NativeLibraryResolver.TryLoad(out string report))
        {
            Assert.Ignore($"native library not built (nvcc missing?): {report.Split('\n')[0]}");
        }

        library = NativeLibrary.Load(NativeLibraryResolver.LoadedFrom!);
    }

    [Test]
    public void EveryHeaderFunction_IsExported()
    {
        var missing = HeaderBindingTests.HeaderFunctions().Keys
            .Where(name => !NativeLibrary.TryGetExport(library, name, out _));
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void Version_MatchesTheManagedAssembly()
    {
        Assert.That(CremaNative.crema_get_version(out int major, out int minor, out int patch), Is.Zero);
        var assembly = typeof(Engine).Assembly.GetName().Version!;
        Assert.That((major, minor, patch), Is.EqualTo((assembly.Major, assembly.Minor, assembly.Build)));
    }

    [Test]
    public void InvalidArgument_ComesBackAsStatusAndThreadLocalMessage()
    {
        int status = CremaNative.crema_device_malloc(0, 0, out nint pointer);

        Assert.That(status, Is.EqualTo((int)CremaStatus.InvalidArgument));
        Assert.That(pointer, Is.EqualTo(nint.Zero));
        Assert.That(NativeStatus.LastErrorMessage(), Is.EqualTo("crema_device_malloc: bytes must be positive, got 0"));
    }

    [Test]
    public void LastError_IsTruncatedToTheCallersBuffer_AndReportsTheFullLength()
    {
        CremaNative.crema_device_malloc(0, -5, out _);
        string full = NativeStatus.LastErrorMessage();
        var buffer = new byte[11];

        unsafe
        {
            fixed (byte* p = buffer)
            {
                Assert.That(CremaNative.crema_get_last_error(p, buffer.Length, out long length), Is.Zero);
                Assert.That(length, Is.EqualTo(full.Length));
            }
        }

        Assert.That(Encoding.UTF8.GetString(buffer, 0, 10), Is.EqualTo(full[..10]));
        Assert.That(buffer[10], Is.Zero, "the copy is NUL-terminated");
    }

    [Test]
    public void LastError_IsPerThread()
    {
        CremaNative.crema_device_malloc(0, 0, out _);
        string other = "";
        var thread = new Thread(() =>
        {
            CremaNative.crema_device_malloc(0, -1, out _);
            other = NativeStatus.LastErrorMessage();
        });
        thread.Start();
        thread.Join();

        Assert.That(other, Does.EndWith("got -1"));
        Assert.That(NativeStatus.LastErrorMessage(), Does.EndWith("got 0"));
    }

    [Test]
    public void ThrowIfFailed_MakesACremaExceptionNamingTheCall()
    {
        var e = Assert.Throws<CremaException>(() =>
            NativeStatus.ThrowIfFailed(CremaNative.crema_device_malloc(0, 0, out _)));

        Assert.That(e!.Status, Is.EqualTo(CremaStatus.InvalidArgument));
        Assert.That(e.Message, Does.Contain("bytes must be positive, got 0").And.Contain("crema_device_malloc"));
    }

    [Test]
    public void OpOnANullContext_IsRejectedWithAMessage()
    {
        using var invalid = new ContextHandle();
        int status = CremaNative.crema_sset(invalid, 4, 1f, 0);

        Assert.That(status, Is.EqualTo((int)CremaStatus.InvalidArgument));
        Assert.That(NativeStatus.LastErrorMessage(), Is.EqualTo("crema_sset: context must not be NULL"));
    }

    [Test]
    public void DestroyFunctions_AcceptNull()
    {
        Assert.That(CremaNative.crema_stream_destroy(0), Is.Zero);
        Assert.That(CremaNative.crema_event_destroy(0), Is.Zero);
        Assert.That(CremaNative.crema_context_destroy(0), Is.Zero);
        Assert.That(CremaNative.crema_device_free(0, 0), Is.Zero);
        Assert.That(CremaNative.crema_host_free(0), Is.Zero);
    }

    [Test]
    public void Probe_ReportsTheLibraryAndCudaVersions()
    {
        var status = CudaRuntime.Probe();

        Assert.That(status.LibraryPath, Is.Not.Null);
        Assert.That(status.NativeVersion, Is.EqualTo(new Version(0, 1, 0)));
        Assert.That(status.RuntimeVersion, Is.GreaterThanOrEqualTo(11000), "built against CUDA 11 or later");
        Assert.That(status.IsAvailable, Is.EqualTo(status.Devices.Count > 0));
        Assert.That(status.IsAvailable, Is.EqualTo(status.Reason is null));
    }
}
