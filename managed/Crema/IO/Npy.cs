using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Crema.Core;

namespace Crema.IO;

/// <summary>
/// numpy's <c>.npy</c> format (what <c>np.save</c> writes and <c>np.load</c> reads).
/// <para>
/// Reading takes format versions 1.0, 2.0 and 3.0; little-endian <c>float32</c>, <c>float64</c>, <c>int32</c> and
/// <c>int64</c> (<c>&lt;f4 &lt;f8 &lt;i4 &lt;i8</c>, and the same with the <c>|</c> or <c>=</c> byte-order mark,
/// both read as little-endian); C order; any rank, 0-d scalars included. Values are converted to
/// <c>float</c> or <c>double</c>: integers beyond 2^24 (float) or 2^53 (double) are rounded to the nearest
/// representable value, and float64 data read as float is rounded to float.
/// </para>
/// <para>
/// Anything else is refused with an <see cref="InvalidDataException"/> whose message starts with the file's name and
/// says what is wrong: no <c>\x93NUMPY</c> magic, an unsupported version, big-endian data, <c>fortran_order: True</c>,
/// an unsupported dtype (named), a header that does not parse or lacks a key, a dimension above
/// <see cref="int.MaxValue"/>, more elements than an array holds, data shorter than the shape needs (expected and
/// actual bytes), and bytes after the data (numpy ignores those, but they mean the header and the data disagree, so
/// they are refused). A missing or unreadable file throws the <see cref="IOException"/> the runtime gives.
/// </para>
/// <para>
/// Writing makes version 1.0 (2.0 when the header exceeds 64 KiB) in <c>&lt;f4</c> or <c>&lt;f8</c>, with numpy's
/// header layout (padded to 64 bytes). Writing to a path is atomic: a temporary file in the same folder is renamed over
/// the target once complete, so a failed write never leaves a partial file.
/// </para>
/// </summary>
public static class Npy
{
    private const int PreambleBytes = 8; // magic (6) + major + minor
    private const int MaxHeaderBytes = 1 << 24;
    private const int ChunkBytes = 1 << 20;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads only the header of the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Not an .npy file this class reads; the message says why.</exception>
    public static NpyHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>Reads the header from <paramref name="stream"/>, leaving it at the start of the data.</summary>
    /// <param name="stream">The stream, positioned at the start of the .npy content.</param>
    /// <param name="sourceName">The name messages give (usually the file's path).</param>
    /// <exception cref="InvalidDataException">Not an .npy file this class reads; the message says why.</exception>
    public static NpyHeader ReadHeader(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        Span<byte> preamble = stackalloc byte[PreambleBytes];
        int got = ReadAtMost(stream, preamble);
        if (got < Magic.Length || !preamble[..Magic.Length].SequenceEqual(Magic))
        {
            string start = got == 0 ? "the file is empty" : $"it starts with {Convert.ToHexString(preamble[..got])}";
            string zip = got >= 2 && preamble[0] == (byte)'P' && preamble[1] == (byte)'K'
                ? " (that is a zip archive, e.g. an .npz: save each array with np.save)"
                : "";
            throw Invalid(sourceName, $"not an .npy file: no \\x93NUMPY magic ({start}){zip}");
        }

        if (got < PreambleBytes)
        {
            throw Invalid(sourceName, $"truncated: the file ends inside the 10-byte preamble ({got} bytes)");
        }

        int major = preamble[6], minor = preamble[7];
        if (major is < 1 or > 3 || minor != 0)
        {
            throw Invalid(sourceName, $"unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)");
        }

        Span<byte> lengthField = stackalloc byte[major == 1 ? 2 : 4];
        if (ReadAtMost(stream, lengthField) < lengthField.Length)
        {
            throw Invalid(sourceName, "truncated: the file ends inside the header length field");
        }

        long headerBytes = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField)
            : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        if (headerBytes > MaxHeaderBytes)
        {
            throw Invalid(sourceName, $"the header length field says {headerBytes} bytes; more than {MaxHeaderBytes} is not a plausible header");
        }

        var headerData = new byte[headerBytes];
        int headerGot = ReadAtMost(stream, headerData);
        if (headerGot < headerBytes)
        {
            throw Invalid(sourceName, $"truncated: the header is {headerBytes} bytes but the file ends after {headerGot} of them");
        }

