using System.Numerics;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>The gradient checker passes a right backward pass and catches a wrong or accumulating one.</summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class GradientCheckerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    [TestCase(ObjectiveKind.Element)]
    [TestCase(ObjectiveKind.SumOfSquares)]
    [TestCase(ObjectiveKind.Loss)]
    public void CorrectBackward_Passes(ObjectiveKind kind)
    {
        Assert.That(Mismatches(SquareBackward.Correct, kind), Is.Empty);
    }

    [TestCase(ObjectiveKind.Element)]
    [TestCase(ObjectiveKind.SumOfSquares)]
    [TestCase(ObjectiveKind.Loss)]
    public void WrongFactor_IsCaught_NamingBottomIndexAndValues(ObjectiveKind kind)
    {
        var mismatches = Mismatches(SquareBackward.WrongFactor, kind);

        Assert.That(mismatches, Is.Not.Empty);
        Assert.That(mismatches[0], Does.Contain("bottom 0 index").And.Contain("analytic").And.Contain("numeric"));
    }

    [TestCase(ObjectiveKind.Element)]
    [TestCase(ObjectiveKind.Loss)]
    public void AccumulatingIntoTheBottomDiff_IsCaught(ObjectiveKind kind)
    {
        Assert.That(Mismatches(SquareBackward.Accumulates, kind), Is.Not.Empty);
    }

    [Test]
    public void CheckGradientExhaustive_OnACorrectLayer_Passes()
    {
        using var bottom = LayerTestData.Blob<T>([2, 3], LayerTestData.Gaussian(6, seed: 1));
        using var top = new Blob<T>();
        using var layer = new SquareLayer<T>(new LayerParameter());

        new GradientChecker<T>(1e-2, 1e-3).CheckGradientExhaustive(layer, [bottom], [top]);
        new GradientChecker<T>(1e-2, 1e-3).CheckGradientSingle(layer, [bottom], [top], 0, 0, 4);
        new GradientChecker<T>(1e-2, 1e-3).CheckGradient(layer, [bottom], [top]);
    }

    [Test]
    public void CheckGradientExhaustive_OnAWrongLayer_Fails()
    {
        using var bottom = LayerTestData.Blob<T>([2, 3], LayerTestData.Gaussian(6, seed: 1));
        using var top = new Blob<T>();
        using var layer = new SquareLayer<T>(new LayerParameter(), SquareBackward.WrongFactor);
        var checker = new GradientChecker<T>(1e-2, 1e-3);

        // The mismatch list, not Assert.Fail inside Assert.Throws: NUnit would record the failure on this test.
        layer.SetUp([bottom], [top]);
        var objectives = Enumerable.Range(0, 6).Select(j => Objective.Element(0, j)).ToList();
        var mismatches = checker.FindMismatches(layer, [bottom], [top], -1, objectives);

        Assert.That(mismatches, Is.Not.Empty);
    }

    private static IReadOnlyList<string> Mismatches(SquareBackward backward, ObjectiveKind kind)
    {
        using var bottom = LayerTestData.Blob<T>([3, 4], LayerTestData.Gaussian(12, seed: 3, std: 2));
        using var top = new Blob<T>();
        var param = new LayerParameter();
        if (kind == ObjectiveKind.Loss)
        {
            param.LossWeight.Add(1.5f);
        }

        using var layer = new SquareLayer<T>(param, backward);
        var objective = kind switch
        {
            ObjectiveKind.Element => Objective.Element(0, 5),
            ObjectiveKind.SumOfSquares => Objective.SumOfSquares,
            _ => Objective.Loss,
        };
        return new GradientChecker<T>(1e-2, 1e-3).FindMismatches(layer, [bottom], [top], -1, [objective]);
    }
}
