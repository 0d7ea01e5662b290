using System.Buffers.Binary;
using Crema.IO;
using Crema.Layers;
using Crema.Parameters;
using Crema.Solvers;
using Crema.Tests.IO;

namespace Crema.Tests.Solvers;

/// <summary>
/// examples/fashion_mnist: the solver's settings, and the net wired and trained on small synthetic IDX files with the
/// real files' names, found through <see cref="DataLocation.Root"/> (as the CLI's --data sets it).
/// </summary>
[NonParallelizable]
public class FashionMnistExampleTests
{
    private string folder = "";
    private string? savedRoot;

    [SetUp]
    public void WriteSyntheticData()
    {
        Engine.UseCpu();
        folder = IdxBytes.NewTempFolder();
        WriteSet("train", 200);
        WriteSet("t10k", 100);
        savedRoot = DataLocation.Root;
        DataLocation.Root = folder;
    }

    [TearDown]
    public void Restore()
    {
        DataLocation.Root = savedRoot;
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Item i has class i % 10, drawn as a bright band of rows 2·class and 2·class + 1.</summary>
    private void WriteSet(string prefix, int count)
    {
        var pixels = new byte[count * 28 * 28];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 10);
            for (int row = 2 * labels[i]; row < (2 * labels[i]) + 2; row++)
            {
                pixels.AsSpan((i * 784) + (row * 28), 28).Fill(255);
            }
        }

