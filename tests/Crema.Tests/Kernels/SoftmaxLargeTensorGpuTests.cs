using Crema.Blas;
using Crema.Cuda;
using Crema.Kernels;
using Crema.Parameters;

namespace Crema.Tests.Kernels;

/// <summary>
/// More than 2^31 logits in each regime (tile, block row, column): every element offset on the way to the
/// kernels must be 64-bit. Skipped, with the reason, when the device has too little free memory.
/// </summary>
public class SoftmaxLargeTensorGpuTests : GpuTestBase
{
    [TestCase((1L << 28) + 3, 8L, 1L, TestName = "Tile regime, 2^28+3 rows of 8")]
    [TestCase((1L << 20) + 3, 2048L, 1L, TestName = "Block-row regime, 2^20+3 rows of 2048")]
    [TestCase(1L, 4L, (1L << 29) + 5, TestName = "Column regime, 4 classes by 2^29+5")]
    public void FusedLossAndSoftmax_CoverEveryElementPastTwoToThe31(long outer, long channels, long inner)
    {
        var shape = new SoftmaxShape(outer, channels, inner);
        long count = shape.Count, positions = shape.Positions;
        Assert.That(count, Is.GreaterThan(1L << 31), "the case must pass 2^31 elements");
        long needed = (2 * count * sizeof(float)) + (2 * positions * sizeof(float)) + (256L << 20);
        var (free, _) = CudaRuntime.GetMemoryInfo(Context.Device);
        if (free < needed)
        {
            Assert.Ignore($"needs {needed} bytes of free device memory, {free} free");
        }

        using var logits = Context.Allocate<float>(count);
        using var grad = Context.Allocate<float>(count);
        using var labels = Context.Allocate<float>(positions);
        using var lse = Context.Allocate<float>(positions);
        using var scalars = Context.Allocate<float>(3);
        using var bad = Context.Allocate<long>(1);
        GpuMath.Set(0f, logits.Span);
        GpuMath.Set(0f, labels.Span);
        scalars.CopyFrom([0f, 0f, 1f]);

        // Every position is uniform with label 0, except the last (its own logits, label 2) and the one before it
        // (an invalid label, -5).
        long last = positions - 1;
        var (i, j) = (last / inner, last % inner);
        var row = new float[channels];
        for (long c = 0; c < channels; c++)
        {
            row[c] = 0.25f * (c % 17);
            logits.Slice(shape.Index(i, c, j), 1).CopyFrom([row[c]]);
        }

        labels.Slice(last, 1).CopyFrom([2f]);
        labels.Slice(last - 1, 1).CopyFrom([-5f]);

        SoftmaxLossKernels.Forward(outer, channels, inner, new SoftmaxLossOptions(null, NormalizationMode.Valid, 0), logits.Span,
            labels.Span, null, lse.Span, null, scalars.Slice(0, 1), scalars.Slice(1, 1), bad.Span, scalars.Slice(2, 1), grad.Span);

        double rowLse = Math.Log(row.Sum(v => Math.Exp(v)));
        double n = positions - 1;
        double expectedLoss = (((n - 1) * Math.Log(channels)) + (rowLse - row[2])) / n;
        var results = scalars.ToArray();
        double s = 1.0 / (float)n;
        Assert.Multiple(() =>
        {
            Assert.That(bad.ToArray()[0], Is.EqualTo(last - 1), "bad label past the first 2^31 elements");
            Assert.That(results[1], Is.EqualTo((float)n), "normalizer");
            Assert.That(results[0], Is.EqualTo(expectedLoss).Within(1e-5).Percent, "loss");
            Assert.That(lse.Slice(0, 1).ToArray()[0], Is.EqualTo(Math.Log(channels)).Within(1e-5).Percent, "lse of the first position");
            Assert.That(lse.Slice(last, 1).ToArray()[0], Is.EqualTo(rowLse).Within(1e-5).Percent, "lse of the last position");
            Assert.That(grad.Slice(0, 1).ToArray()[0], Is.EqualTo(s * ((1.0 / channels) - 1)).Within(1e-4).Percent, "grad (0, 0, 0)");
            for (long c = 0; c < channels; c += Math.Max(1, channels / 8))
            {
                double p = Math.Exp(row[c] - rowLse);
                Assert.That(grad.Slice(shape.Index(i, c, j), 1).ToArray()[0], Is.EqualTo(s * (p - (c == 2 ? 1 : 0))).Within(1e-4).Percent,
                    $"grad at the last position, class {c}");
                long before = last - 1;
                Assert.That(grad.Slice(shape.Index(before / inner, c, before % inner), 1).ToArray()[0], Is.Zero,
                    $"grad at the invalid label, class {c}");
            }
        });

        // The softmax kernels over the same tensor: y goes into the gradient buffer.
        SoftmaxKernels.Forward(outer, channels, inner, logits.Span, grad.Span);
        Assert.Multiple(() =>
        {
            Assert.That(grad.Slice(0, 1).ToArray()[0], Is.EqualTo(1.0 / channels).Within(1e-5).Percent, "softmax of the first position");
            for (long c = 0; c < channels; c += Math.Max(1, channels / 8))
            {
                Assert.That(grad.Slice(shape.Index(i, c, j), 1).ToArray()[0], Is.EqualTo(Math.Exp(row[c] - rowLse)).Within(1e-4).Percent,
                    $"softmax at the last position, class {c}");
            }
        });
    }
}
