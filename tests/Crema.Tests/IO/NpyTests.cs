using System.Buffers.Binary;
using System.Text;
using Crema.Core;
using Crema.IO;

namespace Crema.Tests.IO;

public class NpyTests
{
    private static readonly int[][] Shapes = [[], [1], [7], [2, 3, 4, 5], [3, 0, 2]];

    private string folder = "";

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("crema-npy-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(folder, recursive: true);

    [TestCaseSource(nameof(Shapes))]
    public void Float32_WriteThenRead_GivesTheShapeAndTheSameBits(int[] shape)
    {
        var values = Values<float>(shape, seed: 1);
        string path = Path.Combine(folder, "a.npy");

        Npy.Write(path, shape, values);
        var back = Npy.Read<float>(path);

        Assert.That(back.Shape, Is.EqualTo(shape));
        Assert.That(back.StoredDType, Is.EqualTo(NpyDType.Float32));
        Assert.That(back.Values.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(values.Select(BitConverter.SingleToInt32Bits)));
    }

    [TestCaseSource(nameof(Shapes))]
    public void Float64_WriteThenRead_GivesTheShapeAndTheSameBits(int[] shape)
    {
        var values = Values<double>(shape, seed: 2);
        string path = Path.Combine(folder, "a.npy");

        Npy.Write(path, shape, values);
        var back = Npy.Read<double>(path);

        Assert.That(back.Shape, Is.EqualTo(shape));
        Assert.That(back.StoredDType, Is.EqualTo(NpyDType.Float64));
        Assert.That(back.Values.Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(values.Select(BitConverter.DoubleToInt64Bits)));
    }

    [TestCaseSource(nameof(Shapes))]
    public void Int32AndInt64Files_ReadAsFloatAndDouble_GiveTheShapeAndValues(int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        int[] ints = [.. Enumerable.Range(0, count).Select(i => (i * 7919 % 201) - 100)];
        string path32 = Path.Combine(folder, "i4.npy"), path64 = Path.Combine(folder, "i8.npy");
        File.WriteAllBytes(path32, NpyBytes.File(NpyBytes.Dict("<i4", NpyBytes.ShapeText(shape)), NpyBytes.Int32(ints)));
        File.WriteAllBytes(path64, NpyBytes.File(NpyBytes.Dict("<i8", NpyBytes.ShapeText(shape)), NpyBytes.Int64([.. ints.Select(i => (long)i)])));

        var asFloat = Npy.Read<float>(path32);
        var asDouble = Npy.Read<double>(path64);

        Assert.That(asFloat.Shape, Is.EqualTo(shape));
        Assert.That(asFloat.StoredDType, Is.EqualTo(NpyDType.Int32));
        Assert.That(asFloat.Values, Is.EqualTo(ints.Select(i => (float)i)));
        Assert.That(asDouble.Shape, Is.EqualTo(shape));
        Assert.That(asDouble.StoredDType, Is.EqualTo(NpyDType.Int64));
        Assert.That(asDouble.Values, Is.EqualTo(ints.Select(i => (double)i)));
    }

    [Test]
    public void Int64BeyondTwoToThe53_RoundsToTheNearestDouble()
    {
        string path = Path.Combine(folder, "big.npy");
        long big = (1L << 53) + 1;
        File.WriteAllBytes(path, NpyBytes.File(NpyBytes.Dict("<i8", "(2,)"), NpyBytes.Int64(big, -big)));

        var values = Npy.Read<double>(path).Values;

        Assert.That(values, Is.EqualTo(new[] { 9007199254740992.0, -9007199254740992.0 }));
    }

    [Test]
    public void Float64File_ReadAsFloat_RoundsEachValue_AndFloat32ReadAsDouble_IsExact()
    {
        string f8 = Path.Combine(folder, "f8.npy"), f4 = Path.Combine(folder, "f4.npy");
        double[] doubles = [0.1, -1e-300, 1e300, double.NaN];
        float[] floats = [0.1f, float.Epsilon, -float.MaxValue, float.NegativeInfinity];
        File.WriteAllBytes(f8, NpyBytes.File(NpyBytes.Dict("<f8", "(4,)"), NpyBytes.Float64(doubles)));
        File.WriteAllBytes(f4, NpyBytes.File(NpyBytes.Dict("<f4", "(4,)"), NpyBytes.Float32(floats)));

        Assert.That(Npy.Read<float>(f8).Values, Is.EqualTo(doubles.Select(d => (float)d)));
        Assert.That(Npy.Read<double>(f4).Values, Is.EqualTo(floats.Select(f => (double)f)));
    }

    [Test]
    public void Write_HeaderIsByteForByteWhatNumpyWrites()
    {
        // numpy 1.24: np.save(f, np.arange(5, dtype=np.float32)) and np.save(f, np.float64(2.5)).
        string vector = Path.Combine(folder, "v.npy"), scalar = Path.Combine(folder, "s.npy");

        Npy.Write(vector, [5], new float[] { 0, 1, 2, 3, 4 });
        Npy.Write(scalar, [], new[] { 2.5 });

        Assert.That(File.ReadAllBytes(vector), Is.EqualTo(NumpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", NpyBytes.Float32(0, 1, 2, 3, 4))));
        Assert.That(File.ReadAllBytes(scalar), Is.EqualTo(NumpyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", NpyBytes.Float64(2.5))));
    }

    [Test]
    public void Write_HeaderLongerThan64KiB_UsesVersion2_AndReadsBack()
    {
        int[] shape = [.. Enumerable.Repeat(1, 25_000)];
        string path = Path.Combine(folder, "long.npy");

        Npy.Write(path, shape, new[] { 42f });
        var bytes = File.ReadAllBytes(path);
        var back = Npy.Read<float>(path);

        Assert.That(bytes[6], Is.EqualTo(2), "major version");
        Assert.That((12 + BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8))) % 64, Is.Zero, "data aligned to 64 bytes");
        Assert.That(back.Shape, Has.Length.EqualTo(25_000));
        Assert.That(back.Values, Is.EqualTo(new[] { 42f }));
    }

    [TestCase(2)]
    [TestCase(3)]
    public void Read_Versions2And3_AreAccepted(int major)
    {
        string path = Path.Combine(folder, "v.npy");
        File.WriteAllBytes(path, NpyBytes.File(NpyBytes.Dict("<f8", "(2, 1)"), NpyBytes.Float64(1.5, -2), major));

        var header = Npy.ReadHeader(path);
        var array = Npy.Read<double>(path);

        Assert.That(header.Version, Is.EqualTo(major));
        Assert.That(header.DataOffset % 64, Is.Zero);
        Assert.That(array.Shape, Is.EqualTo(new[] { 2, 1 }));
        Assert.That(array.Values, Is.EqualTo(new[] { 1.5, -2 }));
    }

    [TestCase("|f4")]
    [TestCase("=f4")]
    [TestCase("<f4")]
    public void Read_LittleEndianOrNativeByteOrderMarks_AreAccepted(string descr)
    {
        string path = Path.Combine(folder, "b.npy");
        File.WriteAllBytes(path, NpyBytes.File(NpyBytes.Dict(descr, "(2,)"), NpyBytes.Float32(0.5f, 3)));

        Assert.That(Npy.Read<float>(path).Values, Is.EqualTo(new[] { 0.5f, 3 }));
    }

    [Test]
    public void Read_HeaderInAnyKeyOrderWithDoubleQuotesAndPython2Longs_IsAccepted()
    {
        string path = Path.Combine(folder, "h.npy");
        File.WriteAllBytes(path, NpyBytes.File("{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"<i4\"}", NpyBytes.Int32(4, 5)));

        var array = Npy.Read<float>(path);

        Assert.That(array.Shape, Is.EqualTo(new[] { 2, 1 }));
        Assert.That(array.Values, Is.EqualTo(new[] { 4f, 5f }));
    }

    [Test]
    public void ReadHeader_GivesVersionTypeShapeCountAndDataOffset()
    {
        string path = Path.Combine(folder, "h.npy");
        Npy.Write(path, [4, 5, 2, 3], new double[120]);

        var header = Npy.ReadHeader(path);

        Assert.That(header.Version, Is.EqualTo(1));
        Assert.That(header.DType, Is.EqualTo(NpyDType.Float64));
        Assert.That(header.Descr, Is.EqualTo("<f8"));
        Assert.That(header.Shape, Is.EqualTo(new[] { 4, 5, 2, 3 }));
        Assert.That(header.ShapeText, Is.EqualTo("(4, 5, 2, 3)"));
        Assert.That(header.Count, Is.EqualTo(120));
        Assert.That(header.DataOffset, Is.EqualTo(128));
    }

    [Test]
    public void ReadBlob_OfAScalarFile_IsABlobWithNoAxesAndOneValue()
    {
        string path = Path.Combine(folder, "s.npy");
        Npy.Write(path, [], new[] { 7f });

        using var blob = Npy.ReadBlob<float>(path);

        Assert.That(blob.NumAxes, Is.Zero);
        Assert.That(blob.Count, Is.EqualTo(1));
        Assert.That(blob.GetData(), Is.EqualTo(new[] { 7f }));
    }

    [Test]
    public void WriteBlob_DataOrDiff_ThenReadBlob_GivesThemBack()
    {
        using var blob = new Blob<double>(2, 3);
        blob.SetData([1, 2, 3, 4, 5, 6]);
        blob.SetDiff([-1, -2, -3, -4, -5, -6]);
        string data = Path.Combine(folder, "data.npy"), diff = Path.Combine(folder, "diff.npy");

        Npy.Write(data, blob);
        Npy.Write(diff, blob, diff: true);
        using var dataBack = Npy.ReadBlob<double>(data);
        using var diffBack = Npy.ReadBlob<double>(diff);

        Assert.That(dataBack.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(dataBack.GetData(), Is.EqualTo(blob.GetData()));
        Assert.That(diffBack.GetData(), Is.EqualTo(blob.GetDiff()));
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        byte[] twoFloats = NpyBytes.Float32(1, 2);
        TestCaseData Case(string name, byte[] file, string expected) => new TestCaseData(file, expected).SetName($"Read_Refuses_{name}");

        yield return Case("AFileWithoutTheMagic", Encoding.ASCII.GetBytes("a,b\n1,2\n"), "not an .npy file: no \\x93NUMPY magic (it starts with 612C620A312C320A)");
        yield return Case("AnEmptyFile", [], "not an .npy file: no \\x93NUMPY magic (the file is empty)");
        yield return Case("AZipArchive", [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0], "(that is a zip archive, e.g. an .npz: save each array with np.save)");
        yield return Case("AFileEndingInThePreamble", [.. NpyBytes.Magic, 1], "truncated: the file ends inside the 10-byte preamble (7 bytes)");
        yield return Case("Version4", NpyBytes.File(NpyBytes.Dict("<f4", "(2,)"), twoFloats, major: 4), "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
        yield return Case("Version1Point1", NpyBytes.File(NpyBytes.Dict("<f4", "(2,)"), twoFloats, minor: 1), "unsupported .npy format version 1.1");
        yield return Case("BigEndianData", NpyBytes.File(NpyBytes.Dict(">f4", "(2,)"), twoFloats), "big-endian dtype '>f4' is not supported: save a.astype('<f4')");
        yield return Case("FortranOrder", NpyBytes.File(NpyBytes.Dict("<f4", "(1, 2)", fortran: "True"), twoFloats), "fortran_order is True: only C-order arrays are supported");
        yield return Case("Float16", NpyBytes.File(NpyBytes.Dict("<f2", "(2,)"), [0, 0, 0, 0]), "unsupported dtype '<f2' (supported: <f4, <f8, <i4, <i8)");
        yield return Case("UInt8", NpyBytes.File(NpyBytes.Dict("|u1", "(2,)"), [0, 0]), "unsupported dtype '|u1'");
        yield return Case("Complex", NpyBytes.File(NpyBytes.Dict("<c8", "(1,)"), twoFloats), "unsupported dtype '<c8'");
        yield return Case("AStructuredDtype", NpyBytes.File("{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (1,), }", twoFloats), "unsupported dtype [('a', '<f4'), ('b', '<f4')]: structured arrays are not supported");
        yield return Case("AHeaderThatDoesNotParse", NpyBytes.File("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }", twoFloats), "the header does not parse: unexpected '}' at offset 54 in {'descr'");
        yield return Case("AHeaderThatIsNotADict", NpyBytes.File("('<f4', False, (2,))", twoFloats), "the header is not a dict");
        yield return Case("AHeaderWithoutShape", NpyBytes.File("{'descr': '<f4', 'fortran_order': False}", twoFloats), "the header lacks the key 'shape'");
        yield return Case("AHeaderWithAnUnexpectedKey", NpyBytes.File("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", twoFloats), "the header has an unexpected key 'x'");
        yield return Case("AShapeThatIsAList", NpyBytes.File(NpyBytes.Dict("<f4", "[2]"), twoFloats), "shape is [2], not a tuple");
        yield return Case("ANegativeDimension", NpyBytes.File(NpyBytes.Dict("<f4", "(2, -1)"), twoFloats), "dimension 1 of shape (2, -1) is -1, not a non-negative integer");
        yield return Case("ADimensionAboveIntMaxValue", NpyBytes.File(NpyBytes.Dict("<f4", "(0, 4294967296)"), []), "dimension 1 of shape (0, 4294967296) is 4294967296, more than 2147483647");
        yield return Case("MoreElementsThanAnArrayHolds", NpyBytes.File(NpyBytes.Dict("<f4", "(65536, 65536)"), twoFloats), "shape (65536, 65536) has more than 2147483591 elements");
        yield return Case("TruncatedData", NpyBytes.File(NpyBytes.Dict("<f4", "(4, 5)"), new byte[40]), "truncated: shape (4, 5) of <f4 needs 80 data bytes, the file has 40 after the 128-byte header");
        yield return Case("ATruncatedHeader", NpyBytes.File(NpyBytes.Dict("<f4", "(2,)"), [])[..50], "truncated: the header is 118 bytes but the file ends after 40 of them");
        yield return Case("TrailingBytes", NpyBytes.File(NpyBytes.Dict("<f4", "(1,)"), twoFloats), "4 bytes after the data (shape (1,) of <f4 needs 4 data bytes, the file has 8)");
    }

    [TestCaseSource(nameof(Refusals))]
    public void Read_RefusesWithAMessageNamingTheFileAndTheProblem(byte[] content, string expected)
    {
        string path = Path.Combine(folder, "bad.npy");
        File.WriteAllBytes(path, content);

        var e = Assert.Throws<InvalidDataException>(() => Npy.Read<float>(path));

        Assert.That(e.Message, Does.StartWith(path + ": ").And.Contain(expected));
    }

    [Test]
    public void Read_TruncatedDataFromAStreamThatCannotSeek_SaysExpectedAndActualBytes()
    {
        using var stream = new ForwardOnlyStream(NpyBytes.File(NpyBytes.Dict("<i4", "(3,)"), NpyBytes.Int32(1, 2)));

        var e = Assert.Throws<InvalidDataException>(() => Npy.Read<double>(stream, "pipe"));

        Assert.That(e.Message, Is.EqualTo("pipe: truncated: shape (3,) of <i4 needs 12 data bytes, the file has 8 after the 128-byte header"));
    }

    [Test]
    public void Read_TrailingBytesFromAStreamThatCannotSeek_AreRefused()
    {
        using var stream = new ForwardOnlyStream(NpyBytes.File(NpyBytes.Dict("<i4", "(1,)"), NpyBytes.Int32(1, 2)));

        var e = Assert.Throws<InvalidDataException>(() => Npy.Read<double>(stream, "pipe"));

        Assert.That(e.Message, Does.StartWith("pipe: bytes after the data"));
    }

    [Test]
    public void ReadBlob_WithMoreAxesThanABlobHas_IsRefused()
    {
        string path = Path.Combine(folder, "deep.npy");
        Npy.Write(path, [.. Enumerable.Repeat(1, 33)], new[] { 1f });

        var e = Assert.Throws<InvalidDataException>(() => Npy.ReadBlob<float>(path));

        Assert.That(e.Message, Does.StartWith(path + ": ").And.Contain("has 33 axes; a blob has at most 32"));
    }

    [Test]
    public void Read_AMissingFile_ThrowsFileNotFound()
    {
        string path = Path.Combine(folder, "missing.npy");

        Assert.Throws<FileNotFoundException>(() => Npy.Read<float>(path));
    }

    [Test]
    public void Write_ValuesThatDoNotFillTheShape_ThrowsAndWritesNothing()
    {
        string path = Path.Combine(folder, "a.npy");
        File.WriteAllText(path, "before");

        var e = Assert.Throws<ArgumentException>(() => Npy.Write(path, [2, 3], new float[5]));

        Assert.That(e.Message, Does.Contain("shape (2, 3) holds 6 values but 5 were given"));
        Assert.That(File.ReadAllText(path), Is.EqualTo("before"));
        Assert.That(Directory.GetFiles(folder), Has.Length.EqualTo(1));
    }

    [Test]
    public void Write_ReplacesAnExistingFile_AndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(folder, "a.npy");
        File.WriteAllText(path, "an older, longer content that must disappear entirely");

        Npy.Write(path, [1], new[] { 3.0 });

        Assert.That(Npy.Read<double>(path).Values, Is.EqualTo(new[] { 3.0 }));
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EqualTo(new[] { "a.npy" }));
    }

    [Test]
    public void AtomicFile_AbandonedMidWrite_LeavesTheTargetAsItWasAndNoTemporaryFile()
    {
        string path = Path.Combine(folder, "a.npy");
        Npy.Write(path, [2], new[] { 1f, 2f });
        var before = File.ReadAllBytes(path);
        string temporary;

        using (var file = AtomicFile.Create(path))
        {
            temporary = file.TemporaryPath;
            file.Stream.Write(new byte[1000]);
            Assert.That(File.Exists(temporary), Is.True, "the content goes to a temporary file first");

            // No Commit: a failure between the first byte and the last.
        }

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(File.Exists(temporary), Is.False);
        Assert.That(Path.GetDirectoryName(temporary), Is.EqualTo(folder), "same folder, so the rename is atomic");
    }

    [Test]
    public void Write_IntoAMissingFolder_ThrowsAndCreatesNothing()
    {
        string path = Path.Combine(folder, "no", "a.npy");

        Assert.Throws<DirectoryNotFoundException>(() => Npy.Write(path, [1], new[] { 1f }));
        Assert.That(Directory.GetFileSystemEntries(folder), Is.Empty);
    }

    private static T[] Values<T>(int[] shape, int seed)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        var values = TestData.Uniform<T>(count, seed, -1e3, 1e3);
        T[] special = [T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.NegativeZero, T.Epsilon, T.CreateTruncating(1e-40)];
        for (int i = 0; i < Math.Min(count, special.Length); i++)
        {
            values[i] = special[i];
        }

        return values;
    }

    private static byte[] NumpyFile(string dict, byte[] data)
    {
        var bytes = new List<byte>(NpyBytes.Magic) { 1, 0, 118, 0 };
        bytes.AddRange(Encoding.ASCII.GetBytes(dict.PadRight(117) + "\n"));
        bytes.AddRange(data);
        return [.. bytes];
    }

    /// <summary>A stream that can only be read forwards (a pipe, a network stream).</summary>
    private sealed class ForwardOnlyStream(byte[] content) : Stream
    {
        private readonly MemoryStream inner = new(content);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7));

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
