using System.Globalization;
using Crema.Cli;
using Crema.Cuda;
using Crema.IO;
using Crema.Tests.IO;

using static Crema.Tests.Cli.LayerCommandWorkspace;

namespace Crema.Tests.Cli;

/// <summary><c>crema layer</c> end to end on the CPU engine, through the command line as Program.cs runs it.</summary>
public class LayerCommandTests : CliWorkspaceTests
{
    [TestCase("float32")]
    [TestCase("float64")]
    public void SoftmaxWithLoss_Int32Labels_LossAndBottomDiffMatchAFloat64Reference(string dtype)
    {
        bool asDouble = dtype == "float64";
        string x = W.WriteLogits("x.npy", asDouble, seed: 11, out var logits);
        string y = W.WriteInt32Labels("y.npy", Labels);
        var expected = SoftmaxLossReference(logits, LogitsShape, Labels);

        var (code, stdout, stderr) = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, "--bottom", y, "--dtype", dtype, "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stderr, Is.Empty);
        string loss = LossText(stdout);
        double printed = double.Parse(loss, CultureInfo.InvariantCulture);
        string roundTrip = asDouble
            ? printed.ToString("R", CultureInfo.InvariantCulture)
            : float.Parse(loss, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture);
        Assert.That(roundTrip, Is.EqualTo(loss), "the loss is printed with round-trip precision");
        AssertRelative([printed], [expected.Loss], Tolerance(dtype), "loss");

        var top = W.Output("top_0.npy");
        var diff = W.Output("bottom_diff_0.npy");
        var stored = asDouble ? NpyDType.Float64 : NpyDType.Float32;
        Assert.That(top.Shape, Is.Empty, "the loss top is a scalar");
        Assert.That(top.StoredDType, Is.EqualTo(stored));
        AssertRelative(top.Values, [expected.Loss], Tolerance(dtype), "top_0");
        Assert.That(diff.Shape, Is.EqualTo(LogitsShape));
        Assert.That(diff.StoredDType, Is.EqualTo(stored));
        AssertRelative(diff.Values, expected.Gradient, Tolerance(dtype), "bottom_diff_0");
        Assert.That(File.Exists(Path.Combine(W.OutDir, "bottom_diff_1.npy")), Is.False, "labels get no diff");
        Assert.That(stdout, Does.Contain($"wrote {Path.Combine(W.OutDir, "top_0.npy")}: shape ()"));
        Assert.That(stdout, Does.Contain($"wrote {Path.Combine(W.OutDir, "bottom_diff_0.npy")}: shape (4, 5, 2, 3)"));
    }

