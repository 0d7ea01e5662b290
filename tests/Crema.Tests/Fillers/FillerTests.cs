using System.Numerics;
using Crema.Core;
using Crema.Fillers;
using Crema.Parameters;
using Crema.Tests.Layers;

namespace Crema.Tests.Fillers;

/// <summary>
/// The fillers on one engine: statistics on large samples (mean, std, bounds, Caffe's fans), determinism for a seed,
/// and the same numbers on the device as on the host.
/// </summary>
public abstract class FillerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static (double Mean, double Std, double Min, double Max) Stats(double[] v)
    {
        double mean = v.Average();
        double std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Sum() / v.Length);
        return (mean, std, v.Min(), v.Max());
    }

    private double[] Fill(FillerParameter p, int[] shape, ulong seed)
    {
        var blob = Track(new Blob<T>(shape));
        Filler.Create(p).Fill(blob, new SeededRandom(seed));
        // Through the engine: on the GPU the copy runs on the device, so this reads what the device holds.
        var copy = Track(new Blob<T>());
        copy.CopyFrom(blob, reshape: true);
        return Data(copy);
    }

    [Test]
    public void Constant_FillsTheValue()
    {
        Assert.That(Fill(new FillerParameter { Type = "constant", Value = 2.5f }, [3, 4], 1), Is.All.EqualTo(2.5));
        Assert.That(Fill(new FillerParameter(), [5], 1), Is.All.EqualTo(0.0), "default: constant 0");
    }

    [Test]
    public void Uniform_StaysInBounds_WithTheRightMoments()
    {
        var v = Fill(new FillerParameter { Type = "uniform", Min = -2, Max = 3 }, [200, 500], 2);
        var (mean, std, min, max) = Stats(v);

        Assert.That(min, Is.GreaterThanOrEqualTo(-2));
        Assert.That(max, Is.LessThanOrEqualTo(3));
        Assert.That(mean, Is.EqualTo(0.5).Within(0.02));
        Assert.That(std, Is.EqualTo(5 / Math.Sqrt(12)).Within(0.02));
    }

    [Test]
    public void Gaussian_HasTheRightMoments()
    {
        var v = Fill(new FillerParameter { Type = "gaussian", Mean = 1.5f, Std = 0.5f }, [100, 1000], 3);
        var (mean, std, _, _) = Stats(v);

        Assert.That(mean, Is.EqualTo(1.5).Within(0.01));
        Assert.That(std, Is.EqualTo(0.5).Within(0.01));
    }

    [TestCase(VarianceNorm.FanIn, 1000.0 / 20)]
    [TestCase(VarianceNorm.FanOut, 1000.0 / 25)]
    [TestCase(VarianceNorm.Average, ((1000.0 / 20) + (1000.0 / 25)) / 2)]
    public void Xavier_IsUniformWithinSqrt3OverFan(VarianceNorm norm, double fan)
    {
        int[] shape = [20, 25, 2, 1]; // count 1000: fan_in 50, fan_out 40
        var all = Enumerable.Range(0, 100).SelectMany(s => Fill(new FillerParameter { Type = "xavier", VarianceNorm = norm }, shape, (ulong)s)).ToArray();
        var (mean, std, min, max) = Stats(all);
        double bound = Math.Sqrt(3 / fan);

        Assert.That(min, Is.GreaterThanOrEqualTo(-bound - 1e-6));
        Assert.That(max, Is.LessThanOrEqualTo(bound + 1e-6));
        Assert.That(mean, Is.EqualTo(0).Within(0.01 * bound));
        Assert.That(std, Is.EqualTo(bound / Math.Sqrt(3)).Within(0.01 * bound));
    }

    [TestCase(VarianceNorm.FanIn, 1000.0 / 20)]
    [TestCase(VarianceNorm.FanOut, 1000.0 / 25)]
    [TestCase(VarianceNorm.Average, ((1000.0 / 20) + (1000.0 / 25)) / 2)]
    public void Msra_IsGaussianWithVariance2OverFan(VarianceNorm norm, double fan)
    {
        int[] shape = [20, 25, 2, 1];
        var all = Enumerable.Range(0, 100).SelectMany(s => Fill(new FillerParameter { Type = "msra", VarianceNorm = norm }, shape, (ulong)s)).ToArray();
        var (mean, std, _, _) = Stats(all);
        double expected = Math.Sqrt(2 / fan);

        Assert.That(mean, Is.EqualTo(0).Within(0.01 * expected));
        Assert.That(std, Is.EqualTo(expected).Within(0.01 * expected));
    }

    [TestCase("uniform")]
    [TestCase("gaussian")]
    [TestCase("xavier")]
    [TestCase("msra")]
    public void SameSeed_SameNumbers_AsTheHostReference(string type)
    {
        var p = new FillerParameter { Type = type };
        var a = Fill(p, [7, 9], 77);
        var b = Fill(p, [7, 9], 77);
        var c = Fill(p, [7, 9], 78);

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));

        // The same draws made on the host without a blob: what any engine must hold.
        var reference = new SeededRandom(77);
        double fanScale = type == "xavier" ? Math.Sqrt(3.0 / 9) : Math.Sqrt(2.0 / 9);
        var expected = Enumerable.Range(0, 63).Select(_ => type switch
        {
            "uniform" => reference.NextUniform(0, 1),
            "gaussian" => reference.NextGaussian(0, 1),
            "xavier" => reference.NextUniform(-fanScale, fanScale),
            _ => reference.NextGaussian(0, fanScale),
        }).Select(v => double.CreateTruncating(T.CreateTruncating(v))).ToArray();
        Assert.That(a, Is.EqualTo(expected));
    }

    [Test]
    public void GlobalSeed_RestartsTheSequence()
    {
        var blob = Track(new Blob<T>(50));
        var filler = Filler.Create(new FillerParameter { Type = "gaussian" });
        SeededRandom.SetGlobalSeed(5);
        filler.Fill(blob);
        var first = Data(blob);
        filler.Fill(blob);
        var second = Data(blob);
        SeededRandom.SetGlobalSeed(5);
        filler.Fill(blob);

        Assert.That(Data(blob), Is.EqualTo(first));
        Assert.That(second, Is.Not.EqualTo(first));
    }

    [Test]
    public void BadParameters_Throw()
    {
        var e = Assert.Throws<ArgumentException>(() => Filler.Create(new FillerParameter { Type = "bogus" }));
        Assert.That(e!.Message, Does.Contain("'bogus'"));
        Assert.Throws<ArgumentException>(() => Filler.Create(new FillerParameter { Type = "uniform", Min = 2, Max = 1 }));
        Assert.Throws<ArgumentException>(() => Filler.Create(new FillerParameter { Type = "gaussian", Std = -1 }));
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class FillerCpuTests<T> : FillerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class FillerGpuTests<T> : FillerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}

/// <summary>The generator itself: a fixed sequence for a seed, and uniform / Gaussian moments.</summary>
public class SeededRandomTests
{
    [Test]
    public void SameSeed_SameSequence_DifferentSeed_Different()
    {
        var a = new SeededRandom(123);
        var b = new SeededRandom(123);
        var c = new SeededRandom(124);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();

        Assert.That(Enumerable.Range(0, 100).Select(_ => b.NextUInt64()), Is.EqualTo(sa));
        Assert.That(Enumerable.Range(0, 100).Select(_ => c.NextUInt64()), Is.Not.EqualTo(sa));
    }

    [Test]
    public void NextDouble_IsInUnitInterval_WithMeanHalf()
    {
        var r = new SeededRandom(1);
        var v = Enumerable.Range(0, 200_000).Select(_ => r.NextDouble()).ToArray();

        Assert.That(v.Min(), Is.GreaterThanOrEqualTo(0));
        Assert.That(v.Max(), Is.LessThan(1));
        Assert.That(v.Average(), Is.EqualTo(0.5).Within(0.005));
    }
}
