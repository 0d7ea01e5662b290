using System.Globalization;
using System.Numerics;
using System.Text;
using Crema.Core;
using Crema.Layers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.NUnit;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;

namespace Crema.Tests.Layers;

/// <summary>What one run of a layer on a property case gave, in double.</summary>
internal sealed record LossRun(double Loss, double Returned, double[] Gradient, double[]? Probabilities);

/// <summary>Runs property cases through the layers and compares results with a NaN-aware, scaled bound.</summary>
internal static class PropertyRunner
{
    /// <summary>SoftmaxWithLoss on the current engine: SetUp, Forward, and Backward unless the case is fused.</summary>
    internal static LossRun RunLoss<T>(LossPropertyCase c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var logits = LayerTestData.Blob<T>(c.Shape, c.Logits());
        using var labels = LayerTestData.Blob<T>(c.LabelShape, c.Labels());
        using var loss = new Blob<T>();
        using var probabilities = new Blob<T>();
        using var layer = new SoftmaxWithLossLayer<T>(c.Parameter()) { FusedBackward = c.Fused };
        Blob<T>[] bottom = [logits, labels];
        Blob<T>[] top = c.TwoTops ? [loss, probabilities] : [loss];
        layer.SetUp(bottom, top);
        logits.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(logits.Count, c.Seed + 5, std: 1e3))); // overwritten
        double returned = double.CreateTruncating(layer.Forward(bottom, top));
        if (!c.Fused)
        {
            layer.Backward(top, [true, false], bottom);
        }

        return new LossRun(double.CreateTruncating(loss.CpuData[0]), returned, TestData.ToDouble<T>(logits.CpuDiff),
            c.TwoTops ? TestData.ToDouble<T>(probabilities.CpuData) : null);
    }

    /// <summary>Softmax along the case's axis on the current engine: Forward, then Backward of a seeded top diff.</summary>
    internal static (double[] Top, double[] BottomDiff) RunSoftmax<T>(LossPropertyCase c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var bottom = LayerTestData.Blob<T>(c.Shape, c.Logits());
        using var top = new Blob<T>();
        using var layer = new SoftmaxLayer<T>(LayerTestData.Softmax(c.Axis));
        layer.SetUp([bottom], [top]);
        layer.Forward([bottom], [top]);
        top.SetDiff(LayerTestData.Cast<T>(LayerTestData.Gaussian(top.Count, c.Seed + 6)));
        layer.Backward([top], [true], [bottom]);
        return (TestData.ToDouble<T>(top.CpuData), TestData.ToDouble<T>(bottom.CpuDiff));
    }

    /// <summary>Collects mismatches; <see cref="ThrowIfAny"/> fails the property with all of them and the case.</summary>
    internal sealed class Mismatches(object testCase)
    {
        private readonly StringBuilder text = new();
        private int count;

        /// <summary>|actual − expected| ≤ tolerance · max(|expected|, floor); NaN matches NaN.</summary>
        public void Check(string what, double actual, double expected, double tolerance, double floor)
        {
            if (double.IsNaN(actual) && double.IsNaN(expected))
            {
                return;
            }

            double bound = tolerance * Math.Max(Math.Abs(expected), floor);
            if (!(Math.Abs(actual - expected) <= bound) && actual != expected && count++ < 8)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n  {what}: {actual:R}, expected {expected:R} (allowed {bound:G3})");
            }
        }

        public void Check(string what, double[] actual, double[] expected, double tolerance, double floor)
        {
            if (actual.Length != expected.Length)
            {
                count++;
                text.Append(CultureInfo.InvariantCulture, $"\n  {what}: length {actual.Length}, expected {expected.Length}");
                return;
            }

            for (int k = 0; k < actual.Length; k++)
            {
                Check($"{what}[{k}]", actual[k], expected[k], tolerance, floor);
            }
        }

        public void ThrowIfAny()
        {
            if (count > 0)
            {
                throw new PropertyMismatchException($"{count} mismatch(es) for {testCase}:{text}");
            }
        }
    }
}

/// <summary>A property's values disagree (the message lists them and the case).</summary>
public sealed class PropertyMismatchException(string message) : Exception(message);

/// <summary>
/// Property (a): on the CPU in double, SoftmaxWithLoss equals the independent float64 reference
/// (<see cref="SoftmaxLossReference"/>) within 1e-12 relative (to the gradient's scale for the gradient), over random
/// shapes, axes, label shapes, ignore labels, normalizations, loss weights, label smoothing and class weights; and
/// Softmax equals its reference.
/// </summary>
public class SoftmaxWithLossCpuPropertyTests
{
    private const double Tolerance = 1e-12;

    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    [Property(MaxTest = 150, QuietOnSuccess = true)]
    public Property LossLayer_InDouble_EqualsTheReference() =>
        Prop.ForAll(LossPropertyCase.Arbitrary(0.5, 3, 12, 40), c =>
        {
            var run = PropertyRunner.RunLoss<double>(c);
            var expected = SoftmaxLossReference.Compute(c.Logits(), c.Labels(), c.Outer, c.Channels, c.Inner,
                SoftmaxLossSettings.From(c.Parameter().LossParam), c.TopDiff);
            var mismatches = new PropertyRunner.Mismatches(c);
            double lossFloor = Math.Max(1, (double)c.Outer * c.Inner / expected.Normalizer);
            mismatches.Check("loss", run.Loss, expected.Loss, Tolerance, lossFloor);
            mismatches.Check("Forward's return", run.Returned, c.TopDiff * expected.Loss, Tolerance, lossFloor * Math.Max(1, Math.Abs(c.TopDiff)));
            mismatches.Check("gradient", run.Gradient, expected.Gradient, Tolerance, GradientScale(c, expected));
            if (run.Probabilities is not null)
            {
                mismatches.Check("probabilities", run.Probabilities, expected.Probabilities, Tolerance, 1e-3);
            }

            mismatches.ThrowIfAny();
        });

