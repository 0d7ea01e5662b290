using BenchmarkDotNet.Running;
using Crema.Bench.Blas;

namespace Crema.Bench.Softmax;

/// <summary>The softmax ops the benchmarks time.</summary>
public enum SoftmaxOp
{
    /// <summary>SoftmaxWithLoss forward, loss only: reads the logits once (4·M·C bytes).</summary>
    LossForward,
    /// <summary>SoftmaxWithLoss Forward then Backward: the floor reads the logits once and writes the gradient once (8·M·C).</summary>
    LossForwardBackward,
    /// <summary>SoftmaxWithLoss forward that also writes the gradient (fused mode): 8·M·C.</summary>
    LossFused,
    /// <summary>Softmax layer forward: reads x and writes y (8·M·C).</summary>
    SoftmaxForward,
}

/// <summary>
/// The traffic model of a softmax benchmark class (SPEC §7): bytes per op from the row's <c>Case</c> parameter and
/// engine (its CPU or GPU category picks the shape). Labels and the per-position log-sum-exp are small and not
/// counted. No flop model: these ops are memory-bound on the GPU, and exp dominates on the CPU.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SoftmaxTrafficAttribute(SoftmaxOp op) : Attribute, ITrafficModel
{
    /// <summary>The name of the benchmark parameter that holds the case name.</summary>
    public const string CaseParameter = "Case";

    /// <summary>The op the class times.</summary>
    public SoftmaxOp Op { get; } = op;

    /// <summary>Bytes one op must move for <paramref name="elements"/> = M·C fp32 logits.</summary>
    public static long BytesMoved(SoftmaxOp op, long elements) => op switch
    {
        SoftmaxOp.LossForward => 4 * elements,
        SoftmaxOp.LossForwardBackward or SoftmaxOp.LossFused or SoftmaxOp.SoftmaxForward => 8 * elements,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "no traffic model for this op"),
    };

    /// <summary>The logits' shape of a row, or null when the row has no case or no engine category.</summary>
    public static int[]? ShapeOf(BenchmarkCase benchmarkCase)
    {
        var name = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == CaseParameter)?.Value as string;
        bool gpu = benchmarkCase.Descriptor.HasCategory(BlasBenchmark.GpuCategory);
        if (name is null || (!gpu && !benchmarkCase.Descriptor.HasCategory(BlasBenchmark.CpuCategory)))
        {
            return null;
        }

        return SoftmaxCases.ShapeOf(name, gpu);
    }

    /// <inheritdoc/>
    public double? BytesMoved(BenchmarkCase benchmarkCase) =>
        ShapeOf(benchmarkCase) is int[] shape ? BytesMoved(Op, SoftmaxCases.ElementCount(shape)) : null;

    /// <inheritdoc/>
    public double? Flops(BenchmarkCase benchmarkCase) => null;
}