        // Versions 1 and 2 store the header in Latin-1, version 3 in UTF-8.
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerData);
        long dataOffset = PreambleBytes + lengthField.Length + headerBytes;
        return InterpretHeader(header, major, dataOffset, sourceName);
    }

    /// <summary>Reads the array in the file at <paramref name="path"/>, converting its values to <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <exception cref="InvalidDataException">Not an .npy file this class reads; the message says why.</exception>
    public static NpyArray<T> Read<T>(string path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var stream = OpenRead(path);
        return Read<T>(stream, path);
    }

    /// <summary>Reads an array from <paramref name="stream"/>; the stream must end where the data ends.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="stream">The stream, positioned at the start of the .npy content.</param>
    /// <param name="sourceName">The name messages give (usually the file's path).</param>
    /// <exception cref="InvalidDataException">Not an .npy file this class reads; the message says why.</exception>
    public static NpyArray<T> Read<T>(Stream stream, string sourceName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckElementType<T>();
        var header = ReadHeader(stream, sourceName);
        long expected = header.DataBytes;
        string needs = $"shape {header.ShapeText} of {header.Descr} needs {expected} data bytes";
        if (stream.CanSeek)
        {
            // Checked before allocating, so a corrupted shape cannot ask for gigabytes.
            long available = stream.Length - stream.Position;
            if (available < expected)
            {
                throw Invalid(sourceName, $"truncated: {needs}, the file has {available} after the {header.DataOffset}-byte header");
            }

            if (available > expected)
            {
                throw Invalid(sourceName, $"{available - expected} bytes after the data ({needs}, the file has {available}): the header and the data disagree");
            }
        }

        var values = new T[header.Count];
        long read = ReadValues(stream, header.DType, values);
        if (read < expected)
        {
            throw Invalid(sourceName, $"truncated: {needs}, the file has {read} after the {header.DataOffset}-byte header");
        }

        if (!stream.CanSeek && stream.ReadByte() >= 0)
        {
            throw Invalid(sourceName, $"bytes after the data ({needs}): the header and the data disagree");
        }

        return new NpyArray<T>([.. header.Shape], values, header.DType);
    }

    /// <summary>Reads the array in the file at <paramref name="path"/> into a new blob of its shape (data only).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <exception cref="InvalidDataException">Not an .npy file this class reads, or more axes than a blob has.</exception>
    public static Blob<T> ReadBlob<T>(string path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var array = Read<T>(path);
        if (array.Shape.Length > Blob<T>.MaxAxes)
        {
            throw Invalid(path, $"shape {array.ShapeText} has {array.Shape.Length} axes; a blob has at most {Blob<T>.MaxAxes}");
        }

        var blob = new Blob<T>(array.Shape);
        blob.SetData(array.Values);
        return blob;
    }

    /// <summary>
    /// Writes <paramref name="values"/> with <paramref name="shape"/> to <paramref name="path"/> (<c>&lt;f4</c> for float,
    /// <c>&lt;f8</c> for double), atomically: the target is replaced only once the whole file is on disk.
    /// </summary>
    /// <exception cref="ArgumentException">A negative dimension, or the shape's element count differs from the values'.</exception>
    public static void Write<T>(string path, ReadOnlySpan<int> shape, ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckElementType<T>();
        CheckShape(shape, values.Length);
        using var file = AtomicFile.Create(path);
        WriteContent(file.Stream, shape, values);
        file.Commit();
    }

    /// <summary>Writes a blob's data (or, with <paramref name="diff"/>, its diff) with its shape; see <see cref="Write{T}(string, ReadOnlySpan{int}, ReadOnlySpan{T})"/>.</summary>
    public static void Write<T>(string path, Blob<T> blob, bool diff = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(blob);
        int[] shape = [.. blob.Shape];
        Write(path, shape, diff ? blob.CpuDiff : blob.CpuData);
    }

    /// <summary>Writes the .npy content to <paramref name="stream"/> (not atomic: that is the caller's stream).</summary>
    /// <exception cref="ArgumentException">A negative dimension, or the shape's element count differs from the values'.</exception>
    public static void Write<T>(Stream stream, ReadOnlySpan<int> shape, ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckElementType<T>();
        CheckShape(shape, values.Length);
        WriteContent(stream, shape, values);
    }

    private static void WriteContent<T>(Stream stream, ReadOnlySpan<int> shape, ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string descr = typeof(T) == typeof(float) ? "<f4" : "<f8";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {NpyHeader.FormatShape(shape.ToArray())}, }}";

        // numpy pads the header with spaces and ends it with a newline so that the data starts at a multiple of 64.
        int major = 1;
        int headerBytes = PaddedHeaderBytes(dict.Length, PreambleBytes + 2);
        if (headerBytes > ushort.MaxValue)
        {
            major = 2;
            headerBytes = PaddedHeaderBytes(dict.Length, PreambleBytes + 4);
        }

        var head = new byte[PreambleBytes + (major == 1 ? 2 : 4) + headerBytes];
        Magic.CopyTo(head);
        head[6] = (byte)major;
        head[7] = 0;
        int at = PreambleBytes;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(at), (ushort)headerBytes);
            at += 2;
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(at), (uint)headerBytes);
            at += 4;
        }

        head.AsSpan(at).Fill((byte)' ');
        Encoding.Latin1.GetBytes(dict, head.AsSpan(at));
        head[^1] = (byte)'\n';
        stream.Write(head);

        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        var buffer = new byte[Math.Min(ChunkBytes, Math.Max(1, values.Length) * sizeof(double))];
        int size = typeof(T) == typeof(float) ? 4 : 8;
        int perChunk = buffer.Length / size;
        for (int start = 0; start < values.Length; start += perChunk)
        {
            int n = Math.Min(perChunk, values.Length - start);
            for (int i = 0; i < n; i++)
            {
                if (size == 4)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), float.CreateTruncating(values[start + i]));
                }
                else
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer.AsSpan(i * 8), double.CreateTruncating(values[start + i]));
                }
            }

            stream.Write(buffer, 0, n * size);
        }
    }

    private static int PaddedHeaderBytes(int dictLength, int prefixBytes)
    {
        int total = prefixBytes + dictLength + 1;
        return ((total + 63) / 64 * 64) - prefixBytes;
    }

    private static NpyHeader InterpretHeader(string header, int major, long dataOffset, string sourceName)
    {
        object? parsed;
        try
        {
            parsed = PythonLiteral.Parse(header);
        }
        catch (FormatException e)
        {
            throw Invalid(sourceName, $"the header does not parse: {e.Message} in {Excerpt(header)}");
        }

        if (parsed is not Dictionary<string, object?> dict)
        {
            throw Invalid(sourceName, $"the header is not a dict: {Excerpt(header)}");
        }

        foreach (string key in new[] { "descr", "fortran_order", "shape" })
        {
            if (!dict.ContainsKey(key))
            {
                throw Invalid(sourceName, $"the header lacks the key '{key}': {Excerpt(header)}");
            }
        }

        if (dict.Keys.FirstOrDefault(k => k is not ("descr" or "fortran_order" or "shape")) is { } extra)
        {
            throw Invalid(sourceName, $"the header has an unexpected key '{extra}': {Excerpt(header)}");
        }

        var type = InterpretDescr(dict["descr"], sourceName);

        if (dict["fortran_order"] is not bool fortran)
        {
            throw Invalid(sourceName, $"fortran_order is {PythonLiteral.Format(dict["fortran_order"])}, not True or False");
        }

        if (fortran)
        {
            throw Invalid(sourceName, "fortran_order is True: only C-order arrays are supported (save np.ascontiguousarray(a))");
        }

        if (dict["shape"] is not PythonTuple tuple)
        {
            throw Invalid(sourceName, $"shape is {PythonLiteral.Format(dict["shape"])}, not a tuple");
        }

        var shape = new int[tuple.Items.Count];
        long count = 1;
        string shapeText = PythonLiteral.Format(tuple);
        for (int i = 0; i < shape.Length; i++)
        {
            if (tuple.Items[i] is not BigInteger dim || dim < 0)
            {
                throw Invalid(sourceName, $"dimension {i} of shape {shapeText} is {PythonLiteral.Format(tuple.Items[i])}, not a non-negative integer");
            }

            if (dim > int.MaxValue)
            {
                throw Invalid(sourceName, $"dimension {i} of shape {shapeText} is {dim}, more than {int.MaxValue} (the largest dimension supported)");
            }

            shape[i] = (int)dim;
            if (count != 0 && shape[i] > Array.MaxLength / count)
            {
                // Dimensions already multiplied in stay below Array.MaxLength, so the product cannot overflow here.
                throw Invalid(sourceName, $"shape {shapeText} has more than {Array.MaxLength} elements, the most one array holds");
            }

            count *= shape[i];
        }

        return new NpyHeader(major, type, shape, dataOffset);
    }

    private static NpyDType InterpretDescr(object? descr, string sourceName)
    {
        const string supported = "supported: <f4, <f8, <i4, <i8";
        if (descr is not string text)
        {
            throw Invalid(sourceName, $"unsupported dtype {PythonLiteral.Format(descr)}: structured arrays are not supported ({supported})");
        }

        if (text.Length == 3 && text[0] == '>' && text[1..] is "f4" or "f8" or "i4" or "i8")
        {
            throw Invalid(sourceName, $"big-endian dtype '{text}' is not supported: save a.astype('<{text[1..]}')");
        }

        if (text.Length == 3 && text[0] is '<' or '|' or '=')
        {
            switch (text[1..])
            {
                case "f4":
                    return NpyDType.Float32;
                case "f8":
                    return NpyDType.Float64;
                case "i4":
                    return NpyDType.Int32;
                case "i8":
                    return NpyDType.Int64;
            }
        }

        throw Invalid(sourceName, $"unsupported dtype '{text}' ({supported})");
    }

    // Fills values from the stream and returns the number of data bytes read (less than needed when the stream ends early).
    private static long ReadValues<T>(Stream stream, NpyDType type, T[] values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool sameType = (type == NpyDType.Float32 && typeof(T) == typeof(float))
                        || (type == NpyDType.Float64 && typeof(T) == typeof(double));
        if (sameType && BitConverter.IsLittleEndian)
        {
            return ReadAtMost(stream, MemoryMarshal.AsBytes(values.AsSpan()));
        }

        int size = NpyHeader.ItemSizeOf(type);
        var buffer = new byte[Math.Min(ChunkBytes, Math.Max(1L, values.LongLength) * size)];
        int perChunk = buffer.Length / size;
        long total = 0;
        for (int start = 0; start < values.Length; start += perChunk)
        {
            int want = Math.Min(perChunk, values.Length - start) * size;
            int got = ReadAtMost(stream, buffer.AsSpan(0, want));
            total += got;
            ConvertValues(buffer.AsSpan(0, got), type, values.AsSpan(start));
            if (got < want)
            {
                break;
            }
        }

        return total;
    }

    private static void ConvertValues<T>(ReadOnlySpan<byte> source, NpyDType type, Span<T> target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = NpyHeader.ItemSizeOf(type);
        int n = source.Length / size;
        for (int i = 0; i < n; i++)
        {
            var item = source.Slice(i * size, size);
            target[i] = type switch
            {
                NpyDType.Float32 => T.CreateTruncating(BinaryPrimitives.ReadSingleLittleEndian(item)),
                NpyDType.Float64 => T.CreateTruncating(BinaryPrimitives.ReadDoubleLittleEndian(item)),
                NpyDType.Int32 => T.CreateTruncating(BinaryPrimitives.ReadInt32LittleEndian(item)),
                _ => T.CreateTruncating(BinaryPrimitives.ReadInt64LittleEndian(item)),
            };
        }
    }

    private static int ReadAtMost(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int got = stream.Read(buffer[total..]);
            if (got == 0)
            {
                break;
            }

            total += got;
        }

        return total;
    }

    private static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
    }

    private static void CheckElementType<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"Npy reads and writes float or double values, not {typeof(T).Name}");
        }
    }

    private static void CheckShape(ReadOnlySpan<int> shape, int valueCount)
    {
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), shape[i],
                    $"dimension {i} of shape {NpyHeader.FormatShape(shape.ToArray())} is negative");
            }

            count = count == 0 || shape[i] <= long.MaxValue / count ? count * shape[i] : long.MaxValue;
        }

        if (count != valueCount)
        {
            throw new ArgumentException(
                $"shape {NpyHeader.FormatShape(shape.ToArray())} holds {count} values but {valueCount} were given", nameof(shape));
        }
    }

    private static InvalidDataException Invalid(string sourceName, string what) => new($"{sourceName}: {what}");

    private static string Excerpt(string header)
    {
        string trimmed = header.TrimEnd();
        return trimmed.Length <= 200 ? trimmed : string.Concat(trimmed.AsSpan(0, 200), "…");
    }
}
