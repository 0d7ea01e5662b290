using System.Globalization;
using Crema.Cli;
using Crema.Cuda;
using Crema.IO;

using static Crema.Tests.Cli.LayerCommandWorkspace;

namespace Crema.Tests.Cli;

/// <summary><c>crema net</c> end to end on the CPU engine, through the command line as Program.cs runs it.</summary>
public class NetCommandTests : CliWorkspaceTests
{
    // The MLP of NetWithCoreLayersTests: DummyData → InnerProduct → ReLU (in place) → InnerProduct → SoftmaxWithLoss.
    private const string Mlp = """
        name: "mlp"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { data_filler { type: "gaussian" std: 1 } shape { dim: 4 dim: 6 }
                                   data_filler { type: "constant" value: 2 } shape { dim: 4 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 5 weight_filler { type: "xavier" }
                                      bias_filler { type: "uniform" min: -0.5 max: 0.5 } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2/fc" type: "InnerProduct" bottom: "ip1" top: "ip2:out"
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2:out" bottom: "label" top: "loss" }
        """;

    private static readonly Dictionary<string, int[]> ExpectedShapes = new()
    {
        ["blob_data"] = [4, 6],
        ["blob_label"] = [4],
        ["blob_ip1"] = [4, 5],
        ["blob_ip2_out"] = [4, 3],
        ["blob_loss"] = [],
        ["param_ip1_0"] = [5, 6],
        ["param_ip1_1"] = [5],
        ["param_ip2_fc_0"] = [3, 5],
        ["param_ip2_fc_1"] = [3],
    };

