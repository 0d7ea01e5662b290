using Crema.Blas;
using Crema.Cuda;

namespace Crema.Tests.Blas;

/// <summary>More than 2^31 elements: every offset and count on the way to the kernels must be 64-bit.</summary>
public class LargeTensorGpuTests : GpuTestBase
{
    private const long Count = (1L << 31) + 17;

    [Test]
    public void ElementwiseOpsAndReductions_CoverEveryElementPastTwoToThe31()
    {
        var (free, _) = CudaRuntime.GetMemoryInfo(Context.Device);
        if (free < Count * sizeof(float) * 2)
        {
            Assert.Ignore($"needs {Count * sizeof(float) * 2} bytes of free device memory, {free} free");
        }

        using var x = Context.Allocate<float>(Count);
        GpuMath.Set(1f, x.Span);
        x.Slice(Count - 1, 1).CopyFrom([5f]);

        Assert.That(GpuMath.Asum(x.Span), Is.EqualTo((float)(Count - 1 + 5)).Within(1e-6).Percent);
        Assert.That(GpuMath.Sumsq(x.Span), Is.EqualTo((float)(Count - 1 + 25)).Within(1e-6).Percent);

        GpuMath.Scal(2f, x.Span);
        Assert.That(x.Slice(Count - 4, 4).ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f, 10f }), "the tail past 2^31");
        Assert.That(x.Slice(0, 2).ToArray(), Is.EqualTo(new[] { 2f, 2f }), "the head");

        using var y = Context.Allocate<float>(Count);
        GpuMath.Copy(x.Span, y.Span);
        GpuMath.Axpby(1f, x.Span, -1f, y.Span);
        Assert.That(GpuMath.Asum(y.Span), Is.Zero, "x - copy of x is zero everywhere");
    }
}
