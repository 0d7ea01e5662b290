using System.Numerics;
using Crema.Fillers;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Tests.Net;

/// <summary>The relative difference <c>crema check</c> reports, on single values and on spans.</summary>
public class RelativeDifferenceTests
{
    [TestCase(1.0, 1.0, 0.0, 0.0)]
    [TestCase(2.0, 1.0, 0.0, 0.5)]
    [TestCase(-1.0, 1.0, 0.0, 2.0)]
    [TestCase(0.0, 0.0, 0.0, 0.0)]
    [TestCase(1e-9, 2e-9, 0.0, 0.5)]
    [TestCase(1e-9, 2e-9, 1e-3, 1e-6)]
    [TestCase(3.0, 3.5, 10.0, 0.05)]
    public void Of_IsTheDifferenceOverTheLargerMagnitudeOrTheFloor(double a, double b, double floor, double expected) =>
        Assert.That(RelativeDifference.Of(a, b, floor), Is.EqualTo(expected).Within(1e-15));

    [Test]
    public void Of_TreatsEqualSpecialValuesAsEqual_AndAnyOtherSpecialValueAsInfinite()
    {
        Assert.That(RelativeDifference.Of(double.NaN, double.NaN, 0), Is.Zero);
        Assert.That(RelativeDifference.Of(double.PositiveInfinity, double.PositiveInfinity, 0), Is.Zero);
        Assert.That(RelativeDifference.Of(double.NaN, 1, 0), Is.EqualTo(double.PositiveInfinity));
        Assert.That(RelativeDifference.Of(1, double.NegativeInfinity, 0), Is.EqualTo(double.PositiveInfinity));
        Assert.That(RelativeDifference.Of(double.PositiveInfinity, double.NegativeInfinity, 0), Is.EqualTo(double.PositiveInfinity));
    }

    [Test]
    public void Max_FindsTheWorstElement_WithTheFloorScaledByTheLargestMagnitude()
    {
        // Largest magnitude 10: floor 1e-2 gives an absolute floor of 0.1, so element 1 (1e-3 vs 1.5e-3) counts
        // 5e-4 / 0.1 = 5e-3, less than element 2's 0.1 / 5.1.
        float[] reference = [10f, 1e-3f, 5f];
        float[] candidate = [10f, 1.5e-3f, 5.1f];

        var worst = RelativeDifference.Max<float>(reference, candidate, floor: 1e-2);

        Assert.That(worst.Index, Is.EqualTo(2));
        Assert.That(worst.MaxRelative, Is.EqualTo(0.1 / 5.1).Within(1e-6));
        Assert.That(worst.Reference, Is.EqualTo(5.0));
        Assert.That(worst.Candidate, Is.EqualTo(5.1f));
        Assert.That(RelativeDifference.Max<float>(reference, candidate, floor: 0).Index, Is.EqualTo(1), "without a floor the tiny element is worst");
        Assert.That(RelativeDifference.Max<float>(reference, candidate, floor: 1).MaxRelative, Is.EqualTo(0.1 / 10).Within(1e-6), "floor 1 is normwise");
    }

    [Test]
    public void Max_OfEqualOrEmptySpans_IsNone()
    {
        Assert.That(RelativeDifference.Max<double>([1, 2, double.NaN], [1, 2, double.NaN]), Is.EqualTo(ElementDifference.None));
        Assert.That(RelativeDifference.Max<double>([], []), Is.EqualTo(ElementDifference.None));
    }

    [Test]
    public void Max_RefusesSpansOfDifferentLengths_AndABadFloor()
    {
        Assert.That(() => RelativeDifference.Max<float>([1f], [1f, 2f]), Throws.ArgumentException.With.Message.Contains("1 (reference) and 2 (candidate)"));
        Assert.That(() => RelativeDifference.Max<float>([1f], [1f], -1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => RelativeDifference.Max<float>([1f], [1f], double.NaN), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}

/// <summary>
/// <see cref="NetComparison"/> with the CPU on both sides: two runs of the same net agree exactly (random data layers
/// included, which refill on every Forward), and a perturbed param is reported past the tolerance.
/// </summary>
public abstract class NetComparisonTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly NetComparisonSettings CpuAgainstCpu = new() { Reference = ComputeEngine.Cpu, Candidate = ComputeEngine.Cpu, Seed = 11 };

    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    [TearDown]
    public void BackToCpu() => Engine.UseCpu();

    internal static NetParameter Mlp() =>
        NetParameter.ParseFile(TestData.ExampleFile("mlp", "mlp.prototxt"));

    [Test]
    public void SameNetTwiceOnTheCpu_DiffersNowhere()
    {
        var report = NetComparison.Run<T>(Mlp(), Phase.Train, CpuAgainstCpu);

        Assert.That(report.MaxRelative, Is.Zero);
        Assert.That(report.Entries.Select(e => e.Name), Is.EqualTo(new[]
        {
            "loss", "data", "label", "ip1", "ip2", "loss", "ip1[0]", "ip1[1]", "ip2[0]", "ip2[1]",
        }));
        Assert.That(report.Entries.Select(e => e.Kind).Distinct(), Is.EqualTo(new[] { ComparedKind.Loss, ComparedKind.Blob, ComparedKind.Param }));
        Assert.That(report.Entries.Skip(1), Has.All.Matches<ComparedTensor>(e => e.Diff is not null), "Backward ran: diffs compared");
        Assert.That(report.Entries.Single(e => e.Name == "ip1[0]").Shape, Is.EqualTo(new[] { 5, 6 }));
        Assert.That(report.PastTolerance(0), Is.Empty);
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu));
    }