    private string WriteModel(string text, string name = "mlp.prototxt")
    {
        string path = Path.Combine(W.Folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [TestCase("float32")]
    [TestCase("float64")]
    public void Mlp_PrintsTheLoss_AndDumpsEveryBlobAndParam_AgreeingWithAFloat64Recomputation(string dtype)
    {
        string model = WriteModel(Mlp);

        var (code, stdout, stderr) = RunCli("net", "--model", model, "--dtype", dtype, "--seed", "7", "--dump", W.OutDir);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stderr, Is.Empty);
        string lossText = LossText(stdout);
        double loss = double.Parse(lossText, CultureInfo.InvariantCulture);
        string roundTrip = dtype == "float64"
            ? loss.ToString("R", CultureInfo.InvariantCulture)
            : float.Parse(lossText, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture);
        Assert.That(roundTrip, Is.EqualTo(lossText), "round-trip precision");

        var expectedFiles = ExpectedShapes.Keys.SelectMany(s => new[] { $"{s}_data.npy", $"{s}_diff.npy" }).Order();
        Assert.That(Directory.GetFiles(W.OutDir).Select(Path.GetFileName).Order(), Is.EqualTo(expectedFiles));
        foreach (var (stem, shape) in ExpectedShapes)
        {
            Assert.That(W.Output($"{stem}_data.npy").Shape, Is.EqualTo(shape), stem);
            Assert.That(W.Output($"{stem}_diff.npy").Shape, Is.EqualTo(shape), stem);
            Assert.That(W.Output($"{stem}_data.npy").StoredDType, Is.EqualTo(dtype == "float64" ? NpyDType.Float64 : NpyDType.Float32));
        }

        // Forward and the last layer's gradients in float64 from the dumped inputs and weights.
        double[] x = W.Output("blob_data_data.npy").Values;
        double[] label = W.Output("blob_label_data.npy").Values;
        double[] w1 = W.Output("param_ip1_0_data.npy").Values;
        double[] b1 = W.Output("param_ip1_1_data.npy").Values;
        double[] w2 = W.Output("param_ip2_fc_0_data.npy").Values;
        double[] b2 = W.Output("param_ip2_fc_1_data.npy").Values;
        var h = new double[4 * 5];
        var z = new double[4 * 3];
        var dz = new double[4 * 3];
        double expectedLoss = 0;
        for (int n = 0; n < 4; n++)
        {
            for (int j = 0; j < 5; j++)
            {
                double s = b1[j];
                for (int k = 0; k < 6; k++)
                {
                    s += x[(n * 6) + k] * w1[(j * 6) + k];
                }

                h[(n * 5) + j] = Math.Max(0, s);
            }

            for (int c = 0; c < 3; c++)
            {
                double s = b2[c];
                for (int j = 0; j < 5; j++)
                {
                    s += h[(n * 5) + j] * w2[(c * 5) + j];
                }

                z[(n * 3) + c] = s;
            }

            double max = Math.Max(z[n * 3], Math.Max(z[(n * 3) + 1], z[(n * 3) + 2]));
            double sum = 0;
            for (int c = 0; c < 3; c++)
            {
                sum += Math.Exp(z[(n * 3) + c] - max);
            }

            int y = (int)label[n];
            expectedLoss += (max + Math.Log(sum) - z[(n * 3) + y]) / 4;
            for (int c = 0; c < 3; c++)
            {
                dz[(n * 3) + c] = ((Math.Exp(z[(n * 3) + c] - max) / sum) - (c == y ? 1 : 0)) / 4;
            }
        }

        double tol = Tolerance(dtype) * 10;
        AssertRelative([loss], [expectedLoss], tol, "loss");
        AssertRelative(W.Output("blob_ip1_data.npy").Values, h, tol, "ip1 (after the in-place ReLU)");
        AssertRelative(W.Output("blob_ip2_out_data.npy").Values, z, tol, "ip2");
        AssertRelative(W.Output("blob_ip2_out_diff.npy").Values, dz, tol, "ip2 diff");
        var db2 = Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 4).Sum(n => dz[(n * 3) + c])).ToArray();
        AssertRelative(W.Output("param_ip2_fc_1_diff.npy").Values, db2, tol, "ip2 bias diff");
    }

    [Test]
    public void ForwardOnly_LeavesTheDiffsZero_AndTheSeedMakesRunsRepeatable()
    {
        string model = WriteModel(Mlp);
        var first = RunCli("net", "--model", model, "--seed", "3", "--forward-only", "--dump", W.OutDir);
        Assert.That(first.Code, Is.EqualTo(ExitCodes.Ok), first.Stderr);
        Assert.That(W.Output("param_ip1_0_diff.npy").Values, Is.All.EqualTo(0.0));
        var again = RunCli("net", "--model", model, "--seed", "3");
        Assert.That(LossText(again.Stdout), Is.EqualTo(LossText(first.Stdout)));
    }

    [Test]
    public void DebugInfo_PrintsCaffesLinesForEveryLayer_AndTheParamNorms()
    {
        string model = WriteModel(Mlp);
        var (code, stdout, stderr) = RunCli("net", "--model", model, "--seed", "5", "--debug-info", "--dump", W.OutDir);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        foreach (string expected in new[]
        {
            "[Forward] Layer data, top blob data data: ",
            "[Forward] Layer ip1, top blob ip1 data: ",
            "[Forward] Layer ip1, param blob 0 data: ",
            "[Forward] Layer ip2/fc, top blob ip2:out data: ",
            "[Backward] Layer ip2/fc, bottom blob ip1 diff: ",
            "[Backward] Layer ip1, param blob 1 diff: ",
            "[Backward] All net params (data, diff): L1 norm = (",
        })
        {
            Assert.That(lines, Has.Some.StartsWith(expected), expected);
        }

        // The loss layer's top line is the loss itself (a count-1 blob's mean absolute value), printed before "loss:".
        string lossLine = lines.Single(l => l.StartsWith("[Forward] Layer loss, top blob loss data: ", StringComparison.Ordinal));
        double printed = double.Parse(lossLine[(lossLine.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        int lossAt = Array.FindIndex(lines, l => l.StartsWith("loss: ", StringComparison.Ordinal));
        Assert.That(lossAt, Is.GreaterThan(Array.IndexOf(lines, lossLine)));
        Assert.That(printed, Is.EqualTo(Math.Abs(double.Parse(lines[lossAt][6..], CultureInfo.InvariantCulture))).Within(1e-3).Percent, "six significant digits");

        // The L1 norm of the params' data is the sum of |w| over the dumped params.
        string normLine = lines.Single(l => l.StartsWith("[Backward] All net params", StringComparison.Ordinal));
        string l1 = normLine[(normLine.IndexOf("L1 norm = (", StringComparison.Ordinal) + 11)..];
        double l1Data = double.Parse(l1[..l1.IndexOf(',', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
        double expectedL1 = new[] { "param_ip1_0", "param_ip1_1", "param_ip2_fc_0", "param_ip2_fc_1" }
            .Sum(name => W.Output(name + "_data.npy").Values.Sum(Math.Abs));
        Assert.That(l1Data, Is.EqualTo(expectedL1).Within(1e-3).Percent, "six significant digits");
    }

    [Test]
    public void PhaseTest_BuildsTheTestNet()
    {
        string model = WriteModel(Mlp.Replace(
            "layer { name: \"relu1\"",
            "layer { name: \"drop\" type: \"NoSuchLayer\" bottom: \"ip1\" top: \"ip1\" include { phase: TRAIN } }\n        layer { name: \"relu1\"",
            StringComparison.Ordinal));
        var (code, stdout, stderr) = RunCli("net", "--model", model, "--phase", "TEST");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(LossText(stdout), Is.Not.Empty);
        W.AssertBadInput(RunCli("net", "--model", model, "--phase", "TRAIN"), "NoSuchLayer");
    }

    [Test]
    public void MalformedModel_ExitsWith2_NamingFileLineAndColumn()
    {
        string model = WriteModel("name: \"x\"\nlayer {\n  name: \"a\" type: \"Input\" top: \"d\" input_param { shape { dim: 2 } }\n  bogus_field: 1\n}\n", "bad.prototxt");
        var result = RunCli("net", "--model", model, "--dump", W.OutDir);
        W.AssertBadInput(result, $"{model}:4:");
        Assert.That(result.Stderr, Does.Match(@"bad\.prototxt:4:\d+"));
    }

    [Test]
    public void UnknownBottom_ExitsWith2_NamingTheLayerAndTheBlob()
    {
        string model = WriteModel(Mlp.Replace("bottom: \"ip1\" top: \"ip2:out\"", "bottom: \"nowhere\" top: \"ip2:out\"", StringComparison.Ordinal));
        var result = RunCli("net", "--model", model, "--dump", W.OutDir);
        W.AssertBadInput(result, "nowhere");
        Assert.That(result.Stderr, Does.Contain("ip2/fc"));
    }

    [Test]
    public void MissingModelFile_ExitsWith2()
    {
        string model = Path.Combine(W.Folder, "absent.prototxt");
        W.AssertBadInput(RunCli("net", "--model", model, "--dump", W.OutDir), $"--model {model}: no such file");
    }

    [Test]
    public void GpuEngine_WithoutAGpu_ExitsWith3()
    {
        if (CudaRuntime.Probe().IsAvailable)
        {
            Assert.Ignore("a GPU is present");
        }

        var (code, stdout, stderr) = RunCli("net", "--model", WriteModel(Mlp), "--engine", "gpu", "--dump", W.OutDir);
        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable), stderr);
        Assert.That(stderr, Does.StartWith("crema: GPU unavailable: "), "as crema layer: the reason follows");
        Assert.That(stdout, Is.Empty);
        Assert.That(Directory.Exists(W.OutDir), Is.False);
        Assert.That(Engine.Current, Is.EqualTo(ComputeEngine.Cpu), "the CPU engine stays selected");
    }

    [Test]
    public void DumpNamesThatClashAfterSanitising_ExitWith2_BeforeWritingAnything()
    {
        // The hidden blob "ip1" renamed "ip2_out": it and "ip2:out" both sanitise to ip2_out.
        string model = WriteModel(Mlp.Replace("\"ip1\"", "\"ip2_out\"", StringComparison.Ordinal));
        var result = RunCli("net", "--model", model, "--dump", W.OutDir);
        W.AssertBadInput(result, "blob 'ip2_out' and blob 'ip2:out' would both be written as blob_ip2_out_data.npy");
        Assert.That(Directory.Exists(W.OutDir), Is.False, "nothing written");
    }

    [TestCase("ip2:out", "ip2_out")]
    [TestCase("a/b c", "a_b_c")]
    [TestCase("ok_name-1.2", "ok_name-1.2")]
    [TestCase("é", "_")]
    public void SafeName_ReplacesCharactersOutsideTheAllowedSet(string name, string expected) =>
        Assert.That(NetCommand.SafeName(name), Is.EqualTo(expected));
}
