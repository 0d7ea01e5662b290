using System.Numerics;
using Crema.Core;
using Crema.Cuda;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>
/// Base of the layer fixtures that run the same tests on either engine. A fixture for <see cref="ComputeEngine.Gpu"/>
/// carries <c>[Category("GPU")]</c> and is reported as skipped, with the reason, when no usable GPU is present, exactly
/// as <see cref="GpuTestBase"/> does (a fixture cannot derive from both). Each test runs with its engine selected and
/// ends on the CPU engine; blobs and layers made through <see cref="Track{TDisposable}"/> are disposed after it.
/// </summary>
public abstract class LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<IDisposable> owned = [];

    /// <summary>The engine the fixture's tests run on.</summary>
    protected abstract ComputeEngine EngineKind { get; }

    /// <summary>True for float, where tolerances are looser.</summary>
    protected static bool IsFloat => typeof(T) == typeof(float);

    /// <summary>Tolerance for a result in T against a float64 reference of the same math.</summary>
    protected static double Tolerance => IsFloat ? 2e-5 : 1e-12;

    [OneTimeSetUp]
    public void RequireEngine()
    {
        if (EngineKind != ComputeEngine.Gpu)
        {
            return;
        }

        var status = CudaRuntime.Probe();
        if (!status.IsAvailable)
        {
            Assert.Ignore($"GPU unavailable: {(status.Reason ?? "unknown reason").Split('\n')[0].Trim()}");
        }
    }

    [SetUp]
    public void SelectEngine() => Engine.Use(EngineKind);

    [TearDown]
    public void DisposeAndBackToCpu()
    {
        Engine.UseCpu();
        for (int i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }

        owned.Clear();
    }

    /// <summary>Disposes <paramref name="item"/> when the test ends.</summary>
    protected TDisposable Track<TDisposable>(TDisposable item)
        where TDisposable : IDisposable
    {
        owned.Add(item);
        return item;
    }

    /// <summary>A tracked blob of <paramref name="shape"/> holding <paramref name="values"/>.</summary>
    protected Blob<T> MakeBlob(int[] shape, double[] values) => Track(LayerTestData.Blob<T>(shape, values));

    /// <summary>A tracked, empty blob (a top).</summary>
    protected Blob<T> MakeTop() => Track(new Blob<T>());

    /// <summary>A tracked SoftmaxWithLoss layer.</summary>
    protected SoftmaxWithLossLayer<T> MakeLossLayer(LayerParameter param) => Track(new SoftmaxWithLossLayer<T>(param));

    /// <summary>A tracked Softmax layer.</summary>
    protected SoftmaxLayer<T> MakeSoftmaxLayer(LayerParameter param) => Track(new SoftmaxLayer<T>(param));

    protected static double[] Data(Blob<T> blob) => TestData.ToDouble<T>(blob.CpuData);

    protected static double[] Diff(Blob<T> blob) => TestData.ToDouble<T>(blob.CpuDiff);

    protected static double Scalar(T value) => double.CreateTruncating(value);
}