        IdxBytes.Write(folder, $"{prefix}-images-idx3-ubyte.gz", IdxBytes.UByteFile([count, 28, 28], pixels), gzip: true);
        IdxBytes.Write(folder, $"{prefix}-labels-idx1-ubyte.gz", IdxBytes.UByteFile([count], labels), gzip: true);
    }

    private static SolverParameter ExampleSolver()
    {
        string root = ExampleTests.RepositoryRoot();
        var param = SolverParameter.ParseFile(Path.Combine(root, "examples", "fashion_mnist", "solver.prototxt"));
        param.Net = Path.Combine(root, param.Net);
        return param;
    }

    [Test]
    public void Solver_TestsOncePerEpoch_OverTheWholeTestSet_For20Epochs()
    {
        var param = ExampleSolver();

        Assert.That(param.Net, Does.EndWith(Path.Combine("examples", "fashion_mnist", "train_test.prototxt")));
        Assert.That((param.TestInterval, param.TestIter.Single(), param.Display), Is.EqualTo((938, 100, 100)));
        Assert.That(param.MaxIter, Is.EqualTo(20 * 938), "20 epochs, ending on a test iteration");
        Assert.That((param.Momentum, param.Type), Is.EqualTo((0.9f, "SGD")));
        Assert.That(param.RandomSeed, Is.GreaterThanOrEqualTo(0));
        Assert.That(Path.IsPathRooted(param.SnapshotPrefix), Is.False, "relative to the repository root");
    }

    [Test]
    public void Net_IsWired_AndLearnsTheSyntheticClasses()
    {
        var param = ExampleSolver();
        param.SnapshotPrefix = "";
        param.Snapshot = 0;
        param.Display = 0;
        param.TestInitialization = false;
        param.TestIter[0] = 1; // one batch of 100 is the whole synthetic test set
        using var solver = new SgdSolver<float>(param);
        var data = (IdxDataLayer<float>)solver.Net.Layers[0];
        var testData = (IdxDataLayer<float>)solver.TestNets.Single().Layers[0];

        solver.Step(60);
        var result = solver.TestAll().Single();

        Assert.That((data.BatchSize, data.ItemCount, data.Seed.HasValue), Is.EqualTo((64, 200, true)), "TRAIN: batch 64, shuffled");
        Assert.That((testData.BatchSize, testData.ItemCount, testData.Seed.HasValue), Is.EqualTo((100, 100, false)), "TEST: batch 100, in order");
        Assert.That(data.ImagesPath!.FullPath, Is.EqualTo(Path.Combine(folder, "train-images-idx3-ubyte.gz")));
        Assert.That(solver.Net.BlobByName("data").Shape, Is.EqualTo(new[] { 64, 1, 28, 28 }));
        Assert.That(data.EpochProgress, Is.EqualTo(60 * 64 / 200.0).Within(1e-9), "the batch prefetched ahead is not counted");
        Assert.That(solver.Net.BlobByName("data").CpuData.ToArray().Max(), Is.EqualTo(255f / 256));
        Assert.That(result["accuracy"], Is.GreaterThanOrEqualTo(0.9));
    }

    // The example on the synthetic sets, a test pass every 4 iterations over a test set of 150 (batch 100, so each
    // pass starts where the last one stopped), nothing displayed or snapshotted on its own.
    private SolverParameter ResumableRun()
    {
        WriteSet("t10k", 150);
        var param = ExampleSolver();
        param.SnapshotPrefix = "";
        param.Snapshot = 0;
        param.Display = 0;
        param.TestInterval = 4;
        param.TestIter[0] = 1;
        param.TestInitialization = false;
        return param;
    }

    private static List<float[]> Weights(SgdSolver<float> solver) => [.. solver.Net.LearnableParams.Select(p => p.GetData())];

    [Test]
    public void Resume_FromASnapshot_ReadsTheDataTheUninterruptedRunRead()
    {
        var param = ResumableRun();
        string state = Path.Combine(folder, "run.solverstate");
        List<float[]> expected;
        SolverTestResult expectedTest;
        using (var whole = new SgdSolver<float>(param))
        {
            whole.Step(5); // 320 training items: epoch 1, position 120; one test pass: test position 100
            whole.Snapshot(state);
            whole.Step(6);
            expected = Weights(whole);
            expectedTest = whole.LastTestResults.Single();
        }

        using var resumed = new SgdSolver<float>(param);
        resumed.Restore(state);
        var data = (IdxDataLayer<float>)resumed.Net.Layers[0];
        var testData = (IdxDataLayer<float>)resumed.TestNets.Single().Layers[0];
        Assert.That((data.Epoch, data.Position), Is.EqualTo((1, 120)), "training data");
        Assert.That((testData.Epoch, testData.Position), Is.EqualTo((0, 100)), "test data");
        resumed.Step(6);

        // Bitwise: the same batches in the same order give the same bits.
        var actual = Weights(resumed);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i], Is.EqualTo(expected[i]), $"learnable param {i}");
        }

        var test = resumed.LastTestResults.Single();
        Assert.That(test.Iteration, Is.EqualTo(8));
        Assert.That(test.Scores.Select(score => (score.BlobName, score.Value)), Is.EqualTo(expectedTest.Scores.Select(score => (score.BlobName, score.Value))),
            "the test pass at iteration 8 read the same items (its loss and accuracy)");
    }

    [Test]
    public void Restore_RefusesDataOfAnotherSize_AndChangesNothing()
    {
        var param = ResumableRun();
        string state = Path.Combine(folder, "run.solverstate");
        using (var source = new SgdSolver<float>(param))
        {
            source.Step(2);
            source.Snapshot(state);
        }

        WriteSet("train", 210);
        using var solver = new SgdSolver<float>(param);
        var before = Weights(solver);
        var data = (IdxDataLayer<float>)solver.Net.Layers[0];

        Assert.That(() => solver.Restore(state), Throws.InstanceOf<InvalidDataException>().With.Message.Contains(
            "data layer 'data' of the training net read 200 items when the snapshot was taken; it reads 210 now"));
        Assert.That(solver.Iter, Is.Zero);
        Assert.That(Weights(solver), Is.EqualTo(before));
        Assert.That((data.Epoch, data.Position), Is.EqualTo((0, 0)));
    }

    [Test]
    public void Restore_OfAVersion2Snapshot_StartsTheDataAgain_AndSaysSo()
    {
        var param = ResumableRun();
        string state = Path.Combine(folder, "run.solverstate");
        using (var source = new SgdSolver<float>(param))
        {
            source.Step(3);
            source.Snapshot(state);
        }

        // Version 2 is version 3 without its last section, DATA.
        byte[] bytes = File.ReadAllBytes(state);
        int data = bytes.AsSpan(28).LastIndexOf("DATA"u8) + 28;
        byte[] old = bytes[..data];
        BinaryPrimitives.WriteUInt32LittleEndian(old.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt64LittleEndian(old.AsSpan(16), (ulong)(old.Length - 28));
        BinaryPrimitives.WriteUInt32LittleEndian(old.AsSpan(24), Crc32.Compute(old.AsSpan(28)));
        File.WriteAllBytes(state, old);

        var logger = new ListLogger();
        using var solver = new SgdSolver<float>(param, logger);
        solver.Restore(state);

        Assert.That(solver.Iter, Is.EqualTo(3));
        Assert.That(logger.Lines, Has.Some.Contains("a version-2 snapshot holds no data position; the data layers start again from the beginning"));
        var layer = (IdxDataLayer<float>)solver.Net.Layers[0];
        Assert.That((layer.Epoch, layer.Position), Is.EqualTo((0, 0)));
    }

    [Test]
    public void RandomSeed_FixesTheShuffling()
    {
        var param = ExampleSolver();
        using var a = new SgdSolver<float>(param);
        using var b = new SgdSolver<float>(param);
        param.RandomSeed = 7;
        using var c = new SgdSolver<float>(param);

        ulong? Seed(SgdSolver<float> s) => ((IdxDataLayer<float>)s.Net.Layers[0]).Seed;

        Assert.That(Seed(b), Is.EqualTo(Seed(a)));
        Assert.That(Seed(c), Is.Not.EqualTo(Seed(a)));
    }
}
