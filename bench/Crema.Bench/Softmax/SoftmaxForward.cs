using BenchmarkDotNet.Attributes;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Bench.Softmax;

/// <summary>Softmax layer forward along axis 1 into a separate top. Floor: one read of x and one write of y.</summary>
[SoftmaxTraffic(SoftmaxOp.SoftmaxForward), BenchmarkCategory(SoftmaxCategory)]
public class SoftmaxForward : SoftmaxBenchmark
{
    /// <inheritdoc/>
    protected override bool TakesLabels => false;

    /// <inheritdoc/>
    protected override Layer<float> CreateLayer() =>
        new SoftmaxLayer<float>(new LayerParameter { Name = "prob", Type = "Softmax", SoftmaxParam = { Axis = 1 } });

    /// <inheritdoc/>
    protected override void RunOnce() => Layer.ForwardDeferred(Bottom, Top);
}
