using System.Numerics;
using Crema.Blas;
using Crema.Cuda;
using Crema.Kernels;
using Crema.Solvers;
using Crema.Tests.Blas;

namespace Crema.Tests.Kernels;

/// <summary>
/// The SGD step kernels against their CPU twin (<c>SgdCpu</c>), in float and double: the fused update bit for bit for
/// every flag combination, aligned and unaligned; the clipping scale bit for bit from the same shares; the double sum
/// of squares; the device loss accumulation and the bad-label latch. Skipped, with the reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SgdKernelTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T Momentum = T.CreateTruncating(0.9f);
    private static readonly T Decay = T.CreateTruncating(0.0005f);
    private static readonly T Rate = T.CreateTruncating(0.01f * 2);

    private static IEnumerable<TestCaseData> Variants()
    {
        foreach (int n in new[] { 1, 3, 4, 17, 4099, 1_048_583 })
        {
            foreach (bool decay in new[] { false, true })
            {
                foreach (bool momentum in new[] { false, true })
                {
                    foreach (bool apply in new[] { false, true })
                    {
                        yield return new TestCaseData(n, decay, momentum, apply);
                    }
                }
            }
        }
    }

    [TestCaseSource(nameof(Variants))]
    public void Update_EqualsTheCpuTwin_BitForBit(int n, bool decay, bool momentum, bool apply)
    {
        CheckUpdate(n, decay, momentum, apply, offset: 0);
    }

    [TestCase(1)]
    [TestCase(4099)]
    public void Update_UnalignedSpans_EqualTheCpuTwin(int n)
    {
        // An offset of one element: no 16-byte vector accesses, the element-at-a-time path throughout.
        CheckUpdate(n, decay: true, momentum: true, apply: true, offset: 1);
    }

    [TestCase(0, -1.0, 1)]
    [TestCase(3, -1.0, 2)]
    [TestCase(4, 1e6, 3)]
    [TestCase(4, 0.5, 1)]
    [TestCase(4, 0.5, 2)]
    [TestCase(1, 0.0, 1)]
    public void ClipScale_EqualsTheCpuTwin_BitForBit(int count, double clip, int iterSize)
    {
        double[] sumsqs = [.. TestData.Uniform<double>(count, seed: count, 0.1, 5)];
        using var shares = Context.Allocate<double>(count + 1);
        if (count > 0)
        {
            shares.Slice(0, count).CopyFrom(sumsqs);
        }

        using var scale = Context.Allocate<T>(1);
        SgdKernels.ClipScale(shares.Slice(0, count), clip, iterSize, shares.Slice(count, 1), scale.Span);

        T expected = SgdCpu.ClipScale<T>(sumsqs, clip, iterSize, out double expectedNorm);
        BlasReference.AssertExactlyEqual<T>(scale.ToArray(), [expected], "scale");
        Assert.That(shares.Slice(count, 1).ToArray()[0], Is.EqualTo(expectedNorm), "norm");
    }

    [TestCaseSource(typeof(TestData), nameof(TestData.Sizes))]
    public void SumsqToDouble_MatchesTheCpuTwin(int n)
    {
        var host = TestData.Uniform<T>(n, seed: n);
        using var x = Upload(host);
        using var result = Context.Allocate<double>(1);

        GpuMath.SumsqToDouble(x.Span, result.Span);

        // Both sum in double; only the order differs.
        TestData.AssertClose(result.ToArray()[0], SgdCpu.SumsqToDouble<T>(host), 1e-13, "Σ x²");
    }

    [Test]
    public void SumsqToDouble_IsNotRoundedToT()
    {
        using var x = Upload([T.CreateTruncating(4096), T.One, T.One, T.One]);
        using var result = Context.Allocate<double>(1);
        GpuMath.SumsqToDouble(x.Span, result.Span);
        Assert.That(result.ToArray()[0], Is.EqualTo(16777219.0));
    }

    [Test]
    public void DotAccumulate_AddsToWhatTheResultHolds()
    {
        var xHost = TestData.Uniform<T>(1000, seed: 1);
        var yHost = TestData.Uniform<T>(1000, seed: 2);
        using var x = Upload(xHost);
        using var y = Upload(yHost);
        using var sum = Upload([T.CreateTruncating(1.5)]);

        GpuMath.DotAccumulate(x.Span, y.Span, sum.Span);
        GpuMath.DotAccumulate(x.Span, y.Span, sum.Span);

        T dot = GpuMath.Dot(x.Span, y.Span);
        BlasReference.AssertExactlyEqual<T>(sum.ToArray(), [T.CreateTruncating(1.5) + dot + dot], "sum");
    }

    [Test]
    public void LatchBadLabel_KeepsTheFirstErrorAndItsValue_UntilReset()
    {
        using var labels = Upload([T.Zero, T.CreateTruncating(7), T.One]);
        using var slot = Context.Allocate<long>(1);
        using var latched = Context.Allocate<long>(1);
        using var value = Context.Allocate<T>(1);
        SoftmaxLossKernels.ResetBadLabel(latched.Span);
        SoftmaxLossKernels.ResetBadLabel(slot.Span);

        SoftmaxLossKernels.LatchBadLabel(labels.Span, slot.Span, latched.Span, value.Span);
        Assert.That(latched.ToArray()[0], Is.EqualTo(SoftmaxLossKernels.NoBadLabel), "nothing to latch");

        slot.CopyFrom([1L]);
        SoftmaxLossKernels.LatchBadLabel(labels.Span, slot.Span, latched.Span, value.Span);
        labels.CopyFrom([T.CreateTruncating(9), T.One, T.One]);
        slot.CopyFrom([0L]);
        SoftmaxLossKernels.LatchBadLabel(labels.Span, slot.Span, latched.Span, value.Span);
        Assert.That(latched.ToArray()[0], Is.EqualTo(1L), "the first error stays");
        Assert.That(double.CreateTruncating(value.ToArray()[0]), Is.EqualTo(7.0), "with the label it had then");

        SoftmaxLossKernels.ResetBadLabel(latched.Span);
        SoftmaxLossKernels.LatchBadLabel(labels.Span, slot.Span, latched.Span, value.Span);
        Assert.That(latched.ToArray()[0], Is.Zero);
        Assert.That(double.CreateTruncating(value.ToArray()[0]), Is.EqualTo(9.0));
    }

    [Test]
    public void Update_OverlappingSpans_Throw()
    {
        using var buffer = Context.Allocate<T>(10);
        using var scale = Upload([T.One]);
        Assert.That(() => SgdKernels.Update(Momentum, Decay, Rate, scale.Span, true, buffer.Slice(0, 5), buffer.Slice(4, 5), buffer.Slice(0, 5)),
            Throws.ArgumentException.With.Message.Contains("overlap"));
    }

    [Test]
    public void Update_WithTheScaleInsideAnUpdatedSpan_Throws([Values("data", "diff", "history")] string where)
    {
        using var buffer = Context.Allocate<T>(30);
        var (data, diff, history) = (buffer.Slice(0, 10), buffer.Slice(10, 10), buffer.Slice(20, 10));
        var scale = where switch { "data" => buffer.Slice(9, 1), "diff" => buffer.Slice(10, 1), _ => buffer.Slice(25, 1) };

        Assert.That(() => SgdKernels.Update(Momentum, Decay, Rate, scale, true, data, diff, history),
            Throws.ArgumentException.With.Message.Contains($"scale and {where} overlap"));
    }

    private void CheckUpdate(int n, bool decay, bool momentum, bool apply, int offset)
    {
        var data = TestData.Uniform<T>(n, seed: n, -1, 1);
        var diff = TestData.Uniform<T>(n, seed: n + 1, -2, 2);
        var history = TestData.Uniform<T>(n, seed: n + 2, -0.5, 0.5);
        T scale = T.CreateTruncating(0.3217);
        T localDecay = decay ? Decay : T.Zero;
        T m = momentum ? Momentum : T.Zero;
        using var dData = UploadAt(data, offset);
        using var dDiff = UploadAt(diff, offset);
        using var dHistory = UploadAt(history, offset);
        using var dScale = Upload([scale]);

        SgdKernels.Update(m, localDecay, Rate, dScale.Span, apply,
            dData.Slice(offset, n), dDiff.Slice(offset, n), dHistory.Slice(offset, n));
        SgdCpu.Update(m, localDecay, Rate, scale, apply, data, diff, history);

        BlasReference.AssertExactlyEqual<T>(dHistory.Slice(offset, n).ToArray(), history, "history");
        BlasReference.AssertExactlyEqual<T>(dDiff.Slice(offset, n).ToArray(), diff, "diff");
        BlasReference.AssertExactlyEqual<T>(dData.Slice(offset, n).ToArray(), data, "data");
    }

    private DeviceBuffer<T> UploadAt(T[] host, int offset)
    {
        var buffer = Context.Allocate<T>(host.Length + offset);
        buffer.Slice(offset, host.Length).CopyFrom(host);
        return buffer;
    }
}

