using System.Numerics;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// Every <see cref="SoftmaxWithLossLayerTests{T}"/> case on the GPU engine, plus what only the GPU has: an invalid
/// label recorded by the kernel and reported when the loss is read back, with the CPU's message.
/// </summary>
[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SoftmaxWithLossLayerGpuTests<T> : SoftmaxWithLossLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;

    [Test]
    public void InvalidLabel_DeferredForwardDoesNotWait_TheReadBackThrows()
    {
        var labels = LayerTestData.Labels(24, 5, seed: 3);
        labels[BadPosition] = 6;
        var c = MakeCase(SmallShape, LayerTestData.Gaussian(120, seed: 2), SmallLabelShape, labels, LayerTestData.SoftmaxWithLoss());

        Assert.That(() => c.Layer.ForwardDeferred(c.Bottom, c.Top), Throws.Nothing, "nothing is read back here");
        Assert.That(() => c.Layer.ReadLoss(c.Top), Throws.InstanceOf<ArgumentException>());
    }

    [TestCase(5.0)]
    [TestCase(-1.0)]
    [TestCase(2.5)]
    [TestCase(double.NaN)]
    public void InvalidLabel_GpuMessage_IsTheCpuMessage(double label)
    {
        var labels = LayerTestData.Labels(24, 5, seed: 3);
        labels[BadPosition] = label;
        labels[BadPosition + 4] = label;
        var param = LayerTestData.SoftmaxWithLoss(p => p.Normalization = NormalizationMode.Full);

        var gpu = MakeCase(SmallShape, LayerTestData.Gaussian(120, seed: 2), SmallLabelShape, labels, param.Clone());
        var gpuError = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => gpu.Forward());
        Engine.UseCpu();
        var cpu = MakeCase(SmallShape, LayerTestData.Gaussian(120, seed: 2), SmallLabelShape, labels, param.Clone());
        var cpuError = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => cpu.Forward());

        Assert.That(gpuError!.Message, Is.EqualTo(cpuError!.Message));
        Assert.That(gpuError.GetType(), Is.EqualTo(cpuError.GetType()));
    }
}
