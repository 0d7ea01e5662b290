using BenchmarkDotNet.Attributes;
using Crema.Layers;

namespace Crema.Bench.Softmax;

/// <summary>
/// SoftmaxWithLoss forward, loss only: <see cref="Layer{T}.ForwardDeferred"/>, so the loss stays on the device (no
/// read-back per op). Floor: one read of the logits.
/// </summary>
[SoftmaxTraffic(SoftmaxOp.LossForward), BenchmarkCategory(SoftmaxCategory)]
public class SoftmaxLossForward : SoftmaxBenchmark
{
    /// <inheritdoc/>
    protected override bool TakesLabels => true;

    /// <inheritdoc/>
    protected override Layer<float> CreateLayer() => new SoftmaxWithLossLayer<float>(LossParameter());

    /// <inheritdoc/>
    protected override void RunOnce() => Layer.ForwardDeferred(Bottom, Top);

    /// <inheritdoc/>
    protected override void Check() => CheckLoss();
}