/// <summary>The launchers' checks that come before any device memory is touched; these run without a GPU.</summary>
public class SgdKernelArgumentTests
{
    [Test]
    public void DefaultSpans_ThrowNamingTheArgument()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => SgdKernels.Update(0.9f, 0f, 0.1f, default, true, default, default, default),
                Throws.ArgumentException.With.Message.Contains("data is a default DeviceSpan"));
            Assert.That(() => SgdKernels.ClipScale<float>(default, 1, 1, null, default),
                Throws.ArgumentException.With.Message.Contains("scale is a default DeviceSpan"));
            Assert.That(() => GpuMath.SumsqToDouble<float>(default, default),
                Throws.ArgumentException.With.Message.Contains("default DeviceSpan"));
            Assert.That(() => GpuMath.DotAccumulate<double>(default, default, default),
                Throws.ArgumentException.With.Message.Contains("default DeviceSpan"));
            Assert.That(() => SoftmaxLossKernels.LatchBadLabel<float>(default, default, default, default),
                Throws.ArgumentException.With.Message.Contains("default DeviceSpan"));
            Assert.That(() => SoftmaxLossKernels.ResetBadLabel(default),
                Throws.ArgumentException.With.Message.Contains("default DeviceSpan"));
        });
    }

    [Test]
    public void IterSizeBelowOne_Throws()
    {
        Assert.That(() => SgdKernels.ClipScale<double>(default, 1, 0, null, default),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("iterSize"));
    }

    [Test]
    public void Half_IsNotSupported()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => SgdKernels.Update(Half.One, Half.Zero, Half.One, default, true, default, default, default),
                Throws.TypeOf<NotSupportedException>().With.Message.Contains("Half"));
            Assert.That(() => SgdKernels.ClipScale<Half>(default, 1, 1, null, default),
                Throws.TypeOf<NotSupportedException>().With.Message.Contains("Half"));
        });
    }
}
