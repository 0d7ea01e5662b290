using System.Numerics;
using Crema.Core;
using Crema.Net;
using Crema.Parameters;
using Microsoft.Extensions.Logging;

namespace Crema.Tests.Net;

/// <summary>
/// Shared setup of the net tests (CPU engine): the test layers registered, nets built from text and disposed after
/// each test, the test nets' text, and comparisons.
/// </summary>
public abstract class NetTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>data → scale1 → scale2 → SoftmaxWithLoss (with the labels).</summary>
    protected const string Basic = """
        name: "basic"
        layer { name: "data" type: "NetTestData" top: "data" top: "label" }
        layer { name: "scale1" type: "NetTestScale" bottom: "data" top: "s1" }
        layer { name: "scale2" type: "NetTestScale" bottom: "s1" top: "s2" }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s2" bottom: "label" top: "loss" }
        """;

    private readonly List<IDisposable> owned = [];

    /// <summary>Relative tolerance for results that differ only by rounding.</summary>
    protected static double Tolerance => typeof(T) == typeof(float) ? 1e-5 : 1e-12;

    /// <summary>The engine the fixture's tests run on (CPU unless a GPU fixture says otherwise).</summary>
    protected virtual ComputeEngine EngineKind => ComputeEngine.Cpu;

    [OneTimeSetUp]
    public void RegisterLayers()
    {
        if (EngineKind == ComputeEngine.Gpu && Crema.Cuda.CudaRuntime.Probe() is { IsAvailable: false } status)
        {
            Assert.Ignore($"GPU unavailable: {(status.Reason ?? "unknown reason").Split('\n')[0].Trim()}");
        }

        NetTestLayers<T>.Register();
    }

    [SetUp]
    public void SelectEngine() => Engine.Use(EngineKind);

    [TearDown]
    public void DisposeNets()
    {
        Engine.UseCpu();
        for (int i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }

        owned.Clear();
    }

    /// <summary>Builds a net from text; it is disposed when the test ends.</summary>
    protected Net<T> Build(string text, Phase phase = Phase.Train, ILogger? logger = null)
    {
        var net = new Net<T>(NetParameter.Parse(text), phase, logger);
        owned.Add(net);
        return net;
    }

    /// <summary>Every blob's data and diff and every param's diff, as doubles.</summary>
    protected static List<double[]> Snapshot(Net<T> net)
    {
        var all = new List<double[]>();
        foreach (var blob in net.Blobs)
        {
            all.Add(ToDouble(blob.GetData()));
            all.Add(ToDouble(blob.GetDiff()));
        }

        foreach (var blob in net.Params)
        {
            all.Add(ToDouble(blob.GetData()));
            all.Add(ToDouble(blob.GetDiff()));
        }

        return all;
    }

    /// <summary>The values as doubles.</summary>
    protected static double[] ToDouble(T[] values) => [.. values.Select(double.CreateChecked)];

    /// <summary>Replaces one line of <see cref="Basic"/>.</summary>
    protected static string BasicWith(string oldLine, string newLine)
    {
        if (!Basic.Contains(oldLine, StringComparison.Ordinal))
        {
            throw new ArgumentException($"the basic net has no '{oldLine}'", nameof(oldLine));
        }

        return Basic.Replace(oldLine, newLine, StringComparison.Ordinal);
    }
}