    [Property(MaxTest = 100, QuietOnSuccess = true)]
    public Property Softmax_InDouble_EqualsTheReference() =>
        Prop.ForAll(LossPropertyCase.Arbitrary(0.5, 3, 12), c =>
        {
            var (top, bottomDiff) = PropertyRunner.RunSoftmax<double>(c);
            var y = SoftmaxLossReference.Softmax(c.Logits(), c.Outer, c.Channels, c.Inner);
            var dy = LayerTestData.Gaussian(y.Length, c.Seed + 6);
            var dx = SoftmaxLossReference.SoftmaxBackward(y, dy, c.Outer, c.Channels, c.Inner);
            var mismatches = new PropertyRunner.Mismatches(c);
            mismatches.Check("y", top, y, Tolerance, 1e-3);
            mismatches.Check("dx", bottomDiff, dx, Tolerance, 1);
            mismatches.ThrowIfAny();
        });

    /// <summary>|loss_weight| / normalizer · max(1, the largest class weight): what a gradient element is measured against.</summary>
    internal static double GradientScale(LossPropertyCase c, SoftmaxLossResult expected)
    {
        double maxWeight = c.Weighted ? Math.Max(1, c.Weights().Max()) : 1;
        double scale = Math.Abs(c.TopDiff) / expected.Normalizer * maxWeight;
        return scale > 0 ? scale : 1e-300;
    }
}

/// <summary>
/// Property (b): on the GPU in float, SoftmaxWithLoss and Softmax equal the CPU in float within 1e-5 relative, over the
/// same random settings (logits up to N(0, 10²), where float's rounding of the log-sum-exp stays well inside the bound).
/// </summary>
public class SoftmaxWithLossGpuPropertyTests : GpuTestBase
{
    private const double Tolerance = 1e-5;

    [Property(MaxTest = 100, QuietOnSuccess = true)]
    public Property LossLayer_GpuFloat_EqualsCpuFloat() =>
        Prop.ForAll(LossPropertyCase.Arbitrary(0.5, 3, 10), c =>
        {
            Engine.UseCpu();
            var cpu = PropertyRunner.RunLoss<float>(c);
            Engine.UseGpu();
            var gpu = PropertyRunner.RunLoss<float>(c);
            Engine.UseCpu();
            var expected = SoftmaxLossReference.Compute(c.Logits(), c.Labels(), c.Outer, c.Channels, c.Inner,
                SoftmaxLossSettings.From(c.Parameter().LossParam), c.TopDiff);
            var mismatches = new PropertyRunner.Mismatches(c);
            // Each position's loss carries float rounding of about its log-sum-exp, and the loss adds M of them
            // over the normalizer (with NONE, M of them outright), so the floor scales with M / normalizer.
            double lossFloor = Math.Max(1, (double)c.Outer * c.Inner / expected.Normalizer);
            mismatches.Check("loss", gpu.Loss, cpu.Loss, Tolerance, lossFloor);
            mismatches.Check("Forward's return", gpu.Returned, cpu.Returned, Tolerance, lossFloor * Math.Max(1, Math.Abs(c.TopDiff)));
            mismatches.Check("gradient", gpu.Gradient, cpu.Gradient, Tolerance, SoftmaxWithLossCpuPropertyTests.GradientScale(c, expected));
            if (gpu.Probabilities is not null)
            {
                mismatches.Check("probabilities", gpu.Probabilities, cpu.Probabilities!, Tolerance, 1);
            }

            mismatches.ThrowIfAny();
        });

    [Property(MaxTest = 60, QuietOnSuccess = true)]
    public Property Softmax_GpuFloat_EqualsCpuFloat() =>
        Prop.ForAll(LossPropertyCase.Arbitrary(0.5, 3, 10), c =>
        {
            Engine.UseCpu();
            var (cpuTop, cpuDiff) = PropertyRunner.RunSoftmax<float>(c);
            Engine.UseGpu();
            var (gpuTop, gpuDiff) = PropertyRunner.RunSoftmax<float>(c);
            Engine.UseCpu();
            var mismatches = new PropertyRunner.Mismatches(c);
            mismatches.Check("y", gpuTop, cpuTop, Tolerance, 1);
            mismatches.Check("dx", gpuDiff, cpuDiff, Tolerance, 1);
            mismatches.ThrowIfAny();
        });
}
