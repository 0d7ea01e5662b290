using System.Numerics;
using Crema.Core;
using Crema.Fillers;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// <see cref="InnerProductLayer{T}"/> on one engine: shapes, forward against plain loops, Caffe's gradient cases
/// (bottom and params, with transpose, axis 2 and no bias), accumulation of param diffs, seeded weights, bad input.
/// </summary>
public abstract class InnerProductLayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private InnerProductLayer<T> Make(LayerParameter p) => Track(new InnerProductLayer<T>(p));

    [TestCase(false)]
    [TestCase(true)]
    public void SetUp_ShapesTopAndParams(bool transpose)
    {
        var bottom = MakeBlob([2, 3, 4, 5], LayerTestData.Gaussian(120, seed: 1));
        var top = MakeTop();
        var layer = Make(CoreLayerTestHelpers.InnerProduct(10, transpose: transpose));

        layer.SetUp([bottom], [top]);

        Assert.That(top.Shape, Is.EqualTo(new[] { 2, 10 }));
        Assert.That(layer.Blobs, Has.Count.EqualTo(2));
        Assert.That(layer.Blobs[0].Shape, Is.EqualTo(transpose ? new[] { 60, 10 } : new[] { 10, 60 }));
        Assert.That(layer.Blobs[1].Shape, Is.EqualTo(new[] { 10 }));
        Assert.That(layer.Type, Is.EqualTo("InnerProduct"));
    }

    [TestCase(1, false, true)]
    [TestCase(1, true, true)]
    [TestCase(1, false, false)]
    [TestCase(2, false, true)]
    [TestCase(2, true, false)]
    [TestCase(-1, false, true)]
    public void Forward_MatchesPlainLoops(int axis, bool transpose, bool bias)
    {
        int[] shape = [2, 3, 4];
        var bottom = MakeBlob(shape, LayerTestData.Gaussian(24, seed: 3));
        var top = MakeTop();
        var layer = Make(CoreLayerTestHelpers.InnerProduct(5, bias, axis, transpose));
        layer.SetUp([bottom], [top]);

        layer.Forward([bottom], [top]);

        int a = axis < 0 ? axis + 3 : axis;
        int m = shape.Take(a).Aggregate(1, (x, y) => x * y);
        int k = 24 / m;
        var x = Data(bottom);
        var w = Data(layer.Blobs[0]);
        var b = bias ? Data(layer.Blobs[1]) : new double[5];
        var expected = new double[m * 5];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                double sum = b[j];
                for (int p = 0; p < k; p++)
                {
                    sum += x[(i * k) + p] * (transpose ? w[(p * 5) + j] : w[(j * k) + p]);
                }

                expected[(i * 5) + j] = sum;
            }
        }

        Assert.That(top.Shape, Is.EqualTo(shape.Take(a).Append(5).ToArray()));
        TestData.AssertClose<T>(top.CpuData, expected, IsFloat ? 1e-4 : 1e-12, "y");
    }

    [TestCase(1, false, true)]
    [TestCase(1, true, true)]
    [TestCase(2, false, true)]
    [TestCase(2, true, true)]
    [TestCase(1, false, false)]
    public void Gradient_Bottom(int axis, bool transpose, bool bias)
    {
        var bottom = MakeBlob([2, 3, 4], LayerTestData.Gaussian(24, seed: 5));
        var top = MakeTop();
        var layer = Make(CoreLayerTestHelpers.InnerProduct(4, bias, axis, transpose));

        new GradientChecker<T>(step: 1e-2, threshold: 1e-3).CheckGradientExhaustive(layer, [bottom], [top]);
    }

    [TestCase(1, false, true)]
    [TestCase(1, true, true)]
    [TestCase(2, false, true)]
    [TestCase(2, true, false)]
    public void Gradient_Params(int axis, bool transpose, bool bias)
    {
        var bottom = MakeBlob([2, 3, 4], LayerTestData.Gaussian(24, seed: 6));
        var top = MakeTop();
        var layer = Make(CoreLayerTestHelpers.InnerProduct(4, bias, axis, transpose));

        CoreLayerTestHelpers.CheckParamGradients(layer, [bottom], [top], step: 1e-2, threshold: IsFloat ? 2e-2 : 1e-4);
    }

    [Test]
    public void Backward_AddsToParamDiffs_AndWritesBottomDiff()
    {
        var bottom = MakeBlob([3, 4], LayerTestData.Gaussian(12, seed: 7));
        var top = MakeTop();
        var layer = Make(CoreLayerTestHelpers.InnerProduct(2));
        layer.SetUp([bottom], [top]);
        layer.Forward([bottom], [top]);
        top.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(6, seed: 8)));
        layer.Blobs[0].MutableCpuDiff.Clear();
        layer.Blobs[1].MutableCpuDiff.Clear();

        layer.Backward([top], [true], [bottom]);
        var dW = Diff(layer.Blobs[0]);
        var db = Diff(layer.Blobs[1]);
        var dx = Diff(bottom);
        bottom.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(12, seed: 9)));
        layer.Backward([top], [true], [bottom]);

        TestData.AssertClose<T>(layer.Blobs[0].CpuDiff, [.. dW.Select(v => 2 * v)], Tolerance * 10, "dW accumulates");
        TestData.AssertClose<T>(layer.Blobs[1].CpuDiff, [.. db.Select(v => 2 * v)], Tolerance * 10, "db accumulates");
        TestData.AssertClose<T>(bottom.CpuDiff, dx, Tolerance, "dx is overwritten");
    }

    [Test]
    public void ParamPropagateDownFalse_LeavesParamDiffs()
    {
        var bottom = MakeBlob([3, 4], LayerTestData.Gaussian(12, seed: 7));
        var top = MakeTop();
        var layer = Make(CoreLayerTestHelpers.InnerProduct(2));
        layer.SetUp([bottom], [top]);
        layer.Forward([bottom], [top]);
        top.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(6, seed: 8)));
        layer.Blobs[0].MutableCpuDiff.Clear();
        layer.Blobs[1].MutableCpuDiff.Clear();
        layer.SetParamPropagateDown(0, false);
        layer.SetParamPropagateDown(1, false);

        layer.Backward([top], [true], [bottom]);

        Assert.That(Diff(layer.Blobs[0]), Is.All.EqualTo(0.0));
        Assert.That(Diff(layer.Blobs[1]), Is.All.EqualTo(0.0));
    }

    [Test]
    public void Weights_ComeFromTheGlobalSeed_OnEitherEngine()
    {
        var param = CoreLayerTestHelpers.InnerProduct(3);
        param.InnerProductParam.WeightFiller = new FillerParameter { Type = "xavier" };
        SeededRandom.SetGlobalSeed(42);
        var bottom = MakeBlob([2, 4], new double[8]);
        var layer = Make(param);
        layer.SetUp([bottom], [MakeTop()]);

        var reference = new SeededRandom(42);
        double scale = Math.Sqrt(3.0 / 4);
        var expectedW = Enumerable.Range(0, 12).Select(_ => double.CreateTruncating(T.CreateTruncating(reference.NextUniform(-scale, scale)))).ToArray();
        var expectedB = Enumerable.Range(0, 3).Select(_ => double.CreateTruncating(T.CreateTruncating(reference.NextUniform(1, 2)))).ToArray();
        Assert.That(Data(layer.Blobs[0]), Is.EqualTo(expectedW));
        Assert.That(Data(layer.Blobs[1]), Is.EqualTo(expectedB));
    }

    [Test]
    public void NumOutputZero_Throws()
    {
        var layer = Make(CoreLayerTestHelpers.InnerProduct(0));

        var e = Assert.Throws<ArgumentException>(() => layer.SetUp([MakeBlob([2, 3], new double[6])], [MakeTop()]));

        Assert.That(e!.Message, Does.Contain("num_output"));
    }

    [Test]
    public void BottomSizeChange_Throws_NamingTheShapes()
    {
        var layer = Make(CoreLayerTestHelpers.InnerProduct(4));
        var top = MakeTop();
        layer.SetUp([MakeBlob([2, 3], new double[6])], [top]);

        var e = Assert.Throws<ArgumentException>(() => layer.Forward([MakeBlob([2, 5], new double[10])], [top]));

        LayerTestData.AssertNamesShape(e!.Message, [2, 5], "bottom");
        LayerTestData.AssertNamesShape(e.Message, [4, 3], "weights");
    }

    [Test]
    public void BatchSizeChange_Reshapes()
    {
        var layer = Make(CoreLayerTestHelpers.InnerProduct(4));
        var top = MakeTop();
        layer.SetUp([MakeBlob([2, 3], new double[6])], [top]);

        layer.Forward([MakeBlob([5, 3], LayerTestData.Gaussian(15, seed: 1))], [top]);

        Assert.That(top.Shape, Is.EqualTo(new[] { 5, 4 }));
    }

    [Test]
    public void AxisOutOfRange_Throws()
    {
        var layer = Make(CoreLayerTestHelpers.InnerProduct(4, axis: 3));

        Assert.Throws<ArgumentOutOfRangeException>(() => layer.SetUp([MakeBlob([2, 3], new double[6])], [MakeTop()]));
    }

    [Test]
    public void UnknownWeightFiller_Throws_NamingIt()
    {
        var param = CoreLayerTestHelpers.InnerProduct(4);
        param.InnerProductParam.WeightFiller.Type = "bogus";
        var layer = Make(param);

        var e = Assert.Throws<ArgumentException>(() => layer.SetUp([MakeBlob([2, 3], new double[6])], [MakeTop()]));

        Assert.That(e!.Message, Does.Contain("'bogus'"));
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class InnerProductLayerCpuTests<T> : InnerProductLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class InnerProductLayerGpuTests<T> : InnerProductLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
