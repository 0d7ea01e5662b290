using Crema.IO;

namespace Crema.Tests.IO;

/// <summary>
/// <see cref="Idx"/> and <see cref="IdxArray"/> on files written byte by byte into a temp folder: every element type,
/// raw and gzip (told apart by content), copying ranges of items with a scale, and every refusal naming the file.
/// </summary>
public class IdxTests
{
    private static readonly Dictionary<IdxElementType, double[]> Samples = new()
    {
        // Per type: extremes, and values whose bytes differ so a byte-order mistake shows.
        [IdxElementType.UByte] = [0, 1, 2, 127, 128, 200, 254, 255, 3, 4, 5, 6],
        [IdxElementType.SByte] = [-128, -127, -1, 0, 1, 2, 126, 127, -5, 5, -64, 64],
        [IdxElementType.Int16] = [short.MinValue, -258, -1, 0, 1, 258, 0x0102, 0x7F00, short.MaxValue, 7, -7, 1000],
        [IdxElementType.Int32] = [int.MinValue, -16909060, -1, 0, 1, 0x01020304, int.MaxValue, 65536, -65536, 9, 10, 11],
        [IdxElementType.Float32] = [-1.5, 0, 3.25, float.MaxValue, float.Epsilon, -1e-20, 1e20, 0.1f, float.MinValue, 7.5, -0.0, 2],
        [IdxElementType.Float64] = [-1.5, 0, 3.25, double.MaxValue, double.Epsilon, -1e-200, 1e200, 0.1, double.MinValue, 7.5, 1.0 / 3, 2],
    };

    private string folder = "";

    [SetUp]
    public void MakeFolder() => folder = IdxBytes.NewTempFolder();

    [TearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    [Test]
    public void Read_EveryElementType_RawAndGzip(
        [Values] IdxElementType type,
        [Values] bool gzip)
    {
        double[] values = Samples[type];
        string path = IdxBytes.Write(folder, "a.idx", IdxBytes.File(type, [3, 2, 2], values), gzip);

        var array = Idx.Read(path);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(array.ElementType, Is.EqualTo(type));
            Assert.That(array.Shape, Is.EqualTo(new[] { 3, 2, 2 }));
            Assert.That((array.ItemCount, array.ItemSize, array.Count), Is.EqualTo((3, 4, 12L)));
            Assert.That(array.ItemShape, Is.EqualTo(new[] { 2, 2 }));
            Assert.That(array.ShapeText, Is.EqualTo("(3, 2, 2)"));
            Assert.That(array.SourceName, Is.EqualTo(path));
            var expected = type == IdxElementType.Float32 ? values.Select(v => (double)(float)v).ToArray() : values;
            Assert.That(Enumerable.Range(0, 12).Select(i => array[i]), Is.EqualTo(expected));
        }
    }

    [Test]
    public void CopyItems_ConvertsAndScales_ToFloatAndDouble([Values] IdxElementType type)
    {
        double[] values = Samples[type];
        var array = Idx.Read(IdxBytes.Write(folder, "a.idx", IdxBytes.File(type, [6, 2], values)));
        var asFloat = new float[5];
        var asDouble = new double[5];

        array.CopyItems(1, 2, asFloat, 0.5f);
        array.CopyItems(3, 2, asDouble, 2.0);

        Assert.That(asFloat[..4], Is.EqualTo(values[2..6].Select(v => (float)v * 0.5f)));
        Assert.That(asFloat[4], Is.Zero, "only the range is written");
        Assert.That(asDouble[..4], Is.EqualTo(values[6..10].Select(v => (type == IdxElementType.Float32 ? (float)v : v) * 2.0)));
    }

    [Test]
    public void CopyElements_SubtractsThenScales()
    {
        var array = Idx.Read(IdxBytes.Write(folder, "a.idx", IdxBytes.UByteFile([2, 3], [10, 20, 30, 40, 50, 60])));
        var destination = new float[3];

        array.CopyElements(2, destination, 0.5f, 10f);

        Assert.That(destination, Is.EqualTo(new[] { 10f, 15f, 20f }));
    }