    [Test]
    public void SourceLayerTops_AreOverwrittenWithTheReferences()
    {
        // A data layer of the candidate that produced other numbers (as a random layer drawing from another state
        // would): its tops are replaced by the reference's right after its forward pass, so nothing differs.
        var report = NetComparison.Run<T>(Mlp(), Phase.Train, CpuAgainstCpu, prepareCandidate: net => net.AfterForward.Add(i =>
        {
            if (i == 0)
            {
                net.TopVecs[0][0].MutableCpuData.Fill(T.CreateChecked(7));
            }
        }));

        Assert.That(report.MaxRelative, Is.Zero);
    }

    [Test]
    public void APerturbedParam_IsReportedPastTheTolerance_WhereItActs()
    {
        var report = NetComparison.Run<T>(
            Mlp(), Phase.Train, CpuAgainstCpu,
            prepareCandidate: net => net.LayerByName("ip2").Blobs[0].MutableCpuData[3] += T.CreateChecked(0.25));

        var failed = report.PastTolerance(1e-4);
        var names = failed.Select(e => $"{e.Kind} {e.Name}").ToList();
        Assert.That(names, Does.Contain("Param ip2[0]"));
        Assert.That(names, Does.Contain("Blob ip2"), "the perturbed weight changes ip2's output");
        Assert.That(names, Does.Contain("Loss loss"));
        Assert.That(names, Does.Not.Contain("Blob data").And.Not.Contain("Blob label"), "the inputs stay equal");
        var weight = report.Entries.Single(e => e.Name == "ip2[0]");
        Assert.That(weight.Data.Index, Is.EqualTo(3));
        Assert.That(weight.Data.Candidate - weight.Data.Reference, Is.EqualTo(0.25).Within(1e-6));
        Assert.That(report.Entries.Single(e => e.Kind == ComparedKind.Blob && e.Name == "data").MaxRelative, Is.Zero);
        Assert.That(report.Worst!.MaxRelative, Is.EqualTo(report.MaxRelative));
    }

    [Test]
    public void ForwardOnly_ComparesTheDataOnly()
    {
        var report = NetComparison.Run<T>(Mlp(), Phase.Test, CpuAgainstCpu with { ForwardOnly = true });

        Assert.That(report.Entries.Select(e => e.Name), Does.Contain("accuracy"), "the TEST net");
        Assert.That(report.Entries, Has.All.Matches<ComparedTensor>(e => e.Diff is null));
        Assert.That(report.MaxRelative, Is.Zero);
    }

    [Test]
    public void InitializeReference_IsWhatBothNetsStartFrom()
    {
        var report = NetComparison.Run<T>(
            Mlp(), Phase.Train, CpuAgainstCpu,
            initializeReference: net => net.LayerByName("ip1").Blobs[1].MutableCpuData.Fill(T.CreateChecked(0.5)),
            prepareCandidate: net => Assert.That(net.LayerByName("ip1").Blobs[1].GetData(), Is.All.EqualTo(T.CreateChecked(0.5))));

        Assert.That(report.MaxRelative, Is.Zero);
    }

    [Test]
    public void NetsOfDifferentStructure_AreRefused()
    {
        var first = Mlp();
        SeededRandom.SetGlobalSeed(3);
        using var a = new Net<T>(first, Phase.Train);
        using var b = new Net<T>(first, Phase.Test);

        Assert.That(() => NetComparison.Compare(a, b), Throws.ArgumentException.With.Message.Contains("differ in their layers"));
    }
}

/// <summary>See <see cref="NetComparisonTests{T}"/>.</summary>
public sealed class NetComparisonTestsFloat : NetComparisonTests<float>;

/// <summary>See <see cref="NetComparisonTests{T}"/>.</summary>
public sealed class NetComparisonTestsDouble : NetComparisonTests<double>;

/// <summary><see cref="NetComparison"/> with the GPU as the candidate; skipped with the reason without a GPU.</summary>
public class NetComparisonGpuTests : GpuTestBase
{
    [Test]
    public void MlpOnTheGpu_AgreesWithTheCpu_AndSeesTheSameInput()
    {
        var report = NetComparison.Run<float>(NetComparisonTests<float>.Mlp(), Phase.Train, new NetComparisonSettings { Seed = 8 });

        Assert.That(report.MaxRelative, Is.LessThanOrEqualTo(1e-4), () => $"worst: {report.Worst}");
        Assert.That(report.Entries.Single(e => e.Kind == ComparedKind.Blob && e.Name == "data").Data.MaxRelative, Is.Zero);
        Assert.That(report.Entries.Single(e => e.Kind == ComparedKind.Blob && e.Name == "label").Data.MaxRelative, Is.Zero);
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu), "the engine before the call");
    }

    [Test]
    public void APerturbedGpuNet_IsReported()
    {
        var report = NetComparison.Run<double>(
            NetComparisonTests<double>.Mlp(), Phase.Train, new NetComparisonSettings { Seed = 8 },
            prepareCandidate: net => net.LayerByName("ip1").Blobs[1].MutableCpuData[2] += 0.125);

        Assert.That(report.PastTolerance(1e-10).Select(e => e.Name), Does.Contain("ip1[1]").And.Contain("ip1"));
    }
}
