using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Crema.IO;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (<c>train-images-idx3-ubyte.gz</c> and friends), gzip-compressed or raw.
/// <para>
/// A file is a 4-byte magic (<c>00 00</c>, the element type, the number of dimensions), one big-endian 32-bit size per
/// dimension, then the values in C order, big-endian: ubyte (<c>0x08</c>), sbyte (<c>0x09</c>), int16 (<c>0x0B</c>),
/// int32 (<c>0x0C</c>), float32 (<c>0x0D</c>) or float64 (<c>0x0E</c>). A gzip file is recognised by its content (the
/// bytes <c>1f 8b</c>), not by its name. Values are kept in the stored type (<see cref="IdxArray"/>); ubyte data stays
/// one byte per value.
/// </para>
/// <para>
/// Anything else is refused with an <see cref="InvalidDataException"/> whose message starts with the file's name and
/// says what is wrong: an empty file, a magic that does not start with <c>00 00</c>, an unknown element type, zero
/// dimensions, a header cut short, a dimension above <see cref="int.MaxValue"/> or more data than one array holds
/// (dims overflow), data shorter than the dimensions need (expected and actual bytes), bytes after the data, and
/// corrupted gzip data. A missing file is a <see cref="FileNotFoundException"/> that says how to get the data
/// (<see cref="DataLocation.MissingDataMessage(string)"/>).
/// </para>
/// </summary>
public static class Idx
{
    private const int MagicBytes = 4;
    private const int ChunkBytes = 1 << 20;

    // Data whose size is not known before reading (gzip) is read into a buffer that starts at most this big and
    // doubles, so a corrupted header in a small file cannot make us allocate gigabytes up front.
    private const int InitialBufferBytes = 1 << 26;