    [Test]
    public void CopyItems_OutsideTheItemsOrTooSmall_Throws()
    {
        var array = Idx.Read(IdxBytes.Write(folder, "a.idx", IdxBytes.UByteFile([3, 2], [1, 2, 3, 4, 5, 6])));

        Assert.Throws<ArgumentOutOfRangeException>(() => array.CopyItems(2, 2, new float[4], 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.CopyItems(-1, 1, new float[2], 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.CopyElements(5, new float[2], 1f, 0f));
        var e = Assert.Throws<ArgumentException>(() => array.CopyItems(0, 2, new float[3], 1f));
        Assert.That(e!.Message, Does.Contain("4 values"));
    }

    [Test]
    public void UByte_StaysBytes()
    {
        var array = Idx.Read(IdxBytes.Write(folder, "a.idx", IdxBytes.UByteFile([4], [9, 0, 255, 3])));

        Assert.That(array.Values<byte>().ToArray(), Is.EqualTo(new byte[] { 9, 0, 255, 3 }));
        Assert.That((array.ItemCount, array.ItemSize, array.ItemShape.Count, array.ShapeText), Is.EqualTo((4, 1, 0, "(4,)")));
        var e = Assert.Throws<InvalidOperationException>(() => array.Values<float>().ToArray());
        Assert.That(e!.Message, Does.Contain("ubyte"));
    }

    [Test]
    public void SByte_StaysSigned()
    {
        var array = Idx.Read(IdxBytes.Write(folder, "a.idx", IdxBytes.File(IdxElementType.SByte, [3], [-128, -1, 5])));
        var copied = new float[3];
        array.CopyItems(0, 3, copied, 1f);

        Assert.That(array.Values<sbyte>().ToArray(), Is.EqualTo(new sbyte[] { -128, -1, 5 }));
        Assert.That(copied, Is.EqualTo(new[] { -128f, -1f, 5f }));
        Assert.Throws<InvalidOperationException>(() => array.Values<byte>().ToArray());
    }

    [Test]
    public void Gzip_IsToldByContent_NotByName()
    {
        byte[] file = IdxBytes.UByteFile([2], [7, 8]);
        string rawNamedGz = IdxBytes.Write(folder, "raw.gz", file);
        string gzNamedRaw = IdxBytes.Write(folder, "packed-idx1-ubyte", file, gzip: true);

        Assert.That(Idx.Read(rawNamedGz).Values<byte>().ToArray(), Is.EqualTo(new byte[] { 7, 8 }));
        Assert.That(Idx.Read(gzNamedRaw).Values<byte>().ToArray(), Is.EqualTo(new byte[] { 7, 8 }));
    }

    [Test]
    public void ZeroItems_AreAnEmptyArray([Values] bool gzip)
    {
        var array = Idx.Read(IdxBytes.Write(folder, "a.idx", IdxBytes.File(IdxElementType.Float32, [0, 5], []), gzip));

        Assert.That((array.ItemCount, array.ItemSize, array.Count), Is.EqualTo((0, 5, 0L)));
    }

    [Test]
    public void Stream_ThatCannotSeek_IsRead([Values] bool gzip)
    {
        byte[] file = IdxBytes.File(IdxElementType.Int16, [2, 1], [-2, 300]);
        using var stream = new ForwardOnlyStream(gzip ? IdxBytes.Gzip(file) : file);

        var array = Idx.Read(stream, "piped");

        Assert.That(Enumerable.Range(0, 2).Select(i => array[i]), Is.EqualTo(new double[] { -2, 300 }));
    }

    private static IEnumerable<TestCaseData> Malformed()
    {
        static TestCaseData Case(string name, byte[] content, params string[] mentions) =>
            new TestCaseData(content, mentions).SetArgDisplayNames(name);

        byte[] header = IdxBytes.Header(0x08, 3, 4);
        yield return Case("empty", [], "empty");
        yield return Case("short magic", [0, 0], "ends inside the 4-byte magic", "2 bytes");
        yield return Case("bad magic", [1, 0, 8, 1, 0, 0, 0, 1, 5], "not an IDX file", "01000801");
        yield return Case("npy file", [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'], "not an IDX file");
        yield return Case("unknown type", [0, 0, 0x0A, 1, 0, 0, 0, 1, 5], "unknown element type 0x0A", "0x08 ubyte");
        yield return Case("zero dims", [0, 0, 8, 0], "0 dimensions");
        yield return Case("short dims", [.. IdxBytes.Header(0x08, 3, 4)[..9]], "declares 2 dimension(s)", "8 bytes", "after 5");
        yield return Case("short data", [.. header, .. new byte[11]], "truncated", "needs 12 data bytes", "has 11", "(3, 4) of ubyte");
        yield return Case("short float data", [.. IdxBytes.Header(0x0D, 2), .. new byte[7]], "needs 8 data bytes", "has 7", "float32");
        yield return Case("trailing bytes", [.. header, .. new byte[15]], "3 bytes after the data", "needs 12 data bytes");
        yield return Case("dim above int", [.. IdxBytes.Header(0x08, 0x8000_0000u)], "dims overflow", "2147483648");
        yield return Case("too many values", [.. IdxBytes.Header(0x08, 65536, 65536)], "dims overflow", "4294967296 values");
        yield return Case("too many bytes", [.. IdxBytes.Header(0x0E, 1 << 28)], "dims overflow", "float64");
        yield return Case("item too large", [.. IdxBytes.Header(0x08, 0, 65536, 65536)], "dims overflow", "per item");
    }

    [TestCaseSource(nameof(Malformed))]
    public void Malformed_IsRefused_NamingTheFileAndTheProblem(byte[] content, string[] mentions)
    {
        foreach (bool gzip in new[] { false, true })
        {
            string path = IdxBytes.Write(folder, gzip ? "bad.gz" : "bad", content, gzip);

            var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path), gzip ? "gzip" : "raw");

            Assert.That(e!.Message, Does.StartWith(path + ": "));
            foreach (string mention in mentions)
            {
                string expected = gzip ? mention.Replace("the file", "the decompressed data", StringComparison.Ordinal) : mention;
                Assert.That(e.Message, Does.Contain(gzip && mention == "empty" ? "decompresses to nothing" : expected), gzip ? "gzip" : "raw");
            }
        }
    }

    [Test]
    public void Truncated_Says_ExpectedAndActualBytes_AfterTheHeader()
    {
        string path = IdxBytes.Write(folder, "short", [.. IdxBytes.Header(0x08, 10, 10), .. new byte[60]]);

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.That(e!.Message, Is.EqualTo($"{path}: truncated: shape (10, 10) of ubyte needs 100 data bytes, the file has 60 after the 12-byte header"));
    }

    [Test]
    public void CorruptedGzip_IsRefused_NamingTheFile()
    {
        var data = Enumerable.Range(0, 4000).Select(i => (byte)(i * 7)).ToArray();
        byte[] gz = IdxBytes.Gzip(IdxBytes.UByteFile([4000], data));
        byte[] corrupted = (byte[])gz.Clone();
        for (int i = 20; i < corrupted.Length - 20; i += 3)
        {
            corrupted[i] ^= 0x5A;
        }

        string badPath = Path.Combine(folder, "corrupted.gz");
        File.WriteAllBytes(badPath, corrupted);
        string garbagePath = Path.Combine(folder, "garbage.gz");
        File.WriteAllBytes(garbagePath, [0x1f, 0x8b, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8]);

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(badPath));
        var garbage = Assert.Throws<InvalidDataException>(() => Idx.Read(garbagePath));

        Assert.That(e!.Message, Does.StartWith(badPath + ": ").And.Contain("corrupted gzip"));
        Assert.That(garbage!.Message, Does.StartWith(garbagePath + ": ").And.Contain("corrupted gzip"));
    }

    [Test]
    public void CutGzip_IsRefused_NamingTheFile()
    {
        var data = Enumerable.Range(0, 4000).Select(i => (byte)((i * i) >> 3)).ToArray();
        byte[] gz = IdxBytes.Gzip(IdxBytes.UByteFile([4000], data));
        string path = Path.Combine(folder, "cut.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        // Either the decompressor notices the missing end, or the data comes out short: both name the file.
        Assert.That(e!.Message, Does.StartWith(path + ": "));
        Assert.That(e.Message, Does.Contain("corrupted gzip").Or.Contain("truncated"));
    }

    [Test]
    public void MissingFile_SaysHowToGetTheData()
    {
        string path = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        string inMissingFolder = Path.Combine(folder, "nowhere", "t10k-labels-idx1-ubyte.gz");

        var e = Assert.Throws<FileNotFoundException>(() => Idx.Read(path));
        var f = Assert.Throws<FileNotFoundException>(() => Idx.Read(inMissingFolder));

        Assert.That(e!.Message, Does.StartWith($"{path} not found."));
        Assert.That(e.Message, Does.Contain("sudo apt install dataset-fashion-mnist").And.Contain("--data / CREMA_DATA / idx_data_param.root"));
        Assert.That(e.FileName, Is.EqualTo(path));
        Assert.That(f!.Message, Does.StartWith($"{inMissingFolder} not found."));
    }

    /// <summary>A read-only stream that cannot seek, like a pipe.</summary>
    private sealed class ForwardOnlyStream(byte[] content) : Stream
    {
        private readonly MemoryStream inner = new(content);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 3));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
