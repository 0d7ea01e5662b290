using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary><see cref="AccuracyLayer{T}"/> on one engine: top-1 and top-k against plain loops, ignore_label, per class, errors.</summary>
public abstract class AccuracyLayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private AccuracyLayer<T> Make(uint topK = 1, int? ignore = null, int axis = 1) =>
        Track(new AccuracyLayer<T>(new LayerParameter
        {
            Name = "acc",
            Type = "Accuracy",
            AccuracyParam = { TopK = topK, IgnoreLabel = ignore, Axis = axis },
        }));

    /// <summary>Plain loops: fraction of rows whose label has fewer than k strictly higher scores; per class too.</summary>
    private static (double All, double[] PerClass) Reference(double[] scores, double[] labels, int n, int c, int k, int? ignore)
    {
        long correct = 0, counted = 0;
        var hit = new double[c];
        var seen = new double[c];
        for (int i = 0; i < n; i++)
        {
            int label = (int)labels[i];
            if (label == ignore)
            {
                continue;
            }

            counted++;
            seen[label]++;
            int higher = Enumerable.Range(0, c).Count(j => scores[(i * c) + j] > scores[(i * c) + label]);
            if (higher < k)
            {
                correct++;
                hit[label]++;
            }
        }

        return (counted == 0 ? 0 : correct / (double)counted, [.. hit.Select((h, j) => seen[j] == 0 ? 0 : h / seen[j])]);
    }

    [TestCase(1u, null)]
    [TestCase(3u, null)]
    [TestCase(1u, 2)]
    [TestCase(4u, 0)]
    public void Forward_MatchesPlainLoops(uint topK, int? ignore)
    {
        const int n = 100, c = 10;
        var scores = LayerTestData.Gaussian(n * c, seed: 11);
        var labels = LayerTestData.Labels(n, c, seed: 12);
        var bottom0 = MakeBlob([n, c], scores);
        var bottom1 = MakeBlob([n], labels);
        var top0 = MakeTop();
        var top1 = MakeTop();
        var layer = Make(topK, ignore);
        layer.SetUp([bottom0, bottom1], [top0, top1]);

        layer.Forward([bottom0, bottom1], [top0, top1]);

        var (all, perClass) = Reference(LayerTestData.RoundTo<T>(scores), labels, n, c, (int)topK, ignore);
        Assert.That(top0.Shape, Is.Empty);
        Assert.That(top1.Shape, Is.EqualTo(new[] { c }));
        Assert.That(Data(top0)[0], Is.EqualTo(all).Within(1e-6));
        TestData.AssertClose<T>(top1.CpuData, perClass, 1e-6, "per class");
        Assert.That(layer.HasLoss, Is.False);
    }

    [Test]
    public void Forward_HandWorked()
    {
        // Row 0: label 1 is the best; row 1: label 0 is second; row 2: ignored.
        var bottom0 = MakeBlob([3, 3], [0.1, 0.8, 0.1, 0.3, 0.6, 0.1, 0.9, 0.05, 0.05]);
        var bottom1 = MakeBlob([3], [1, 0, 2]);
        var top = MakeTop();
        var top1 = Make(1, ignore: 2);
        top1.SetUp([bottom0, bottom1], [top]);
        top1.Forward([bottom0, bottom1], [top]);
        Assert.That(Data(top)[0], Is.EqualTo(0.5));

        var top2 = Make(2, ignore: 2);
        top2.SetUp([bottom0, bottom1], [top]);
        top2.Forward([bottom0, bottom1], [top]);
        Assert.That(Data(top)[0], Is.EqualTo(1.0));
    }

    [Test]
    public void Forward_AlongAxis2_CountsEveryPosition()
    {
        // Shape (2, 3, 2): classes on axis 2, positions (n, h) = 6, labels shaped (2, 3).
        var scores = LayerTestData.Gaussian(12, seed: 3);
        var labels = LayerTestData.Labels(6, 2, seed: 4);
        var bottom0 = MakeBlob([2, 3, 2], scores);
        var bottom1 = MakeBlob([2, 3], labels);
        var top = MakeTop();
        var layer = Make(axis: 2);
        layer.SetUp([bottom0, bottom1], [top]);

        layer.Forward([bottom0, bottom1], [top]);

        Assert.That(Data(top)[0], Is.EqualTo(Reference(LayerTestData.RoundTo<T>(scores), labels, 6, 2, 1, null).All).Within(1e-6));
    }

    [TestCase(double.NaN)]
    [TestCase(-1.0)]
    [TestCase(3.0)]
    [TestCase(1e10)]
    public void InvalidLabel_Throws_NamingItsPositionAndValue(double bad)
    {
        var scores = MakeBlob([4, 3], LayerTestData.Gaussian(12, seed: 6));
        var labels = MakeBlob([4], [0, 2, bad, bad]);
        var top = MakeTop();
        var layer = Make(ignore: 0); // a NaN label is invalid even though it converts to the ignore label 0
        layer.SetUp([scores, labels], [top]);

        var e = Assert.Throws<ArgumentException>(() => layer.Forward([scores, labels], [top]));

        string value = T.CreateTruncating(bad).ToString(null, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(e!.Message, Does.Contain($"label {value} at position 2 is not a class in [0, 3) and is not the ignore_label 0"));
    }

    [Test]
    public void InvalidLabel_WithInnerPositions_NamesOuterAndInnerIndex()
    {
        // Scores (2, 2, 3) with classes on axis 1: outer 2, inner 3.
        var scores = MakeBlob([2, 2, 3], LayerTestData.Gaussian(12, seed: 7));
        var labels = MakeBlob([2, 3], [0, 1, 1, 0, 2, 1]);
        var top = MakeTop();
        var layer = Make();
        layer.SetUp([scores, labels], [top]);

        var e = Assert.Throws<ArgumentException>(() => layer.Forward([scores, labels], [top]));

        Assert.That(e!.Message, Does.Contain("label 2 at position 4 (outer index 1, inner index 1) is not a class in [0, 2)"));
    }

    [Test]
    public void NonIntegralLabels_TruncateTowardZero_AsCaffe()
    {
        // Row 0: label 1.9 is class 1, the best; row 1: label -0.5 is class 0, the best.
        var scores = MakeBlob([2, 3], [0.1, 0.8, 0.1, 0.9, 0.05, 0.05]);
        var labels = MakeBlob([2], [1.9, -0.5]);
        var top = MakeTop();
        var layer = Make();
        layer.SetUp([scores, labels], [top]);

        layer.Forward([scores, labels], [top]);

        Assert.That(Data(top)[0], Is.EqualTo(1.0));
    }

    [Test]
    public void Backward_Throws()
    {
        var bottom0 = MakeBlob([2, 3], new double[6]);
        var bottom1 = MakeBlob([2], [0, 1]);
        var top = MakeTop();
        var layer = Make();
        layer.SetUp([bottom0, bottom1], [top]);
        layer.Forward([bottom0, bottom1], [top]);

        var e = Assert.Throws<NotSupportedException>(() => layer.Backward([top], [true, false], [bottom0, bottom1]));

        Assert.That(e!.Message, Does.Contain("Accuracy layer cannot backpropagate"));
        Assert.DoesNotThrow(() => layer.Backward([top], [false, false], [bottom0, bottom1]));
    }

    [Test]
    public void BadInput_Throws()
    {
        var scores = MakeBlob([2, 3], new double[6]);
        Assert.Throws<ArgumentException>(() => Make(4).SetUp([scores, MakeBlob([2], [0, 1])], [MakeTop()]), "top_k > classes");
        Assert.Throws<ArgumentException>(() => Make().SetUp([scores, MakeBlob([3], [0, 1, 2])], [MakeTop()]), "label count");
        var layer = Make();
        var top = MakeTop();
        var labels = MakeBlob([2], [0, 3]);
        layer.SetUp([scores, labels], [top]);
        var e = Assert.Throws<ArgumentException>(() => layer.Forward([scores, labels], [top]));
        Assert.That(e!.Message, Does.Contain("label 3"));
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class AccuracyLayerCpuTests<T> : AccuracyLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class AccuracyLayerGpuTests<T> : AccuracyLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
