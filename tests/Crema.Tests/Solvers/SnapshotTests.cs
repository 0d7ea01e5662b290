using System.Buffers.Binary;
using Crema.Fillers;
using Crema.Net;
using Crema.Parameters;
using Crema.Solvers;

namespace Crema.Tests.Solvers;

/// <summary>
/// <see cref="SgdSolver{T}.Snapshot"/> and <see cref="SgdSolver{T}.Restore"/>: a restored solver continues bitwise
/// identically; truncated, corrupted and mismatched files are refused without touching the net; writes are atomic.
/// </summary>
public class SnapshotTests
{
    // An MLP on fixed inputs (Input layer, fed once), Euclidean loss: every step sees the same batch.
    private const string MlpNet = """
        name: "mlp"
        layer { name: "in" type: "Input" top: "data" top: "target"
                input_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 2 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: HIDDEN weight_filler { type: "gaussian" std: 0.5 }
                                      bias_filler { type: "uniform" min: -0.1 max: 0.1 } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                param { lr_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
                inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "target" top: "loss" }
        """;

    private static readonly double[] Data = [1, -2, 0.5, 0.25, 3, -1, -0.5, 1, 2, 1.5, -0.75, 0.25];
    private static readonly double[] Target = [0.5, -1, 2, 0, 1, 1, -0.5, 0.25];

    private string folder = null!;

