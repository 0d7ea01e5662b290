using System.Numerics;
using Crema.Core;
using Crema.Layers;

namespace Crema.Tests.Layers;

/// <summary>
/// <see cref="SoftmaxLayer{T}"/> on one engine: Caffe's Forward and Gradient cases on (2, 10, 2, 3) drawn from
/// N(0, 1), the other axes, the backward pass against the float64 reference, and bad input.
/// </summary>
public abstract class SoftmaxLayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int[] CaffeShape = [2, 10, 2, 3];

    [Test]
    public void Forward()
    {
        var bottom = MakeBlob(CaffeShape, LayerTestData.Gaussian(120, seed: 1701));
        var top = MakeTop();
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax());
        layer.SetUp([bottom], [top]);

        layer.Forward([bottom], [top]);

        Assert.That(top.Shape, Is.EqualTo(CaffeShape));
        var x = Data(bottom);
        var y = Data(top);
        for (int n = 0; n < 2; n++)
        {
            for (int k = 0; k < 6; k++)
            {
                double sum = 0;
                double expSum = 0;
                for (int c = 0; c < 10; c++)
                {
                    sum += y[(n * 60) + (c * 6) + k];
                    expSum += Math.Exp(x[(n * 60) + (c * 6) + k]);
                }

                Assert.That(sum, Is.EqualTo(1).Within(1e-3), $"Σ_c y at n={n}, position {k}");
                for (int c = 0; c < 10; c++)
                {
                    int at = (n * 60) + (c * 6) + k;
                    Assert.That(y[at], Is.EqualTo(Math.Exp(x[at]) / expSum).Within(1e-4), $"y[{at}]");
                }
            }
        }
    }

    [Test]
    public void Gradient()
    {
        var bottom = MakeBlob(CaffeShape, LayerTestData.Gaussian(120, seed: 1701));
        var top = MakeTop();
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax());

        new GradientChecker<T>(step: 1e-2, threshold: 1e-3).CheckGradientExhaustive(layer, [bottom], [top]);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(-1)]
    [TestCase(-4)]
    public void ForwardAndBackward_AlongAnyAxis_MatchTheReference(int axis)
    {
        int[] shape = [3, 4, 5, 2];
        var bottom = MakeBlob(shape, LayerTestData.Gaussian(120, seed: 7, std: 3));
        var top = MakeTop();
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax(axis));
        layer.SetUp([bottom], [top]);
        var (outer, channels, inner) = SoftmaxLossReference.Split(shape, axis);

        layer.Forward([bottom], [top]);
        var dy = LayerTestData.Gaussian(120, seed: 8);
        top.SetDiff(LayerTestData.Cast<T>(dy));
        bottom.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(120, seed: 9))); // overwritten, not added to
        layer.Backward([top], [true], [bottom]);

        var y = SoftmaxLossReference.Softmax(Data(bottom), outer, channels, inner);
        TestData.AssertClose<T>(top.CpuData, y, Tolerance, "y");
        var dx = SoftmaxLossReference.SoftmaxBackward(Data(top), LayerTestData.RoundTo<T>(dy), outer, channels, inner);
        TestData.AssertClose<T>(bottom.CpuDiff, dx, Tolerance, "dx");
    }

    [TestCase(new[] { 3, 2, 10000 })]
    [TestCase(new[] { 700, 100 })]
    [TestCase(new[] { 100000, 3 })]
    [TestCase(new[] { 4, 5, 20000 })]
    [TestCase(new[] { 2, 1000, 150 })]
    public void LargeShapes_MatchTheReference(int[] shape)
    {
        var (outer, channels, inner) = SoftmaxLossReference.Split(shape, 1);
        long count = (long)outer * channels * inner;
        var bottom = MakeBlob(shape, LayerTestData.Gaussian(count, seed: 22, std: 4));
        var top = MakeTop();
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax());
        layer.SetUp([bottom], [top]);

        layer.Forward([bottom], [top]);
        var dy = LayerTestData.Gaussian(count, seed: 23);
        top.SetDiff(LayerTestData.Cast<T>(dy));
        layer.Backward([top], [true], [bottom]);

        TestData.AssertClose<T>(top.CpuData, SoftmaxLossReference.Softmax(Data(bottom), outer, channels, inner), Tolerance, "y");
        var dx = SoftmaxLossReference.SoftmaxBackward(Data(top), LayerTestData.RoundTo<T>(dy), outer, channels, inner);
        TestData.AssertClose<T>(bottom.CpuDiff, dx, Tolerance, "dx");
    }

    [Test]
    public void Forward_LargeLogits_DoNotOverflow()
    {
        double[] x = [1000, 999, 998, -1000, 0, 80, 200, 199];
        var bottom = MakeBlob([2, 4], x);
        var top = MakeTop();
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax());
        layer.SetUp([bottom], [top]);

        layer.Forward([bottom], [top]);

        TestData.AssertClose<T>(top.CpuData, SoftmaxLossReference.Softmax(x, 2, 4, 1), Tolerance, "y");
    }

    [Test]
    public void EmptyBatch_GivesAnEmptyTop()
    {
        var bottom = MakeBlob([0, 10, 2], []);
        var top = MakeTop();
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax());
        layer.SetUp([bottom], [top]);

        layer.Forward([bottom], [top]);
        layer.Backward([top], [true], [bottom]);

        Assert.That(top.Shape, Is.EqualTo(new[] { 0, 10, 2 }));
        Assert.That(top.Count, Is.Zero);
    }

    [TestCase(4)]
    [TestCase(-5)]
    [TestCase(17)]
    public void AxisOutOfRange_Throws_NamingTheAxis(int axis)
    {
        var bottom = MakeBlob(CaffeShape, new double[120]);
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax(axis));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => layer.SetUp([bottom], [MakeTop()]));

        Assert.That(e!.Message, Does.Contain(axis.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void WrongBlobCounts_Throw()
    {
        var a = MakeBlob([2, 3], new double[6]);
        var b = MakeBlob([2, 3], new double[6]);
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax());

        Assert.That(() => layer.SetUp([a, b], [MakeTop()]), Throws.ArgumentException, "two bottoms");
        Assert.That(() => layer.SetUp([a], [MakeTop(), MakeTop()]), Throws.ArgumentException, "two tops");
        Assert.That(() => layer.SetUp([], [MakeTop()]), Throws.ArgumentException, "no bottom");
    }

    [Test]
    public void HasNoLoss()
    {
        var bottom = MakeBlob([2, 3], LayerTestData.Gaussian(6, seed: 1));
        var top = MakeTop();
        var layer = MakeSoftmaxLayer(LayerTestData.Softmax());
        layer.SetUp([bottom], [top]);

        Assert.That(layer.HasLoss, Is.False);
        Assert.That(layer.Forward([bottom], [top]), Is.EqualTo(T.Zero));
        Assert.That(layer.Type, Is.EqualTo("Softmax"));
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SoftmaxLayerCpuTests<T> : SoftmaxLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SoftmaxLayerGpuTests<T> : SoftmaxLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
