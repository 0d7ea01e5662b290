using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Net;
using Crema.Parameters;
using Crema.Tests.Kernels;
using static Crema.Tests.Kernels.LayerKernelReference;

namespace Crema.Tests.Layers;

/// <summary>
/// ReLU, EuclideanLoss and Accuracy on the GPU engine against the same layer on the CPU engine, on the same inputs:
/// ReLU and Accuracy give the same bits, EuclideanLoss the same gradients bit for bit and the loss within the CPU's
/// float summation error. Also: the loss and the top diff stay on the device, an invalid Accuracy label is thrown at the
/// read-back with the CPU's message, and a net reports it from Forward. Skipped, with the reason, where no GPU is usable.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class CoreLayerGpuParityTests<T> : GpuTestBase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    // The CPU sums the float loss in float (SIMD lanes, then chunks); the GPU in double.
    private static readonly double LossTolerance = typeof(T) == typeof(float) ? 1e-4 : 1e-12;

    private static readonly int[][] ReLUShapes = [[2, 3, 4, 5], [0, 3], [1], [3, 1, 1, 4099], [64, 1000]];

    private static readonly int[][] EuclideanShapes = [[10, 5, 1, 1], [3, 7], [1, 1], [0, 4], [64, 1000], [2, 3, 4, 5]];

    private static readonly bool[][] PropagateDown = [[true, false], [false, true], [true, true]];

    private readonly List<IDisposable> owned = [];

    private static readonly object[] AccuracyCases =
    [
        // shape, axis, top_k, ignore_label, per class
        new object?[] { new[] { 100, 10 }, 1, 1u, null, true },
        new object?[] { new[] { 100, 10 }, 1, 3u, null, true },
        new object?[] { new[] { 100, 10 }, 1, 10u, null, true },
        new object?[] { new[] { 100, 10 }, 1, 1u, 2, true },
        new object?[] { new[] { 100, 10 }, 1, 4u, 0, false },
        new object?[] { new[] { 64, 1000 }, 1, 1u, null, true },
        new object?[] { new[] { 64, 1000 }, 1, 5u, 7, true },
        new object?[] { new[] { 6, 2000 }, 1, 2u, null, true },
        new object?[] { new[] { 2, 3, 4, 5 }, 1, 1u, null, true },
        new object?[] { new[] { 2, 3, 4, 5 }, 1, 3u, 1, true },
        new object?[] { new[] { 2, 3, 2 }, 2, 1u, null, true },
        new object?[] { new[] { 0, 10 }, 1, 1u, null, true },
    ];

    [TearDown]
    public void DisposeOwned()
    {
        for (int i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }

        owned.Clear();
    }

    [Test]
    public void ReLU_GpuEqualsCpu(
        [ValueSource(nameof(ReLUShapes))] int[] shape, [Values(0f, 0.01f, 0.3f, -0.5f)] float slope, [Values] bool inPlace)
    {
        var cpu = RunReLU(ComputeEngine.Cpu, shape, slope, inPlace);
        var gpu = RunReLU(ComputeEngine.Gpu, shape, slope, inPlace);

        AssertSameValues(gpu.Y, cpu.Y, "y");
        AssertSameValues(gpu.Dx, cpu.Dx, "dx");
    }

    [Test]
    public void EuclideanLoss_GpuEqualsCpu(
        [ValueSource(nameof(EuclideanShapes))] int[] shape, [ValueSource(nameof(PropagateDown))] bool[] propagateDown,
        [Values(null, 2.5f)] float? lossWeight)
    {
        var cpu = RunEuclidean(ComputeEngine.Cpu, shape, propagateDown, lossWeight);
        var gpu = RunEuclidean(ComputeEngine.Gpu, shape, propagateDown, lossWeight);

        SoftmaxReference.AssertClose(double.CreateTruncating(gpu.Loss), double.CreateTruncating(cpu.Loss), LossTolerance, "weighted loss");
        SoftmaxReference.AssertClose(double.CreateTruncating(gpu.Top), double.CreateTruncating(cpu.Top), LossTolerance, "top");
        AssertSameValues(gpu.DiffA, cpu.DiffA, "bottom 0 diff");
        AssertSameValues(gpu.DiffB, cpu.DiffB, "bottom 1 diff");
    }

    [Test]
    public void EuclideanLoss_KeepsTheLossAndTheTopDiffOnTheDevice()
    {
        Engine.UseGpu();
        using var a = LayerTestData.Blob<T>([8, 3], LayerTestData.Gaussian(24, seed: 1));
        using var b = LayerTestData.Blob<T>([8, 3], LayerTestData.Gaussian(24, seed: 2));
        using var top = new Blob<T>();
        using var layer = new EuclideanLossLayer<T>(new LayerParameter { Name = "loss", Type = "EuclideanLoss" });
        layer.SetUp([a, b], [top]);

        layer.ForwardDeferred([a, b], [top]);
        Assert.That(top.Data.Head, Is.EqualTo(SyncedHead.HeadAtGpu), "the loss is not read back by Forward");
        layer.Backward([top], [true, true], [a, b]);
        Assert.That(top.Diff.Head, Is.EqualTo(SyncedHead.HeadAtGpu), "the top diff is read on the device");
        Assert.That(a.Diff.Head, Is.EqualTo(SyncedHead.HeadAtGpu));
        Assert.That(double.CreateTruncating(layer.ReadLoss([top])), Is.GreaterThan(0.0));
    }

    [TestCaseSource(nameof(AccuracyCases))]
    public void Accuracy_GpuEqualsCpu(int[] shape, int axis, uint topK, int? ignore, bool perClass)
    {
        var cpu = RunAccuracy(ComputeEngine.Cpu, shape, axis, topK, ignore, perClass);
        var gpu = RunAccuracy(ComputeEngine.Gpu, shape, axis, topK, ignore, perClass);

        AssertSameValues(gpu.Accuracy, cpu.Accuracy, "accuracy");
        AssertSameValues(gpu.PerClass, cpu.PerClass, "per class");
    }

    [Test]
    public void Accuracy_StaysOnTheDevice_UntilRead()
    {
        Engine.UseGpu();
        var c = MakeAccuracy([10, 4], 1, 1, null, perClass: true, labelValues: LayerTestData.Labels(10, 4, seed: 3));

        c.Layer.ForwardDeferred(c.Bottom, c.Top);

        Assert.That(c.Top[0].Data.Head, Is.EqualTo(SyncedHead.HeadAtGpu));
        Assert.That(c.Top[1].Data.Head, Is.EqualTo(SyncedHead.HeadAtGpu));
        Assert.That(() => c.Layer.ThrowIfDeviceErrors(), Throws.Nothing);
    }

    [TestCase(5.0, 1, null)]
    [TestCase(-1.0, 1, null)]
    [TestCase(double.NaN, 1, null)]
    [TestCase(1e10, 1, null)]
    [TestCase(5.0, 1, 255)]
    [TestCase(7.0, 3, null)]
    [TestCase(double.NaN, 3, 0)]
    public void Accuracy_InvalidLabel_GpuMessageIsTheCpuMessage(double bad, int inner, int? ignore)
    {
        int[] shape = inner == 1 ? [12, 5] : [4, 5, inner];
        int positions = inner == 1 ? 12 : 4 * inner;
        var labels = LayerTestData.Labels(positions, 5, seed: 4);
        labels[9] = bad;
        labels[7] = bad;
        labels[2] = ignore ?? 1;

        Engine.UseGpu();
        var gpu = MakeAccuracy(shape, 1, 1, ignore, perClass: true, labels);
        Assert.That(() => gpu.Layer.ForwardDeferred(gpu.Bottom, gpu.Top), Throws.Nothing, "nothing is read back here");
        var gpuError = Assert.Throws<ArgumentException>(() => gpu.Layer.ThrowIfDeviceErrors());
        Assert.That(() => gpu.Layer.ThrowIfDeviceErrors(), Throws.Nothing, "the error is reported once");
        Engine.UseCpu();
        var cpu = MakeAccuracy(shape, 1, 1, ignore, perClass: true, labels);
        var cpuError = Assert.Throws<ArgumentException>(() => cpu.Layer.Forward(cpu.Bottom, cpu.Top));

        Assert.That(gpuError!.Message, Is.EqualTo(cpuError!.Message));
        Assert.That(gpuError.Message, Does.Contain("position 7"));
    }

    [Test]
    public void Accuracy_InvalidLabel_LayerForwardThrows()
    {
        var labels = LayerTestData.Labels(6, 3, seed: 5);
        labels[4] = 3;
        Engine.UseGpu();
        var c = MakeAccuracy([6, 3], 1, 1, null, perClass: false, labels);

        var e = Assert.Throws<ArgumentException>(() => c.Layer.Forward(c.Bottom, c.Top));

        Assert.That(e!.Message, Does.Contain("label 3 at position 4"));
    }

    [Test]
    public void Net_WithAnInvalidAccuracyLabel_ThrowsFromForward_AsOnTheCpu()
    {
        const string text = """
            name: "acc"
            layer { name: "data" type: "DummyData" top: "scores" top: "label"
                    dummy_data_param { data_filler { type: "gaussian" std: 1 } shape { dim: 4 dim: 5 }
                                       data_filler { type: "constant" value: 7 } shape { dim: 4 } } }
            layer { name: "relu" type: "ReLU" bottom: "scores" top: "scores" }
            layer { name: "accuracy" type: "Accuracy" bottom: "scores" bottom: "label" top: "accuracy" }
            """;

        Engine.UseGpu();
        using var gpuNet = new Net<T>(NetParameter.Parse(text), Phase.Test);
        var gpuError = Assert.Throws<ArgumentException>(() => gpuNet.Forward());
        Engine.UseCpu();
        using var cpuNet = new Net<T>(NetParameter.Parse(text), Phase.Test);
        var cpuError = Assert.Throws<ArgumentException>(() => cpuNet.Forward());

        Assert.That(gpuError!.Message, Is.EqualTo(cpuError!.Message));
        Assert.That(gpuError.Message, Does.Contain("label 7 at position 0"));
    }

    private static (T[] Y, T[] Dx) RunReLU(ComputeEngine engine, int[] shape, float slope, bool inPlace)
    {
        Engine.Use(engine);
        try
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            var x = LayerTestData.Gaussian(count, seed: count + 1);
            double[] specials = [0.0, -0.0, double.PositiveInfinity, double.NegativeInfinity, double.NaN, 1e-300];
            for (int k = 0; k < specials.Length && k * 3 < count; k++)
            {
                x[k * 3] = specials[k];
            }

            using var bottom = LayerTestData.Blob<T>(shape, x);
            using var separateTop = new Blob<T>();
            var top = inPlace ? bottom : separateTop;
            using var layer = new ReLULayer<T>(new LayerParameter { Name = "relu", Type = "ReLU", ReLUParam = { NegativeSlope = slope } });
            layer.SetUp([bottom], [top]);
            layer.Forward([bottom], [top]);
            var y = top.GetData();
            top.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(count, seed: count + 2)));
            layer.Backward([top], [true], [bottom]);
            return (y, bottom.GetDiff());
        }
        finally
        {
            Engine.UseCpu();
        }
    }

    private static (T Loss, T Top, T[] DiffA, T[] DiffB) RunEuclidean(ComputeEngine engine, int[] shape, bool[] propagateDown, float? lossWeight)
    {
        Engine.Use(engine);
        try
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            using var a = LayerTestData.Blob<T>(shape, LayerTestData.Gaussian(count, seed: count + 3));
            using var b = LayerTestData.Blob<T>(shape, LayerTestData.Gaussian(count, seed: count + 4));
            using var top = new Blob<T>();
            var param = new LayerParameter { Name = "loss", Type = "EuclideanLoss" };
            if (lossWeight is float w)
            {
                param.LossWeight.Add(w);
            }

            using var layer = new EuclideanLossLayer<T>(param);
            layer.SetUp([a, b], [top]);
            T loss = layer.Forward([a, b], [top]);
            layer.Backward([top], propagateDown, [a, b]);
            return (loss, top.GetData()[0], a.GetDiff(), b.GetDiff());
        }
        finally
        {
            Engine.UseCpu();
        }
    }

    private (T[] Accuracy, T[] PerClass) RunAccuracy(ComputeEngine engine, int[] shape, int axis, uint topK, int? ignore, bool perClass)
    {
        Engine.Use(engine);
        try
        {
            int channels = shape[axis];
            int positions = shape.Aggregate(1, (a, b) => a * b) / Math.Max(channels, 1);
            var labels = LayerTestData.Labels(positions, channels, seed: positions + 5);
            if (ignore is int ig)
            {
                for (int p = 0; p < positions; p += 5)
                {
                    labels[p] = ig;
                }
            }

            var c = MakeAccuracy(shape, axis, topK, ignore, perClass, labels);
            c.Layer.Forward(c.Bottom, c.Top);
            return (c.Top[0].GetData(), c.Top.Length > 1 ? c.Top[1].GetData() : []);
        }
        finally
        {
            Engine.UseCpu();
        }
    }

    /// <summary>
    /// An Accuracy layer set up on the current engine, with scores rounded to a coarse grid so that ties occur; the layer
    /// and its blobs are disposed after the test.
    /// </summary>
    private (AccuracyLayer<T> Layer, Blob<T>[] Bottom, Blob<T>[] Top) MakeAccuracy(int[] shape, int axis, uint topK,
        int? ignore, bool perClass, double[] labelValues)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        var scores = LayerTestData.Gaussian(count, seed: count + 6).Select(v => Math.Round(v * 4)).ToArray();
        int[] labelShape = [.. shape.Where((_, k) => k != axis)];
        var bottom = new[] { LayerTestData.Blob<T>(shape, scores), LayerTestData.Blob<T>(labelShape, labelValues) };
        var top = perClass ? new[] { new Blob<T>(), new Blob<T>() } : new[] { new Blob<T>() };
        var layer = new AccuracyLayer<T>(new LayerParameter
        {
            Name = "acc",
            Type = "Accuracy",
            AccuracyParam = { TopK = topK, IgnoreLabel = ignore, Axis = axis },
        });
        owned.AddRange(bottom);
        owned.AddRange(top);
        owned.Add(layer);
        layer.SetUp(bottom, top);
        return (layer, bottom, top);
    }
}
