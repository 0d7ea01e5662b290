using Crema.Cli;
using Crema.Fillers;
using Crema.IO;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;

using static Crema.Tests.Cli.LayerCommandWorkspace;

namespace Crema.Tests.IO;

/// <summary><c>crema net --weights FILE</c> end to end on the CPU engine.</summary>
public class CaffeWeightsCliTests
{
    private string folder = null!;

    [SetUp]
    public void SetUp()
    {
        Engine.UseCpu();
        folder = Directory.CreateTempSubdirectory("crema-weights-").FullName;
    }

    [TearDown]
    public void TearDown()
    {
        Engine.UseCpu();
        Directory.Delete(folder, recursive: true);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string TrainedWeights(string model, out Net<float> trained)
    {
        SeededRandom.SetGlobalSeed(5);
        trained = new Net<float>(NetParameter.Parse(model), Phase.Train);
        string path = Path.Combine(folder, "trained.caffemodel");
        NetWeights.ToModel(trained).Write(path);
        return path;
    }

    [Test]
    public void Weights_AreLoadedBeforeForward_AndDumped()
    {
        string model = Write("mlp.prototxt", CaffeModelTests.Mlp);
        string weights = TrainedWeights(CaffeModelTests.Mlp, out var trained);
        using var _ = trained;
        string dump = Path.Combine(folder, "out");

        var (code, stdout, stderr) = RunCli("net", "--model", model, "--seed", "123", "--weights", weights,
            "--forward-only", "--dump", dump);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        Assert.That(stdout, Does.StartWith("loss: "));
        string[] names = ["ip1", "ip2"];
        foreach (string layer in names)
        {
            var blobs = trained.LayerByName(layer).Blobs;
            for (int p = 0; p < blobs.Count; p++)
            {
                var array = Npy.Read<float>(Path.Combine(dump, $"param_{layer}_{p}_data.npy"));
                Assert.That(array.Values, Is.EqualTo(blobs[p].GetData()), $"{layer} {p}");
            }
        }
    }

    [Test]
    public void BadWeightsFile_IsExitCode2_WithOneLineNamingTheFile()
    {
        string model = Write("mlp.prototxt", CaffeModelTests.Mlp);
        string garbage = Path.Combine(folder, "garbage.caffemodel");
        File.WriteAllBytes(garbage, [0x0A, 0x7F, 0x01]);

        var (code, _, stderr) = RunCli("net", "--model", model, "--weights", garbage);

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr.TrimEnd('\n', '\r').Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stderr, Does.StartWith($"crema: {garbage}: "));

        var (missingCode, _, missingErr) = RunCli("net", "--model", model, "--weights", Path.Combine(folder, "none"));
        Assert.That(missingCode, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(missingErr, Does.Contain("--weights").And.Contain("no such file"));
    }

    [Test]
    public void WeightsOfAnotherShape_IsExitCode2_NamingTheLayerAndBlob()
    {
        string model = Write("mlp.prototxt", CaffeModelTests.Mlp);
        string weights = TrainedWeights(CaffeModelTests.Mlp.Replace("num_output: 3", "num_output: 4"), out var other);
        other.Dispose();

        var (code, _, stderr) = RunCli("net", "--model", model, "--weights", weights);

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr.TrimEnd('\n', '\r').Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stderr, Does.Contain("'ip2' blob 0").And.Contain("(4, 5)").And.Contain("(3, 5)"));
    }
}
