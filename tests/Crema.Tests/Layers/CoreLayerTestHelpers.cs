using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>Parameters and a learnable-blob gradient check for the core layers' tests (Input … Split).</summary>
internal static class CoreLayerTestHelpers
{
    /// <summary>An InnerProduct parameter with Gaussian weights and uniform [1, 2) biases, as Caffe's tests use.</summary>
    internal static LayerParameter InnerProduct(uint numOutput, bool biasTerm = true, int axis = 1, bool transpose = false) => new()
    {
        Name = "ip",
        Type = "InnerProduct",
        InnerProductParam =
        {
            NumOutput = numOutput,
            BiasTerm = biasTerm,
            Axis = axis,
            Transpose = transpose,
            WeightFiller = { Type = "gaussian", Std = 1 },
            BiasFiller = { Type = "uniform", Min = 1, Max = 2 },
        },
    };

    /// <summary>
    /// Checks every learnable blob's diff against central differences of Σ top²/2 (double objective). The param diffs
    /// are zeroed first, since Backward adds to them.
    /// </summary>
    internal static void CheckParamGradients<T>(Layer<T> layer, IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top,
        double step, double threshold)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        layer.SetUp(bottom, top);
        foreach (var blob in layer.Blobs)
        {
            blob.MutableCpuDiff.Clear();
        }

        layer.Forward(bottom, top);
        foreach (var t in top)
        {
            t.SetDiff(t.CpuData);
        }

        layer.Backward(top, [.. bottom.Select(_ => false)], bottom);
        for (int p = 0; p < layer.Blobs.Count; p++)
        {
            var blob = layer.Blobs[p];
            var analytic = TestData.ToDouble<T>(blob.CpuDiff);
            for (int i = 0; i < blob.Count; i++)
            {
                T original = blob.CpuData[i];
                blob.MutableCpuData[i] = original + T.CreateTruncating(step);
                double plus = HalfSumOfSquares(layer, bottom, top);
                blob.MutableCpuData[i] = original - T.CreateTruncating(step);
                double minus = HalfSumOfSquares(layer, bottom, top);
                blob.MutableCpuData[i] = original;
                double numeric = (plus - minus) / (2 * step);
                double scale = Math.Max(Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)), 1);
                Assert.That(Math.Abs(analytic[i] - numeric), Is.LessThanOrEqualTo(threshold * scale),
                    $"param {p} element {i}: analytic {analytic[i]}, numeric {numeric}");
            }
        }
    }

    private static double HalfSumOfSquares<T>(Layer<T> layer, IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        layer.Forward(bottom, top);
        double sum = 0;
        foreach (var t in top)
        {
            foreach (double v in TestData.ToDouble<T>(t.CpuData))
            {
                sum += v * v / 2;
            }
        }

        return sum;
    }
}