    /// <summary>Reads the IDX file at <paramref name="path"/>, gzip-compressed or raw.</summary>
    /// <exception cref="FileNotFoundException">No such file (or folder); the message says how to get the data.</exception>
    /// <exception cref="InvalidDataException">Not an IDX file this class reads; the message names the file and says why.</exception>
    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException(DataLocation.MissingDataMessage(path), path, e);
        }

        using (stream)
        {
            return Read(stream, path);
        }
    }

    /// <summary>
    /// Reads an IDX array from <paramref name="stream"/> (gzip-compressed or raw); the content must end where the data
    /// ends. A stream that cannot seek is copied into memory first.
    /// </summary>
    /// <param name="stream">The stream, positioned at the start of the content.</param>
    /// <param name="sourceName">The name messages give (usually the file's path).</param>
    /// <exception cref="InvalidDataException">Not an IDX array this class reads; the message says why.</exception>
    public static IdxArray Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }

        Span<byte> start = stackalloc byte[2];
        long origin = stream.Position;
        int got = ReadAtMost(stream, start, null);
        stream.Position = origin;
        if (got < 2 || start[0] != 0x1f || start[1] != 0x8b)
        {
            return ReadContent(stream, new Source(sourceName, Gzip: false));
        }

        using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        return ReadContent(gzip, new Source(sourceName, Gzip: true));
    }

    private static IdxArray ReadContent(Stream stream, Source source)
    {
        Span<byte> magic = stackalloc byte[MagicBytes];
        int got = ReadAtMost(stream, magic, source);
        if (got == 0)
        {
            throw Invalid(source, source.Gzip ? "the gzip data decompresses to nothing" : "the file is empty");
        }

        if (got < MagicBytes)
        {
            throw Invalid(source, $"truncated: {source.Content} ends inside the 4-byte magic ({got} bytes: {Convert.ToHexString(magic[..got])})");
        }

        string magicText = Convert.ToHexString(magic);
        if (magic[0] != 0 || magic[1] != 0)
        {
            throw Invalid(source, $"not an IDX file: the magic is {magicText}, but an IDX magic starts with 0000 " +
                "(then the element type and the number of dimensions)");
        }

        var type = (IdxElementType)magic[2];
        if (!Enum.IsDefined(type))
        {
            throw Invalid(source, $"unknown element type 0x{magic[2]:X2} in the magic {magicText} " +
                "(known: 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
        }

        int ndims = magic[3];
        if (ndims == 0)
        {
            throw Invalid(source, $"the magic {magicText} declares 0 dimensions; an IDX file has at least one");
        }

        int[] shape = ReadDims(stream, ndims, source);
        int itemSize = IdxArray.SizeOf(type);
        long headerBytes = MagicBytes + (4L * ndims);
        long expected = CheckedDataBytes(shape, itemSize, type, source);
        string needs = $"shape {IdxArray.FormatShape(shape)} of {IdxArray.NameOf(type)} needs {expected} data bytes";

        if (!source.Gzip)
        {
            // The size is known before reading: refuse before allocating anything.
            long available = stream.Length - stream.Position;
            if (available < expected)
            {
                throw Invalid(source, $"truncated: {needs}, {source.Content} has {available} after the {headerBytes}-byte header");
            }

            if (available > expected)
            {
                throw Trailing(source, available - expected, needs, available);
            }
        }

        byte[] data = ReadData(stream, expected, source, out long read);
        if (read < expected)
        {
            throw Invalid(source, $"truncated: {needs}, {source.Content} has {read} after the {headerBytes}-byte header");
        }

        long extra = CountRemaining(stream, source);
        if (extra > 0)
        {
            throw Trailing(source, extra, needs, expected + extra);
        }

        return new IdxArray(source.Name, type, shape, ToValues(type, data));
    }

    private static int[] ReadDims(Stream stream, int ndims, Source source)
    {
        var dimBytes = new byte[4 * ndims];
        int got = ReadAtMost(stream, dimBytes, source);
        if (got < dimBytes.Length)
        {
            throw Invalid(source, $"truncated: the magic declares {ndims} dimension(s) ({dimBytes.Length} bytes of sizes) " +
                $"but {source.Content} ends after {got} of those bytes");
        }

        var shape = new int[ndims];
        for (int i = 0; i < ndims; i++)
        {
            uint dim = BinaryPrimitives.ReadUInt32BigEndian(dimBytes.AsSpan(4 * i));
            if (dim > int.MaxValue)
            {
                throw Invalid(source, $"dims overflow: dimension {i} is {dim}, more than {int.MaxValue}");
            }

            shape[i] = (int)dim;
        }

        return shape;
    }

    /// <summary>The data bytes the shape needs, refusing a shape whose data or whose item does not fit one array.</summary>
    private static long CheckedDataBytes(int[] shape, int itemSize, IdxElementType type, Source source)
    {
        var count = BigInteger.One;
        var perItem = BigInteger.One;
        for (int i = 0; i < shape.Length; i++)
        {
            count *= shape[i];
            if (i > 0)
            {
                perItem *= shape[i];
            }
        }

        var bytes = count * itemSize;
        if (bytes > Array.MaxLength || perItem > Array.MaxLength)
        {
            var what = bytes > Array.MaxLength ? $"{count} values of {IdxArray.NameOf(type)} ({bytes} bytes)" : $"{perItem} values per item";
            throw Invalid(source, $"dims overflow: shape {IdxArray.FormatShape(shape)} has {what}, more than the {Array.MaxLength} one array holds");
        }

        return (long)bytes;
    }

    private static byte[] ReadData(Stream stream, long expected, Source source, out long read)
    {
        var buffer = new byte[source.Gzip ? Math.Min(expected, InitialBufferBytes) : expected];
        read = 0;
        while (read < expected)
        {
            if (read == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(expected, 2L * buffer.Length));
            }

            int n = ReadAtMost(stream, buffer.AsSpan((int)read, (int)Math.Min(buffer.Length - read, ChunkBytes)), source);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return buffer;
    }

    private static long CountRemaining(Stream stream, Source source)
    {
        var scratch = new byte[ChunkBytes];
        long extra = 0;
        int n;
        while ((n = ReadAtMost(stream, scratch, source)) > 0)
        {
            extra += n;
        }

        return extra;
    }

    private static Array ToValues(IdxElementType type, byte[] data)
    {
        switch (type)
        {
            case IdxElementType.UByte:
                return data;
            case IdxElementType.SByte:
                return MemoryMarshal.Cast<byte, sbyte>(data).ToArray();
            case IdxElementType.Int16:
                {
                    var values = MemoryMarshal.Cast<byte, short>(data).ToArray();
                    if (BitConverter.IsLittleEndian)
                    {
                        BinaryPrimitives.ReverseEndianness(values, values);
                    }

                    return values;
                }

            case IdxElementType.Int32:
                {
                    var values = MemoryMarshal.Cast<byte, int>(data).ToArray();
                    if (BitConverter.IsLittleEndian)
                    {
                        BinaryPrimitives.ReverseEndianness(values, values);
                    }

                    return values;
                }

            case IdxElementType.Float32:
                {
                    var values = MemoryMarshal.Cast<byte, float>(data).ToArray();
                    if (BitConverter.IsLittleEndian)
                    {
                        var bits = MemoryMarshal.Cast<float, int>(values.AsSpan());
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }

                    return values;
                }

            default:
                {
                    var values = MemoryMarshal.Cast<byte, double>(data).ToArray();
                    if (BitConverter.IsLittleEndian)
                    {
                        var bits = MemoryMarshal.Cast<double, long>(values.AsSpan());
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }

                    return values;
                }
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; gzip errors name the file.</summary>
    private static int ReadAtMost(Stream stream, Span<byte> buffer, Source? source)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer[total..]);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (InvalidDataException e) when (source is { Gzip: true })
        {
            // Only the decompressor throws this while reading.
            throw new InvalidDataException($"{source.Name}: corrupted gzip data: {e.Message}", e);
        }

        return total;
    }

    private static InvalidDataException Trailing(Source source, long extra, string needs, long actual) =>
        Invalid(source, $"{extra} bytes after the data ({needs}, {source.Content} has {actual} after the header): " +
            "the header and the data disagree");

    private static InvalidDataException Invalid(Source source, string what) => new($"{source.Name}: {what}");

    /// <summary>Where the content comes from: the name errors give, and whether it was gzip-compressed.</summary>
    private sealed record Source(string Name, bool Gzip)
    {
        public string Content => Gzip ? "the decompressed data" : "the file";
    }
}
