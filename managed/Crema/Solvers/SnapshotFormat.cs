using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Crema.Solvers;

/// <summary>
/// Crema's snapshot file (little-endian throughout):
/// <code>
/// offset 0   8 bytes  magic "CREMASNP"
///        8   uint32   version (3; version 2, the same without "DATA", is still read)
///       12   uint32   element type: 1 = float32, 2 = float64
///       16   uint64   payload length in bytes
///       24   uint32   CRC-32 of the payload
///       28   payload  sections, each a 4-byte ASCII tag, a uint64 content length and the content:
///                     "WGHT" the learnable params in net order: int32 count, then per param the owning layer's name
///                            (int32 byte length + UTF-8), the param's index in that layer (int32), its shape
///                            (int32 axes, int32 per axis) and its data (the shape's count of elements)
///                     "SOLV" int32 iter; the rate inputs: lr_policy (string), base_lr, gamma, power (float32),
///                            stepsize, max_iter (int32), stepvalue (int32 count + int32 each); the history (int32
///                            count, then shape + data per blob); the smoothed-loss window: average_loss, the next
///                            slot to replace, the number of losses (int32 each), the losses and the smoothed loss
///                     "RAND" the fillers' and random layers' generator (SeededRandom.Global): seed and the four
///                            state words (uint64 each), int32 1 and a float64 when a Gaussian draw is kept, else int32 0
///                     "DATA" where each data layer that reads a file (IdxData) stood: int32 count, then per layer the
///                            net (int32: 0 the training net, k the test net k − 1), the layer's name (string), its item
///                            count (int32), int32 1 and the shuffle seed (uint64) or int32 0 and uint64 0, the epoch and
///                            the position in it (int32 each)
/// </code>
/// The file must end exactly where the payload does.
/// </summary>
internal static class SnapshotFormat
{
    /// <summary>The first eight bytes.</summary>
    internal static ReadOnlySpan<byte> Magic => "CREMASNP"u8;

    /// <summary>The version written.</summary>
    internal const uint Version = 3;

    /// <summary>The oldest version read: version 2 has no data section (data layers then start from the beginning).</summary>
    internal const uint OldestReadableVersion = 2;

    /// <summary>Bytes before the payload.</summary>
    internal const int HeaderBytes = 28;

    /// <summary>The weights section's tag.</summary>
    internal const string WeightsTag = "WGHT";

    /// <summary>The solver-state section's tag.</summary>
    internal const string SolverTag = "SOLV";

    /// <summary>The random-generator section's tag.</summary>
    internal const string RandomTag = "RAND";

    /// <summary>The data-position section's tag (version 3).</summary>
    internal const string DataTag = "DATA";

    /// <summary>The element-type code of <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException">Neither float nor double.</exception>
    internal static uint ElementCode<T>() =>
        typeof(T) == typeof(float) ? 1u
        : typeof(T) == typeof(double) ? 2u
        : throw new NotSupportedException($"snapshots hold float32 or float64 elements, not {typeof(T).Name}");

    /// <summary>The name of an element-type code.</summary>
    internal static string ElementName(uint code) => code switch
    {
        1 => "float32",
        2 => "float64",
        _ => $"unknown ({code})",
    };

    /// <summary>A shape as numpy prints it, e.g. (5, 6).</summary>
    internal static string ShapeText(IReadOnlyList<int> shape) =>
        shape.Count == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
}

/// <summary>Writes payload fields to a stream, keeping the CRC-32 and the length of what went through.</summary>
internal sealed class SnapshotWriter(Stream stream, bool checksum = true)
{
    private readonly Crc32? crc = checksum ? new Crc32() : null;

    /// <summary>Bytes written.</summary>
    internal long Length { get; private set; }

    /// <summary>The CRC-32 of the bytes written.</summary>
    internal uint Checksum => crc?.Value ?? 0;

