using Crema.Core;
using Crema.Fillers;
using Crema.IO.Caffe;
using Crema.Net;
using Crema.Parameters;
using Google.Protobuf;

namespace Crema.Tests.IO;

/// <summary>The binary .caffemodel reader and writer, and copying its blobs into a net.</summary>
public class CaffeModelTests
{
    internal const string Mlp = TestNets.Mlp;

    private string folder = null!;

    [SetUp]
    public void SetUp()
    {
        Engine.UseCpu();
        folder = Directory.CreateTempSubdirectory("crema-caffemodel-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    [Test]
    public void WriteThenRead_RoundTripsNamesTypesShapesAndData()
    {
        var model = new CaffeModel("net", [
            new CaffeLayer("ip", "InnerProduct", [
                new CaffeBlob([2, 3], [1f, -2.5f, 3f, float.MaxValue, float.Epsilon, -0f]),
                new CaffeBlob([2], [0.25f, 7f]),
            ]),
            new CaffeLayer("relu", "ReLU", []),
            new CaffeLayer("d", "Scale", [new CaffeBlob([1, 2], [Math.PI, -1e-300]), new CaffeBlob([], [5f])]),
        ]);
        string path = PathOf("m.caffemodel");
        model.Write(path);

        var read = CaffeModel.Read(path);

        Assert.That(read.Name, Is.EqualTo("net"));
        Assert.That(read.SourcePath, Is.EqualTo(path));
        Assert.That(read.Layers.Select(l => (l.Name, l.Type, l.IsLegacy)),
            Is.EqualTo(new[] { ("ip", "InnerProduct", false), ("relu", "ReLU", false), ("d", "Scale", false) }));
        for (int l = 0; l < model.Layers.Count; l++)
        {
            Assert.That(read.Layers[l].Blobs, Has.Count.EqualTo(model.Layers[l].Blobs.Count));
            for (int b = 0; b < model.Layers[l].Blobs.Count; b++)
            {
                var expected = model.Layers[l].Blobs[b];
                var actual = read.Layers[l].Blobs[b];
                Assert.That(actual.Shape, Is.EqualTo(expected.Shape));
                Assert.That(actual.IsLegacyShape, Is.False);
                Assert.That(actual.Data, Is.EqualTo(expected.Data));
                Assert.That(actual.DoubleData, Is.EqualTo(expected.DoubleData));
            }
        }

        Assert.That(read.ToBytes(), Is.EqualTo(model.ToBytes()), "writing what was read gives the same bytes");
        Assert.That(Directory.GetFiles(folder), Is.EqualTo(new[] { path }), "no temporary file left");
    }

    [Test]
    public void HandBuiltBytes_PackedAndUnpackedFloats_LegacyV1Layer_AndUnknownFieldsSkipped()
    {
        // NetParameter { name: "hand"  input: "x" (field 3, skipped)
        //   layer { name: "fc" type: "InnerProduct" bottom: "x" (3, skipped)
        //           blobs { shape { dim: 2 dim: 2 } data: packed [1, 2] data: 3 data: 4 (unpacked) diff: [9] }
        //           blobs { shape { dim: 1 (unpacked varint) } double_data: 0.5 (unpacked) } }
        //   layers { name: "old" type: 14 (V1 INNER_PRODUCT) blobs { num: 1 channels: 1 height: 2 width: 3 data: [..6] } } }
        var net = new Writer();
        net.String(1, "hand");
        net.String(3, "x");

        var shape = new Writer();
        shape.Bytes(1, Writer.PackedVarints(2, 2));
        var blob0 = new Writer();
        blob0.Bytes(7, shape.ToArray());
        blob0.Bytes(5, Writer.PackedFloats(1, 2));
        blob0.Fixed32Float(5, 3);
        blob0.Fixed32Float(5, 4);
        blob0.Bytes(6, Writer.PackedFloats(9));
        var shape1 = new Writer();
        shape1.Varint(1, 1);
        var blob1 = new Writer();
        blob1.Bytes(7, shape1.ToArray());
        blob1.Fixed64Double(8, 0.5);
        var layer = new Writer();
        layer.String(1, "fc");
        layer.String(2, "InnerProduct");
        layer.String(3, "x");
        layer.Bytes(7, blob0.ToArray());
        layer.Bytes(7, blob1.ToArray());
        net.Bytes(100, layer.ToArray());

        var legacyBlob = new Writer();
        legacyBlob.Varint(1, 1);
        legacyBlob.Varint(2, 1);
        legacyBlob.Varint(3, 2);
        legacyBlob.Varint(4, 3);
        legacyBlob.Bytes(5, Writer.PackedFloats(1, 2, 3, 4, 5, 6));
        var v1 = new Writer();
        v1.String(4, "old");
        v1.Varint(5, 14);
        v1.Bytes(6, legacyBlob.ToArray());
        net.Bytes(2, v1.ToArray());

        var model = CaffeModel.Parse(net.ToArray(), "hand.caffemodel");

        Assert.That(model.Name, Is.EqualTo("hand"));
        Assert.That(model.Layers, Has.Count.EqualTo(2));
        var fc = model.Layers[0];
        Assert.That((fc.Name, fc.Type, fc.IsLegacy), Is.EqualTo(("fc", "InnerProduct", false)));
        Assert.That(fc.Blobs[0].Shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(fc.Blobs[0].Data, Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
        Assert.That(fc.Blobs[1].Shape, Is.EqualTo(new long[] { 1 }));
        Assert.That(fc.Blobs[1].DoubleData, Is.EqualTo(new[] { 0.5 }));
        var old = model.Layers[1];
        Assert.That((old.Name, old.Type, old.IsLegacy), Is.EqualTo(("old", "14", true)));
        Assert.That(old.Blobs[0].IsLegacyShape, Is.True);
        Assert.That(old.Blobs[0].Shape, Is.EqualTo(new long[] { 1, 1, 2, 3 }));
        Assert.That(old.Blobs[0].Data, Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void CopyFrom_IntoTheMlp_GivesTheSavedParamsAndLoss(bool asFloat)
    {
        if (asFloat)
        {
            CopyFromRoundTrip<float>();
        }
        else
        {
            CopyFromRoundTrip<double>();
        }
    }

    private void CopyFromRoundTrip<T>()
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        string path = PathOf("mlp.caffemodel");
        SeededRandom.SetGlobalSeed(11);
        using var trained = new Net<T>(NetParameter.Parse(Mlp), Phase.Train);
        NetWeights.ToModel(trained).Write(path);

        SeededRandom.SetGlobalSeed(11);
        using var same = new Net<T>(NetParameter.Parse(Mlp), Phase.Train);
        T expectedLoss = same.Forward();

        SeededRandom.SetGlobalSeed(99);
        using var net = new Net<T>(NetParameter.Parse(Mlp), Phase.Train);
        Assert.That(net.LearnableParams[0].GetData(), Is.Not.EqualTo(trained.LearnableParams[0].GetData()));
        int copied = NetWeights.CopyFrom(net, path);

        Assert.That(copied, Is.EqualTo(net.Layers.Count));
        for (int i = 0; i < net.LearnableParams.Count; i++)
        {
            Assert.That(net.LearnableParams[i].GetData(), Is.EqualTo(trained.LearnableParams[i].GetData()), $"param {i}");
        }

        // DummyData's gaussian data differs between seeds; copy the trained data blob too and the losses agree.
        net.BlobByName("data").CopyFrom(same.BlobByName("data"));
        net.ForwardFrom(1);
        Assert.That(net.BlobByName("loss").GetData()[0], Is.EqualTo(expectedLoss));
    }

    [Test]
    public void CopyFrom_LegacyInnerProductShapes_AndLayersNotInTheNet_AreAccepted()
    {
        using var net = new Net<double>(NetParameter.Parse(Mlp), Phase.Train);
        float[] weights = [.. Enumerable.Range(0, 30).Select(i => i * 0.5f)];
        float[] bias = [1, 2, 3, 4, 5];
        var model = new CaffeModel("old", [
            new CaffeLayer("ip1", "14", [
                new CaffeBlob([1, 1, 5, 6], weights, null, legacy: true),
                new CaffeBlob([1, 1, 1, 5], bias, null, legacy: true),
            ], IsLegacy: true),
            new CaffeLayer("conv0", "Convolution", [new CaffeBlob([2, 2], [1f, 2f, 3f, 4f])]),
        ]);

        Assert.That(NetWeights.CopyFrom(net, model), Is.EqualTo(1));

        var ip1 = net.LayerByName("ip1");
        Assert.That(ip1.Blobs[0].GetData(), Is.EqualTo(weights.Select(w => (double)w)));
        Assert.That(ip1.Blobs[1].GetData(), Is.EqualTo(bias.Select(w => (double)w)));
    }

    [Test]
    public void CopyFrom_ShapeMismatch_NamesTheLayerTheBlobAndBothShapes_AndChangesNothing()
    {
        using var net = new Net<float>(NetParameter.Parse(Mlp), Phase.Train);
        var before = net.LayerByName("ip1").Blobs[0].GetData();
        var model = new CaffeModel("m", [
            new CaffeLayer("ip1", "InnerProduct", [
                new CaffeBlob([5, 6], new float[30]),
                new CaffeBlob([4], new float[4]),
            ]),
        ], sourcePath: "w.caffemodel");

        var e = Assert.Throws<InvalidDataException>(() => NetWeights.CopyFrom(net, model))!;

        Assert.That(e.Message, Does.StartWith("w.caffemodel: "));
        Assert.That(e.Message, Does.Contain("'ip1'").And.Contain("blob 1").And.Contain("(4,)").And.Contain("(5,)"));
        Assert.That(net.LayerByName("ip1").Blobs[0].GetData(), Is.EqualTo(before), "checked before copying");

        var legacy = new CaffeModel("m", [
            new CaffeLayer("ip2", "14", [new CaffeBlob([1, 3, 5, 1], new float[15], null, legacy: true), new CaffeBlob([3], new float[3])]),
        ]);
        var e2 = Assert.Throws<InvalidDataException>(() => NetWeights.CopyFrom(net, legacy))!;
        Assert.That(e2.Message, Does.Contain("'ip2' blob 0").And.Contain("(1, 3, 5, 1) (legacy)").And.Contain("(3, 5)"));

        var count = new CaffeModel("m", [new CaffeLayer("ip2", "InnerProduct", [new CaffeBlob([3, 5], new float[15])])]);
        var e3 = Assert.Throws<InvalidDataException>(() => NetWeights.CopyFrom(net, count))!;
        Assert.That(e3.Message, Does.Contain("'ip2' has 1 blobs in the file, 2 in the net"));
    }

    [Test]
    public void Read_TruncatedAtEveryLength_RefusesWithTheFileName_OrReadsAWholeLayerPrefix()
    {
        var model = new CaffeModel("net", [
            new CaffeLayer("a", "InnerProduct", [new CaffeBlob([2, 3], [1f, 2f, 3f, 4f, 5f, 6f]), new CaffeBlob([2], [1f, 2f])]),
            new CaffeLayer("b", "InnerProduct", [new CaffeBlob([1, 2], [7.0, 8.0])]),
        ]);
        byte[] bytes = model.ToBytes();
        string path = PathOf("cut.caffemodel");
        int refused = 0;
        for (int length = 1; length < bytes.Length; length++)
        {
            File.WriteAllBytes(path, bytes[..length]);
            try
            {
                var read = CaffeModel.Read(path);
                Assert.That(read.Layers.Count, Is.LessThan(2), $"length {length}");
            }
            catch (InvalidDataException e)
            {
                Assert.That(e.Message, Does.StartWith(path + ": "), $"length {length}");
                Assert.That(e.Message, Does.Not.Contain('\n'));
                refused++;
            }
        }

        Assert.That(refused, Is.GreaterThan(bytes.Length - 5), "all but the cuts between top-level fields are refused");
        File.WriteAllBytes(path, bytes[..^1]);
        Assert.Throws<InvalidDataException>(() => CaffeModel.Read(path));
    }

    [Test]
    public void Read_Garbage_OrACountThatDisagreesWithTheShape_IsInvalidData()
    {
        string path = PathOf("bad.caffemodel");
        File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        var e = Assert.Throws<InvalidDataException>(() => CaffeModel.Read(path))!;
        Assert.That(e.Message, Does.StartWith(path + ": "));

        var shape = new Writer();
        shape.Bytes(1, Writer.PackedVarints(2, 2));
        var blob = new Writer();
        blob.Bytes(7, shape.ToArray());
        blob.Bytes(5, Writer.PackedFloats(1, 2, 3));
        var layer = new Writer();
        layer.String(1, "fc");
        layer.Bytes(7, blob.ToArray());
        var net = new Writer();
        net.Bytes(100, layer.ToArray());
        var e2 = Assert.Throws<InvalidDataException>(() => CaffeModel.Parse(net.ToArray(), "x.caffemodel"))!;
        Assert.That(e2.Message, Is.EqualTo("x.caffemodel: layer 0 'fc' blob 0: shape (2, 2) counts 4 elements, the file holds 3"));

        var odd = new Writer();
        odd.Bytes(5, [1, 2, 3]);
        var layer2 = new Writer();
        layer2.Bytes(7, odd.ToArray());
        var net2 = new Writer();
        net2.Bytes(100, layer2.ToArray());
        Assert.Throws<InvalidDataException>(() => CaffeModel.Parse(net2.ToArray(), "y.caffemodel"));
    }

    /// <summary>Raw protobuf fields, for hand-built bytes.</summary>
    internal sealed class Writer
    {
        private readonly MemoryStream memory = new();
        private readonly CodedOutputStream output;

        internal Writer() => output = new CodedOutputStream(memory, leaveOpen: true);

        internal void String(int field, string value)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteString(value);
        }

        internal void Bytes(int field, byte[] value)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(value));
        }

        internal void Varint(int field, long value)
        {
            output.WriteTag(field, WireFormat.WireType.Varint);
            output.WriteInt64(value);
        }

        internal void Fixed32Float(int field, float value)
        {
            output.WriteTag(field, WireFormat.WireType.Fixed32);
            output.WriteFloat(value);
        }

        internal void Fixed64Double(int field, double value)
        {
            output.WriteTag(field, WireFormat.WireType.Fixed64);
            output.WriteDouble(value);
        }

        internal byte[] ToArray()
        {
            output.Flush();
            return memory.ToArray();
        }

        internal static byte[] PackedVarints(params long[] values)
        {
            var writer = new Writer();
            foreach (long v in values)
            {
                writer.output.WriteInt64(v);
            }

            return writer.ToArray();
        }

        internal static byte[] PackedFloats(params float[] values)
        {
            var writer = new Writer();
            foreach (float v in values)
            {
                writer.output.WriteFloat(v);
            }

            return writer.ToArray();
        }
    }
}
