using System.Globalization;
using Crema.Cli;
using Crema.IO;

using static Crema.Tests.Cli.LayerCommandWorkspace;

namespace Crema.Tests.Cli;

/// <summary>
/// <c>crema layer --engine gpu</c> where a GPU is present: the same files as the CPU engine (within the dtype's
/// tolerance) and the same bad-label error. Skipped with the reason elsewhere; the CPU fixture then checks exit code 3.
/// </summary>
public class LayerCommandGpuTests : GpuTestBase
{
    private LayerCommandWorkspace W { get; set; } = null!;

    [SetUp]
    public void CreateWorkspace() => W = new LayerCommandWorkspace();

    [TearDown]
    public void DeleteWorkspace() => W.Dispose();

    [TestCase("float32")]
    [TestCase("float64")]
    public void SoftmaxWithLoss_OnTheGpu_WritesWhatTheCpuWrites(string dtype)
    {
        bool asDouble = dtype == "float64";
        string x = W.WriteLogits("x.npy", asDouble, seed: 61, out _);
        string y = W.WriteInt32Labels("y.npy", Labels);
        string[] common = ["layer", "--type", "SoftmaxWithLoss", "--param", "loss_weight: 3 loss_param { ignore_label: 0 }",
            "--bottom", x, y, "--tops", "2", "--dtype", dtype];

        var cpu = RunCli([.. common, "--engine", "cpu", "--out", Path.Combine(W.Folder, "cpu")]);
        var gpu = RunCli([.. common, "--engine", "gpu", "--out", W.OutDir]);

        Assert.That(cpu.Code, Is.EqualTo(ExitCodes.Ok), cpu.Stderr);
        Assert.That(gpu.Code, Is.EqualTo(ExitCodes.Ok), gpu.Stderr);
        AssertSameFiles(asDouble, "top_0.npy", "top_1.npy", "bottom_diff_0.npy");
        TestData.AssertClose(double.Parse(LossText(gpu.Stdout), CultureInfo.InvariantCulture),
            double.Parse(LossText(cpu.Stdout), CultureInfo.InvariantCulture), Tolerance(asDouble), "loss");
    }

    [TestCase("float32")]
    [TestCase("float64")]
    public void Softmax_WithTopDiff_OnTheGpu_WritesWhatTheCpuWrites(string dtype)
    {
        bool asDouble = dtype == "float64";
        string x = W.WriteLogits("x.npy", asDouble, seed: 62, out _);
        string dy = W.WriteLogits("dy.npy", asDouble, seed: 63, out _);
        string[] common = ["layer", "--type", "Softmax", "--bottom", x, "--top-diff", dy, "--dtype", dtype];

        var cpu = RunCli([.. common, "--engine", "cpu", "--out", Path.Combine(W.Folder, "cpu")]);
        var gpu = RunCli([.. common, "--engine", "gpu", "--out", W.OutDir]);

        Assert.That(cpu.Code, Is.EqualTo(ExitCodes.Ok), cpu.Stderr);
        Assert.That(gpu.Code, Is.EqualTo(ExitCodes.Ok), gpu.Stderr);
        AssertSameFiles(asDouble, "top_0.npy", "bottom_diff_0.npy");
    }

    [Test]
    public void LabelOutOfRange_OnTheGpu_ExitsWith2_WithTheCpuMessage()
    {
        string x = W.WriteLogits("x.npy", asDouble: false, seed: 64, out _);
        int[] labels = [.. Labels];
        labels[9] = 7;
        string y = W.WriteInt32Labels("y.npy", labels);

        var cpu = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--engine", "cpu", "--out", W.OutDir);
        var gpu = RunCli("layer", "--type", "SoftmaxWithLoss", "--bottom", x, y, "--engine", "gpu", "--out", W.OutDir);

        W.AssertBadInput(gpu, "label 7 at position 9");
        Assert.That(gpu.Stderr, Is.EqualTo(cpu.Stderr));
    }

    private static double Tolerance(bool asDouble) => asDouble ? 1e-12 : 2e-5;

    private void AssertSameFiles(bool asDouble, params string[] names)
    {
        foreach (string name in names)
        {
            var gpu = W.Output(name);
            var cpu = Npy.Read<double>(Path.Combine(W.Folder, "cpu", name));
            Assert.That(gpu.Shape, Is.EqualTo(cpu.Shape), name);
            Assert.That(gpu.StoredDType, Is.EqualTo(cpu.StoredDType), name);
            TestData.AssertClose<double>(gpu.Values, cpu.Values, Tolerance(asDouble), name);
        }
    }
}