    internal void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        stream.Write(bytes);
        crc?.Append(bytes);
        Length += bytes.Length;
    }

    internal void WriteInt32(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        WriteBytes(b);
    }

    internal void WriteUInt64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        WriteBytes(b);
    }

    internal void WriteSingle(float value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        WriteBytes(b);
    }

    internal void WriteString(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        WriteInt32(bytes.Length);
        WriteBytes(bytes);
    }

    internal void WriteShape(IReadOnlyList<int> shape)
    {
        WriteInt32(shape.Count);
        foreach (int d in shape)
        {
            WriteInt32(d);
        }
    }

    internal void WriteValues<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("snapshots are written on little-endian machines only");
        }

        WriteBytes(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Writes a section: its tag, the length of what <paramref name="body"/> writes, then that.</summary>
    internal void WriteSection(string tag, Action<SnapshotWriter> body)
    {
        var measure = new SnapshotWriter(Stream.Null, checksum: false);
        body(measure);
        WriteBytes(Encoding.ASCII.GetBytes(tag));
        WriteUInt64((ulong)measure.Length);
        long before = Length;
        body(this);
        if (Length - before != measure.Length)
        {
            throw new InvalidOperationException($"section {tag} wrote {Length - before} bytes, measured {measure.Length}");
        }
    }
}

/// <summary>Reads payload fields from memory; anything out of bounds or malformed is an <see cref="InvalidDataException"/>.</summary>
internal sealed class SnapshotReader(string path, ReadOnlyMemory<byte> bytes)
{
    private int position;

    /// <summary>Whether every byte was read.</summary>
    internal bool AtEnd => position == bytes.Length;

    internal InvalidDataException Error(string what) => new($"{path}: {what}");

    internal ReadOnlySpan<byte> ReadBytes(long count, string what)
    {
        if (count < 0 || count > bytes.Length - position)
        {
            throw Error($"malformed snapshot: {what} needs {count} bytes at payload offset {position}, {bytes.Length - position} left");
        }

        var span = bytes.Span.Slice(position, (int)count);
        position += (int)count;
        return span;
    }

    internal int ReadInt32(string what) => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4, what));

    internal ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8, what));

    internal float ReadSingle(string what) => BinaryPrimitives.ReadSingleLittleEndian(ReadBytes(4, what));

    internal int ReadCount(string what, int max = int.MaxValue)
    {
        int n = ReadInt32(what);
        return n < 0 || n > max ? throw Error($"malformed snapshot: {what} is {n}") : n;
    }

    internal string ReadString(string what)
    {
        int n = ReadCount($"{what} length");
        try
        {
            return new UTF8Encoding(false, true).GetString(ReadBytes(n, what));
        }
        catch (DecoderFallbackException)
        {
            throw Error($"malformed snapshot: {what} is not UTF-8");
        }
    }

    internal int[] ReadShape(string what)
    {
        int axes = ReadCount($"{what}: number of axes", 32);
        var shape = new int[axes];
        for (int i = 0; i < axes; i++)
        {
            shape[i] = ReadCount($"{what}: axis {i}");
        }

        return shape;
    }

    internal T[] ReadValues<T>(long count, string what)
        where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        var raw = ReadBytes(count * size, what);
        return MemoryMarshal.Cast<byte, T>(raw).ToArray();
    }

    /// <summary>Reads a section's tag and length and returns a reader over its content.</summary>
    internal SnapshotReader ReadSection(string tag)
    {
        string found = Encoding.ASCII.GetString(ReadBytes(4, $"section tag {tag}"));
        if (found != tag)
        {
            throw Error($"malformed snapshot: expected section {tag}, found '{found}'");
        }

        ulong length = ReadUInt64($"section {tag} length");
        if (length > (ulong)(bytes.Length - position))
        {
            throw Error($"malformed snapshot: section {tag} announces {length} bytes, {bytes.Length - position} left");
        }

        var content = bytes.Slice(position, (int)length);
        position += (int)length;
        return new SnapshotReader(path, content);
    }

    /// <summary>Refuses content left over in a section.</summary>
    internal void ExpectEnd(string tag)
    {
        if (!AtEnd)
        {
            throw Error($"malformed snapshot: {bytes.Length - position} unread bytes at the end of section {tag}");
        }
    }
}