    [SetUp]
    public void SetUp()
    {
        Engine.UseCpu();
        folder = Directory.CreateTempSubdirectory("crema-snapshot-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(folder, recursive: true);

    private static SolverParameter Parameters() => new()
    {
        BaseLr = 0.05f,
        LrPolicy = "step",
        Gamma = 0.5f,
        Stepsize = 3,
        Momentum = 0.9f,
        WeightDecay = 0.01f,
        AverageLoss = 3,
    };

    private static SgdSolver<TElement> CreateSolver<TElement>(ulong seed, int hidden = 5, SolverParameter? param = null)
        where TElement : unmanaged, System.Numerics.IFloatingPointIeee754<TElement>
    {
        SeededRandom.SetGlobalSeed(seed);
        string text = MlpNet.Replace("HIDDEN", hidden.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var net = new Net<TElement>(NetParameter.Parse(text), Phase.Train);
        net.BlobByName("data").SetData([.. Data.Select(TElement.CreateChecked)]);
        net.BlobByName("target").SetData([.. Target.Select(TElement.CreateChecked)]);
        return new SgdSolver<TElement>(param ?? Parameters(), net);
    }

    private static List<double[]> ParamData(SgdSolver<double> solver) => [.. solver.Net.LearnableParams.Select(p => p.GetData())];

    private string PathOf(string name) => Path.Combine(folder, name);

    [Test]
    public void RestoredSolver_ContinuesBitwiseIdentically()
    {
        using var original = CreateSolver<double>(seed: 1);
        original.Step(4);
        string file = PathOf("k4.snap");
        original.Snapshot(file);
        original.Step(3);

        // Other initial weights and a plain fixed rate: everything that matters must come from the file.
        var other = new SolverParameter { BaseLr = 1, Momentum = 0.9f, WeightDecay = 0.01f, AverageLoss = 3 };
        using var restored = CreateSolver<double>(seed: 99, param: other);
        restored.Restore(file);
        Assert.That(restored.Iter, Is.EqualTo(4));
        restored.Step(3);

        Assert.That(restored.Iter, Is.EqualTo(original.Iter));
        Assert.That(restored.LearningRate, Is.EqualTo(original.LearningRate));
        Assert.That(restored.SmoothedLoss, Is.EqualTo(original.SmoothedLoss));
        var expected = ParamData(original);
        var actual = ParamData(restored);
        for (int i = 0; i < expected.Count; i++)
        {
            // Bitwise: compare the bit patterns, not within a tolerance.
            Assert.That(
                actual[i].Select(BitConverter.DoubleToInt64Bits),
                Is.EqualTo(expected[i].Select(BitConverter.DoubleToInt64Bits)),
                $"param {i}");
            Assert.That(restored.History[i].GetData(), Is.EqualTo(original.History[i].GetData()), $"history {i}");
        }
    }

    [Test]
    public void SharedParams_AreStoredOnceUnderTheirOwner_AndRoundTrip()
    {
        // ip2 (no bias) shares ip1's weights (param name "w"): two learnable params, both ip1's.
        const string Shared = """
            name: "shared"
            layer { name: "in" type: "Input" top: "data" top: "target"
                    input_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 3 } } }
            layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" param { name: "w" }
                    inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
            layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" param { name: "w" }
                    inner_product_param { num_output: 3 bias_term: false weight_filler { type: "gaussian" std: 0.5 } } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "target" top: "loss" }
            """;
        SgdSolver<double> Create(ulong seed)
        {
            SeededRandom.SetGlobalSeed(seed);
            var net = new Net<double>(NetParameter.Parse(Shared), Phase.Train);
            net.BlobByName("data").SetData(Data);
            net.BlobByName("target").SetData([.. Data.Select(v => v / 2)]);
            return new SgdSolver<double>(Parameters(), net);
        }

        using var original = Create(seed: 1);
        Assert.That(original.Net.LearnableParams, Has.Count.EqualTo(2));
        original.Step(2);
        string file = PathOf("shared.snap");
        original.Snapshot(file);
        original.Step(2);
        using var restored = Create(seed: 2);
        restored.Restore(file);
        restored.Step(2);

        Assert.That(ParamData(restored), Is.EqualTo(ParamData(original)));
        Assert.That(System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(file)), Does.Not.Contain("ip2"),
            "the shared weights are stored under their owner, ip1");
    }

    [Test]
    public void Float32_RoundTrips()
    {
        using var original = CreateSolver<float>(seed: 3);
        original.Step(2);
        string file = PathOf("f.snap");
        original.Snapshot(file);
        original.Step(2);
        using var restored = CreateSolver<float>(seed: 4);
        restored.Restore(file);
        restored.Step(2);
        for (int i = 0; i < original.Net.LearnableParams.Count; i++)
        {
            Assert.That(restored.Net.LearnableParams[i].GetData(), Is.EqualTo(original.Net.LearnableParams[i].GetData()));
        }
    }

    [Test]
    public void File_StartsWithMagic_AndCarriesVersionTypeAndLength()
    {
        using var solver = CreateSolver<double>(seed: 1);
        string file = PathOf("h.snap");
        solver.Snapshot(file);
        byte[] bytes = File.ReadAllBytes(file);
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 0, 8), Is.EqualTo("CREMASNP"));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), Is.EqualTo(3u), "version");
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)), Is.EqualTo(2u), "float64");
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)), Is.EqualTo((ulong)(bytes.Length - 28)));
        Assert.That(Directory.GetFiles(folder), Has.Length.EqualTo(1), "no temporary file is left");
    }

    [Test]
    public void Crc32_MatchesTheStandardCheckValue() =>
        Assert.That(Crc32.Compute("123456789"u8), Is.EqualTo(0xCBF43926u));

    private static IEnumerable<TestCaseData> Damages()
    {
        yield return new TestCaseData((Func<byte[], byte[]>)(b => b[..(b.Length - 5)]), "truncated: the header announces")
            .SetName("Truncated_InThePayload");
        yield return new TestCaseData((Func<byte[], byte[]>)(b => b[..20]), "truncated: 20 bytes")
            .SetName("Truncated_InTheHeader");
        yield return new TestCaseData((Func<byte[], byte[]>)(b => b[..0]), "not a Crema snapshot")
            .SetName("Empty");
        yield return new TestCaseData((Func<byte[], byte[]>)(b => Flip(b, b.Length / 2)), "checksum mismatch")
            .SetName("FlippedByte_InThePayload");
        yield return new TestCaseData((Func<byte[], byte[]>)(b => Flip(b, 2)), "does not start with CREMASNP")
            .SetName("FlippedByte_InTheMagic");
        yield return new TestCaseData((Func<byte[], byte[]>)(b => Flip(b, 8)), "version")
            .SetName("FlippedByte_InTheVersion");
        yield return new TestCaseData((Func<byte[], byte[]>)(b => [.. b, 0]), "bytes after the")
            .SetName("TrailingByte");
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        bytes[at] ^= 0x10;
        return bytes;
    }

    [TestCaseSource(nameof(Damages))]
    public void DamagedFile_IsRefused_AndChangesNothing(Func<byte[], byte[]> damage, string message)
    {
        string file = PathOf("d.snap");
        using (var source = CreateSolver<double>(seed: 1))
        {
            source.Step(2);
            source.Snapshot(file);
        }

        File.WriteAllBytes(file, damage(File.ReadAllBytes(file)));
        using var solver = CreateSolver<double>(seed: 5);
        AssertRefusedUnchanged(solver, file, message);
    }

    [Test]
    public void WrongElementType_IsRefused()
    {
        string file = PathOf("f32.snap");
        using (var source = CreateSolver<float>(seed: 1))
        {
            source.Snapshot(file);
        }

        using var solver = CreateSolver<double>(seed: 5);
        AssertRefusedUnchanged(solver, file, "element type mismatch: the snapshot holds float32, the solver is float64");
    }

    [Test]
    public void ShapeMismatch_IsRefused_NamingTheLayerAndShapes()
    {
        string file = PathOf("h5.snap");
        using (var source = CreateSolver<double>(seed: 1, hidden: 5))
        {
            source.Snapshot(file);
        }

        using var solver = CreateSolver<double>(seed: 5, hidden: 6);
        AssertRefusedUnchanged(solver, file, "shape mismatch for layer 'ip1' param 0: (5, 3) in the snapshot, (6, 3) in the net");
    }

    [Test]
    public void FailedWrite_LeavesNoFile_AndKeepsTheEarlierOne()
    {
        using var solver = CreateSolver<double>(seed: 1);

        // The target is a folder: the rename fails after the temporary file was written in full.
        string blocked = PathOf("blocked.snap");
        Directory.CreateDirectory(blocked);
        Assert.That(() => solver.Snapshot(blocked), Throws.InstanceOf<IOException>().Or.InstanceOf<UnauthorizedAccessException>());
        Assert.That(Directory.GetFiles(folder), Is.Empty, "no temporary or partial file is left");

        // A folder that does not exist: nothing is created.
        Assert.That(() => solver.Snapshot(PathOf("missing/x.snap")), Throws.InstanceOf<DirectoryNotFoundException>());

        // An earlier snapshot survives a failed overwrite attempt untouched; a good overwrite replaces it whole.
        string file = PathOf("keep.snap");
        solver.Snapshot(file);
        byte[] before = File.ReadAllBytes(file);
        solver.Step(1);
        solver.Snapshot(file);
        Assert.That(File.ReadAllBytes(file), Is.Not.EqualTo(before));
        Assert.That(Directory.GetFiles(folder), Has.Length.EqualTo(1));
    }

    private static void AssertRefusedUnchanged(SgdSolver<double> solver, string file, string message)
    {
        var data = ParamData(solver);
        var hist = solver.History.Select(h => h.GetData()).ToList();
        int iter = solver.Iter;
        double rate = solver.LearningRate;

        var e = Assert.Throws<InvalidDataException>(() => solver.Restore(file))!;
        Assert.That(e.Message, Does.StartWith(file + ": "));
        Assert.That(e.Message, Does.Contain(message));

        Assert.That(ParamData(solver), Is.EqualTo(data), "params unchanged");
        Assert.That(solver.History.Select(h => h.GetData()).ToList(), Is.EqualTo(hist), "history unchanged");
        Assert.That(solver.Iter, Is.EqualTo(iter));
        Assert.That(solver.LearningRate, Is.EqualTo(rate));
    }
}
