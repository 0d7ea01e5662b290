using BenchmarkDotNet.Attributes;
using Crema.Layers;

namespace Crema.Bench.Softmax;

/// <summary>
/// SoftmaxWithLoss in fused mode (<see cref="SoftmaxWithLossLayer{T}.FusedBackward"/>): Forward also writes the
/// gradient, and a training step's Backward does nothing, so only the forward is timed. Floor: one read of the
/// logits and one write of the gradient.
/// </summary>
[SoftmaxTraffic(SoftmaxOp.LossFused), BenchmarkCategory(SoftmaxCategory)]
public class SoftmaxLossFused : SoftmaxBenchmark
{
    /// <inheritdoc/>
    protected override bool TakesLabels => true;

    /// <inheritdoc/>
    protected override Layer<float> CreateLayer() =>
        new SoftmaxWithLossLayer<float>(LossParameter()) { FusedBackward = true };

    /// <inheritdoc/>
    protected override void RunOnce() => Layer.ForwardDeferred(Bottom, Top);

    /// <inheritdoc/>
    protected override void Check() => CheckLoss();
}
