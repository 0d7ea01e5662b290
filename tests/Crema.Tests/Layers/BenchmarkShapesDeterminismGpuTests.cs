using System.Runtime.InteropServices;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// Determinism where it is measured: the four GPU benchmark shapes of bench/Crema.Bench/Softmax/SoftmaxCases.cs
/// (ANCHORS.md), 20 passes each, every loss and every gradient or output bit compared with the first pass. The
/// small-shape determinism tests cannot see a reduction that only splits across blocks, or only takes another
/// regime, at these sizes. Up to 1 GiB per tensor: skipped with the reason when the card has too little free memory.
/// </summary>
public class BenchmarkShapesDeterminismGpuTests : GpuTestBase
{
    private const int Runs = 20;

    /// <summary>What is run 20 times.</summary>
    public enum Pass
    {
        /// <summary>SoftmaxWithLoss Forward then Backward, as separate calls.</summary>
        LossSeparate,

        /// <summary>SoftmaxWithLoss in fused mode: Forward writes the gradient too.</summary>
        LossFused,

        /// <summary>Softmax Forward: the output is compared.</summary>
        Softmax,
    }

    [SetUp]
    public void UseGpu() => Engine.UseGpu();

    // The shapes of SoftmaxCases (GPU column); the bench project is not referenced from the tests.
    private static readonly Dictionary<string, int[]> Shapes = new()
    {
        ["imagenet"] = [32768, 1000],
        ["vocab32k"] = [8192, 32000],
        ["seg21"] = [16, 21, 512, 512],
        ["smallK10"] = [4194304, 10],
    };

    [Test]
    public void TwentyPasses_AreBitwiseEqual([Values("imagenet", "vocab32k", "seg21", "smallK10")] string benchmarkCase, [Values] Pass pass)
    {
        int[] shape = Shapes[benchmarkCase];
        long count = shape.Aggregate(1L, (a, d) => a * d);
        long positions = count / shape[1];
        // Logits, gradient or output, the layer's probabilities and per-position scratch, with room to spare.
        long needed = (3 * count * sizeof(float)) + (4 * positions * sizeof(float)) + (256L << 20);
        var (free, _) = Crema.Cuda.CudaRuntime.GetMemoryInfo(Context.Device);
        if (free < needed)
        {
            Assert.Ignore($"needs {needed} bytes of free device memory, {free} free");
        }

        using var logits = new Blob<float>(shape);
        FillLogits(logits.MutableCpuData);
        using var labels = new Blob<float>([shape[0], .. shape.AsSpan(2)]);
        FillLabels(labels.MutableCpuData, shape[1]);
        using var output = new Blob<float>();

        using Layer<float> layer = pass == Pass.Softmax
            ? new SoftmaxLayer<float>(LayerTestData.Softmax())
            : new SoftmaxWithLossLayer<float>(LayerTestData.SoftmaxWithLoss(p => p.IgnoreLabel = -1)) { FusedBackward = pass == Pass.LossFused };
        Blob<float>[] bottom = pass == Pass.Softmax ? [logits] : [logits, labels];
        Blob<float>[] top = [output];
        layer.SetUp(bottom, top);

        float firstLoss = 0;
        byte[] first = [];
        for (int run = 0; run < Runs; run++)
        {
            float loss = layer.Forward(bottom, top);
            if (pass != Pass.Softmax)
            {
                layer.Backward(top, [true, false], bottom);
            }

            // Reading the CPU view copies the device result back; the next pass writes the device copy again.
            var bits = MemoryMarshal.AsBytes(pass == Pass.Softmax ? output.CpuData : logits.CpuDiff);
            if (run == 0)
            {
                firstLoss = loss;
                first = bits.ToArray();
                Assert.That(float.IsFinite(loss), Is.True, $"loss {loss}");
                continue;
            }

            Assert.That(BitConverter.SingleToInt32Bits(loss), Is.EqualTo(BitConverter.SingleToInt32Bits(firstLoss)), $"loss of run {run}: {loss} against {firstLoss}");
            if (!bits.SequenceEqual(first))
            {
                int at = bits.CommonPrefixLength(first) / sizeof(float);
                Assert.Fail($"run {run}: {(pass == Pass.Softmax ? "output" : "gradient")} differs from run 0 first at element {at}");
            }
        }
    }

    // Cheap, seeded, spread over about [-4, 4): a multiplicative hash of the index. 268 million Gaussian draws
    // would take longer than the 20 passes.
    private static void FillLogits(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (((uint)i * 2654435761u) >> 8) * (8f / (1 << 24)) - 4f;
        }
    }

    // Labels in [0, classes), with every tenth position ignored (-1), as the benchmarks do.
    private static void FillLabels(Span<float> values, int classes)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i % 10 == 3 ? -1 : (int)(((uint)i * 2246822519u >> 7) % (uint)classes);
        }
    }
}
