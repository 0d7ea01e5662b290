using System.Globalization;
using BenchmarkDotNet.Running;

namespace Crema.Bench.Train;

/// <summary>
/// The work model of an MLP training step, put on its benchmark class: the images of one step (the <c>Batch</c>
/// parameter) for the images/s column, and the flops of the step's gemms for GFLOP/s. No byte model: a step is a
/// chain of small gemms and element-wise passes whose floor depends on what stays in cache, so GB/s and × floor
/// stay "-".
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TrainStepTrafficAttribute : Attribute, ITrafficModel
{
    /// <summary>The name of the benchmark parameter that holds the batch size.</summary>
    public const string BatchParameter = "Batch";

    /// <summary>
    /// Flops per image of the gemms of one step of the MLP with these layer widths (InnerProduct layers): forward
    /// y = x·Wᵀ and weight gradient dW += dyᵀ·x for every layer, data gradient dx = dy·W for all but the first (nothing
    /// propagates to the images); 2·inputs·outputs each. Bias, ReLU, loss and update passes are left out (under 1%).
    /// </summary>
    public static double FlopsPerImage(IReadOnlyList<int> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        double flops = 0;
        for (int layer = 0; layer + 1 < widths.Count; layer++)
        {
            double gemm = 2.0 * widths[layer] * widths[layer + 1];
            flops += layer == 0 ? 2 * gemm : 3 * gemm;
        }

        return flops;
    }

    /// <inheritdoc/>
    public double? BytesMoved(BenchmarkCase benchmarkCase) => null;

    /// <inheritdoc/>
    public double? Flops(BenchmarkCase benchmarkCase) =>
        BatchOf(benchmarkCase) * FlopsPerImage(MlpTrainStep.Widths);

    /// <inheritdoc/>
    public double? Images(BenchmarkCase benchmarkCase) => BatchOf(benchmarkCase);

    private static int? BatchOf(BenchmarkCase benchmarkCase)
    {
        object? batch = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == BatchParameter)?.Value;
        return batch is null ? null : Convert.ToInt32(batch, CultureInfo.InvariantCulture);
    }
}
