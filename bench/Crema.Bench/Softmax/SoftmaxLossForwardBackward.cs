using BenchmarkDotNet.Attributes;
using Crema.Layers;

namespace Crema.Bench.Softmax;

/// <summary>
/// SoftmaxWithLoss Forward then Backward to the logits, as two separate Caffe calls (no read-back). Floor: one read
/// of the logits and one write of the gradient.
/// </summary>
[SoftmaxTraffic(SoftmaxOp.LossForwardBackward), BenchmarkCategory(SoftmaxCategory)]
public class SoftmaxLossForwardBackward : SoftmaxBenchmark
{
    /// <inheritdoc/>
    protected override bool TakesLabels => true;

    /// <inheritdoc/>
    protected override Layer<float> CreateLayer() => new SoftmaxWithLossLayer<float>(LossParameter());

    /// <inheritdoc/>
    protected override void RunOnce() => ForwardThenBackward();

    /// <inheritdoc/>
    protected override void Check() => CheckLoss();
}