    [Test]
    public void SoftmaxWithLoss_FloatLabels_GiveTheSameFilesAsInt32Labels()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 12, out _);
        string ints = W.WriteInt32Labels("yi.npy", Labels);
        string floats = W.WriteFloatLabels("yf.npy", [.. Labels.Select(l => (float)l)]);
        string outInts = Path.Combine(W.Folder, "ints"), outFloats = Path.Combine(W.Folder, "floats");

        var fromInts = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, ints, "--out", outInts);
        var fromFloats = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, floats, "--out", outFloats);

        Assert.That(fromInts.Code, Is.EqualTo(ExitCodes.Ok), fromInts.Stderr);
        Assert.That(fromFloats.Code, Is.EqualTo(ExitCodes.Ok), fromFloats.Stderr);
        Assert.That(LossText(fromFloats.Stdout), Is.EqualTo(LossText(fromInts.Stdout)));
        foreach (string name in new[] { "top_0.npy", "bottom_diff_0.npy" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(outFloats, name)), Is.EqualTo(File.ReadAllBytes(Path.Combine(outInts, name))), name);
        }
    }

    [TestCase("float32")]
    [TestCase("float64")]
    public void SoftmaxWithLoss_LossWeight3AndIgnoreLabel0_ScalesLossAndGradientAndIgnoresThoseLabels(string dtype)
    {
        bool asDouble = dtype == "float64";
        string x = W.WriteLogits("x.npy", asDouble, seed: 13, out var logits);
        string y = W.WriteInt32Labels("y.npy", Labels);
        var expected = SoftmaxLossReference(logits, LogitsShape, Labels, ignoreLabel: 0, lossWeight: 3);

        var (code, stdout, stderr) = RunCli("layer", "--type", "SoftmaxWithLoss", "--param", "loss_weight: 3 loss_param { ignore_label: 0 }",
            "--bottom", x, "--bottom", y, "--dtype", dtype, "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        double printed = double.Parse(LossText(stdout), CultureInfo.InvariantCulture);
        AssertRelative([printed], [3 * expected.Loss], Tolerance(dtype), "printed loss (the weighted loss Forward returns)");
        AssertRelative(W.Output("top_0.npy").Values, [expected.Loss], Tolerance(dtype), "top_0 (the unweighted loss)");
        var diff = W.Output("bottom_diff_0.npy").Values;
        AssertRelative(diff, expected.Gradient, Tolerance(dtype), "bottom_diff_0");
        Assert.That(Enumerable.Range(0, 5).Select(c => diff[c * 6]), Is.All.Zero, "position 0 has label 0: ignored, gradient exactly 0");
    }

    [Test]
    public void SoftmaxWithLoss_WithTwoTops_WritesTheProbabilitiesAsTop1()
    {
        string x = W.WriteLogits("x.npy", asDouble: true, seed: 14, out var logits);
        string y = W.WriteInt32Labels("y.npy", Labels);
        var expected = SoftmaxLossReference(logits, LogitsShape, Labels);

        var (code, stdout, stderr) = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--tops", "2", "--dtype", "float64", "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        AssertRelative([double.Parse(LossText(stdout), CultureInfo.InvariantCulture)], [expected.Loss], Tolerance("float64"), "loss (the probability top has loss weight 0)");
        var probabilities = W.Output("top_1.npy");
        Assert.That(probabilities.Shape, Is.EqualTo(LogitsShape));
        AssertRelative(probabilities.Values, expected.Probabilities, Tolerance("float64"), "top_1");
        AssertRelative(W.Output("bottom_diff_0.npy").Values, expected.Gradient, Tolerance("float64"), "bottom_diff_0");
    }

    [TestCase("float32")]
    [TestCase("float64")]
    public void Softmax_WithTopDiff_WritesTopAndBottomDiffMatchingAFloat64Reference(string dtype)
    {
        bool asDouble = dtype == "float64";
        string x = W.WriteLogits("x.npy", asDouble, seed: 15, out var logits);
        string dy = W.WriteLogits("dy.npy", asDouble, seed: 16, out var topDiff);
        var (top, bottomDiff) = SoftmaxReference(logits, topDiff, LogitsShape);

        var (code, stdout, stderr) = RunCli("layer", "--type", "Softmax", "--bottom", x, "--top-diff", dy, "--dtype", dtype, "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(LossText(stdout), Is.EqualTo("0"));
        Assert.That(W.Output("top_0.npy").Shape, Is.EqualTo(LogitsShape));
        AssertRelative(W.Output("top_0.npy").Values, top, Tolerance(dtype), "top_0");
        AssertRelative(W.Output("bottom_diff_0.npy").Values, bottomDiff, Tolerance(dtype), "bottom_diff_0");
    }

    [Test]
    public void Softmax_WithoutTopDiff_WritesOnlyTheTop()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 17, out var logits);

        var (code, stdout, stderr) = RunCli("layer", "--type", "Softmax", "--bottom", x, "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout.TrimEnd().Split('\n'), Has.Length.EqualTo(2), "the loss line and one written file");
        Assert.That(Directory.GetFiles(W.OutDir).Select(Path.GetFileName), Is.EqualTo(new[] { "top_0.npy" }));
        AssertRelative(W.Output("top_0.npy").Values, SoftmaxReference(logits, new double[logits.Length], LogitsShape).Top, Tolerance("float32"), "top_0");
    }

    [Test]
    public void TypeInParam_IsUsedWhenTypeIsNotGiven()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 18, out _);

        var (code, _, stderr) = RunCli("layer", "--param", "type: \"Softmax\" softmax_param { axis: -3 }", "--bottom", x, "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(W.Output("top_0.npy").Shape, Is.EqualTo(LogitsShape));
    }

    [Test]
    public void PropagateDown_10_WritesTheLogitsDiffOnly_And00_WritesNoDiff()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 19, out _);
        string y = W.WriteInt32Labels("y.npy", Labels);

        var both = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--propagate-down", "1,0", "--out", W.OutDir);
        var names10 = Directory.GetFiles(W.OutDir).Select(Path.GetFileName).Order().ToArray();
        var none = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--propagate-down", "false, false", "--out", W.OutDir);
        var names00 = Directory.GetFiles(W.OutDir).Select(Path.GetFileName).ToArray();

        Assert.That(both.Code, Is.EqualTo(ExitCodes.Ok), both.Stderr);
        Assert.That(none.Code, Is.EqualTo(ExitCodes.Ok), none.Stderr);
        Assert.That(names10, Is.EqualTo(new[] { "bottom_diff_0.npy", "top_0.npy" }));
        Assert.That(names00, Is.EqualTo(new[] { "top_0.npy" }), "the earlier run's bottom_diff_0.npy is removed, not left stale");
        Assert.That(LossText(none.Stdout), Is.EqualTo(LossText(both.Stdout)));
    }

    [Test]
    public void PropagateDownInParam_IsUsedWhenTheOptionIsNotGiven()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 20, out _);
        string y = W.WriteInt32Labels("y.npy", Labels);

        var (code, _, stderr) = RunCli("layer", "--type", "SoftmaxWithLoss", "--param", "propagate_down: false propagate_down: false",
            "--bottom", x, y, "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(Directory.GetFiles(W.OutDir).Select(Path.GetFileName), Is.EqualTo(new[] { "top_0.npy" }));
    }

    [Test]
    public void OutputsOfAnEarlierRunWithMoreTops_AreRemoved_OtherFilesAreKept()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 21, out _);
        string y = W.WriteInt32Labels("y.npy", Labels);
        Directory.CreateDirectory(W.OutDir);
        File.WriteAllText(Path.Combine(W.OutDir, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(W.OutDir, "top_probabilities.npy"), "mine too");

        var two = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--tops", "2", "--out", W.OutDir);
        var one = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--out", W.OutDir);

        Assert.That(two.Code, Is.EqualTo(ExitCodes.Ok), two.Stderr);
        Assert.That(one.Code, Is.EqualTo(ExitCodes.Ok), one.Stderr);
        Assert.That(Directory.GetFiles(W.OutDir).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { "bottom_diff_0.npy", "notes.txt", "top_0.npy", "top_probabilities.npy" }));
    }

    [Test]
    public void GpuEngine_WithoutAGpu_ExitsWith3_WithTheReason_AndWritesNothing()
    {
        if (CudaRuntime.Probe().IsAvailable)
        {
            Assert.Ignore("a GPU is present: LayerCommandGpuTests runs the GPU engine instead");
        }

        string x = W.WriteLogits("x.npy", asDouble: false, seed: 22, out _);
        string y = W.WriteInt32Labels("y.npy", Labels);

        var (code, stdout, stderr) = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--engine", "gpu", "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable));
        Assert.That(stderr, Does.StartWith("crema: GPU unavailable: "));
        Assert.That(stdout, Is.Empty);
        Assert.That(Directory.Exists(W.OutDir), Is.False);
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu), "the CPU engine stays selected");
    }

    // ---- bad input: exit code 2, one "crema: " line on stderr ----

    [Test]
    public void UnknownLayerType_ExitsWith2_ListingTheKnownTypes()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 30, out _);

        W.AssertBadInput(RunCli("layer", "--type", "Nope", "--bottom", x, "--out", W.OutDir),
            "crema: unknown layer type 'Nope' (known types: Accuracy, DummyData, EuclideanLoss, IdxData, InnerProduct, Input, ReLU, Softmax, SoftmaxWithLoss, Split)");
    }

    [Test]
    public void MalformedParam_ExitsWith2_WithLineAndColumn()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 31, out _);

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--param", "softmax_param {\n  axis: }", "--bottom", x, "--out", W.OutDir),
            "crema: --param:2:");
    }

    [Test]
    public void TypeAndParamTypeDisagree_ExitsWith2_NamingBoth()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 32, out _);

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--param", "type: \"SoftmaxWithLoss\"", "--bottom", x, "--out", W.OutDir),
            "crema: --type Softmax conflicts with type: \"SoftmaxWithLoss\" in --param");
    }

    [Test]
    public void NoLayerType_ExitsWith2()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 33, out _);

        W.AssertBadInput(RunCli("layer", "--bottom", x, "--out", W.OutDir), "crema: no layer type: give --type or type: in --param");
    }

    [Test]
    public void MissingBottomFile_ExitsWith2_NamingIt()
    {
        string missing = Path.Combine(W.Folder, "missing.npy");

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", missing, "--out", W.OutDir), $"crema: --bottom {missing}: no such file");
    }

    [Test]
    public void BottomThatIsAFolder_ExitsWith2_NamingIt()
    {
        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", W.Folder, "--out", W.OutDir),
            $"crema: --bottom {W.Folder}: is a folder, not an .npy file");
    }

    [Test]
    public void BottomThatIsNotAnNpyFile_ExitsWith2_NamingItAndWhy()
    {
        string csv = Path.Combine(W.Folder, "x.npy");
        File.WriteAllText(csv, "1,2,3\n");

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", csv, "--out", W.OutDir), $"crema: --bottom {csv}: not an .npy file");
    }

    [Test]
    public void TruncatedBottom_ExitsWith2_WithExpectedAndActualBytes()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 34, out _);
        var bytes = File.ReadAllBytes(x);
        File.WriteAllBytes(x, bytes[..(bytes.Length - 100)]);

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", x, "--out", W.OutDir),
            $"crema: --bottom {x}: truncated: shape (4, 5, 2, 3) of <f4 needs 480 data bytes, the file has 380");
    }

    [Test]
    public void UnsupportedDtypeInAFile_ExitsWith2_NamingIt()
    {
        string x = Path.Combine(W.Folder, "x.npy");
        File.WriteAllBytes(x, NpyBytes.File(NpyBytes.Dict("<f2", "(2,)"), [0, 0, 0, 0]));

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", x, "--out", W.OutDir), "unsupported dtype '<f2'");
    }

    [Test]
    public void LabelsWithTheWrongCount_ExitsWith2_NamingBothShapes()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 35, out _);
        string y = W.WriteInt32Labels("y.npy", new int[28], [4, 7]);

        var result = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--out", W.OutDir);

        W.AssertBadInput(result, "(4, 5, 2, 3)");
        Assert.That(result.Stderr, Does.Contain("(4, 7)"));
    }

    [Test]
    public void LabelsWithAnotherBatchSize_ExitsWith2_NamingBothShapes()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 36, out _);
        string y = W.WriteInt32Labels("y.npy", new int[18], [3, 2, 3]);

        var result = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--out", W.OutDir);

        W.AssertBadInput(result, "(4, 5, 2, 3)");
        Assert.That(result.Stderr, Does.Contain("(3, 2, 3)"));
    }

    [Test]
    public void LabelOutOfRange_ExitsWith2_NamingPositionAndValue()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 37, out _);
        int[] labels = [.. Labels];
        labels[9] = 7;
        string y = W.WriteInt32Labels("y.npy", labels);

        W.AssertBadInput(RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--out", W.OutDir), "label 7 at position 9");
    }

    [Test]
    public void NonIntegralLabel_ExitsWith2_NamingPositionAndValue()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 38, out _);
        float[] labels = [.. Labels.Select(l => (float)l)];
        labels[4] = 2.5f;
        string y = W.WriteFloatLabels("y.npy", labels);

        W.AssertBadInput(RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--out", W.OutDir), "label 2.5 at position 4");
    }

    [TestCase("1,x", "crema: --propagate-down '1,x': entry 2 is 'x'")]
    [TestCase("1", "crema: --propagate-down has 1 entries but there are 2 bottoms")]
    [TestCase("1,0,1", "crema: --propagate-down has 3 entries but there are 2 bottoms")]
    [TestCase("1,1", "cannot backpropagate to label inputs")]
    public void BadPropagateDown_ExitsWith2(string value, string expected)
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 39, out _);
        string y = W.WriteInt32Labels("y.npy", Labels);

        W.AssertBadInput(RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--propagate-down", value, "--out", W.OutDir), expected);
    }

    [Test]
    public void PropagateDownInParamWithTheWrongCount_ExitsWith2()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 40, out _);
        string y = W.WriteInt32Labels("y.npy", Labels);

        W.AssertBadInput(RunCli("layer", "--type", "SoftmaxWithLoss", "--param", "propagate_down: true", "--bottom", x, y, "--out", W.OutDir),
            "crema: propagate_down in --param has 1 entries but there are 2 bottoms");
    }

    [Test]
    public void PropagateDownWithoutABackwardPass_ExitsWith2()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 41, out _);

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", x, "--propagate-down", "1", "--out", W.OutDir),
            "crema: --propagate-down needs a backward pass, but Softmax layer has no loss: give --top-diff");
    }

    [Test]
    public void TopDiffOfAnotherShape_ExitsWith2_NamingBothShapes()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 42, out _);
        string dy = W.WriteLogits("dy.npy", asDouble: false, seed: 43, out _, shape: [4, 5]);

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", x, "--top-diff", dy, "--out", W.OutDir),
            $"crema: --top-diff {dy} has shape (4, 5) but top 0 has shape (4, 5, 2, 3)");
    }

    [Test]
    public void TopDiffsNotOnePerTop_ExitsWith2()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 44, out _);
        string dy = W.WriteLogits("dy.npy", asDouble: false, seed: 45, out _);

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", x, "--top-diff", dy, dy, "--out", W.OutDir),
            "crema: --top-diff was given 2 time(s) but the layer has 1 top(s)");
    }

    [Test]
    public void WrongNumberOfBottoms_ExitsWith2_WithTheLayersCount()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 46, out _);

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--bottom", x, x, "--out", W.OutDir), "crema: Softmax layer takes 1 bottom blob(s), got 2");
    }

    [TestCase("0", "crema: --tops must be at least 1, got 0")]
    [TestCase("3", "crema: SoftmaxWithLoss layer takes at most 2 top blob(s), got 3")]
    public void UnacceptableTopCount_ExitsWith2(string tops, string expected)
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 47, out _);
        string y = W.WriteInt32Labels("y.npy", Labels);

        W.AssertBadInput(RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--tops", tops, "--out", W.OutDir), expected);
    }

    [Test]
    public void AxisOutOfRange_ExitsWith2_WithTheLayersMessage()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 48, out _);

        W.AssertBadInput(RunCli("layer", "--type", "Softmax", "--param", "softmax_param { axis: 4 }", "--bottom", x, "--out", W.OutDir),
            "softmax_param.axis 4 is out of range for a bottom of shape (4, 5, 2, 3)");
    }

    [TestCase("--dtype", "float16", "float16")]
    [TestCase("--engine", "tpu", "tpu")]
    [TestCase("--tops", "two", "two")]
    public void UnparsableOption_ExitsWith2(string option, string value, string expected)
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 49, out _);

        var (code, stdout, stderr) = RunCli("layer", "--type", "Softmax", "--bottom", x, option, value, "--out", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.StartWith("crema: ").And.Contain(expected));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void MissingRequiredOptions_ExitWith2_OneLinePerProblem()
    {
        var (code, stdout, stderr) = RunCli("layer", "--type", "Softmax");

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(2).And.All.StartWith("crema: "));
        Assert.That(stderr, Does.Contain("--bottom").And.Contain("--out"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void OutThatIsAFile_ExitsWith2_NamingIt()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 50, out _);
        string file = Path.Combine(W.Folder, "file");
        File.WriteAllText(file, "");

        var (code, stdout, stderr) = RunCli("layer", "--type", "Softmax", "--bottom", x, "--out", file);

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.StartWith($"crema: --out {file}: cannot write"));
        Assert.That(stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stdout, Is.Empty);
    }
}
