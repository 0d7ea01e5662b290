using System.Buffers.Binary;
using System.IO.Compression;
using Crema.IO;

namespace Crema.Tests.IO;

/// <summary>
/// Builds IDX files byte by byte as the format description lays them out (magic 00 00 type ndims, big-endian sizes,
/// big-endian values), independently of the reader, plus gzip and temp-folder helpers.
/// </summary>
internal static class IdxBytes
{
    /// <summary>The header: <c>00 00 type ndims</c> and one big-endian 32-bit size per dimension.</summary>
    internal static byte[] Header(byte type, params uint[] dims)
    {
        var bytes = new byte[4 + (4 * dims.Length)];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        return bytes;
    }

    /// <summary>A whole file: the header for <paramref name="dims"/> and the values of <paramref name="type"/>, big-endian.</summary>
    internal static byte[] File(IdxElementType type, int[] dims, double[] values) =>
        [.. Header((byte)type, [.. dims.Select(d => (uint)d)]), .. Values(type, values)];

    /// <summary>A ubyte file.</summary>
    internal static byte[] UByteFile(int[] dims, byte[] values) => [.. Header(0x08, [.. dims.Select(d => (uint)d)]), .. values];

    /// <summary>The values as <paramref name="type"/>, big-endian.</summary>
    internal static byte[] Values(IdxElementType type, double[] values)
    {
        int size = IdxArray.SizeOf(type);
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var at = bytes.AsSpan(i * size, size);
            switch (type)
            {
                case IdxElementType.UByte:
                    at[0] = (byte)values[i];
                    break;
                case IdxElementType.SByte:
                    at[0] = unchecked((byte)(sbyte)values[i]);
                    break;
                case IdxElementType.Int16:
                    BinaryPrimitives.WriteInt16BigEndian(at, (short)values[i]);
                    break;
                case IdxElementType.Int32:
                    BinaryPrimitives.WriteInt32BigEndian(at, (int)values[i]);
                    break;
                case IdxElementType.Float32:
                    BinaryPrimitives.WriteSingleBigEndian(at, (float)values[i]);
                    break;
                default:
                    BinaryPrimitives.WriteDoubleBigEndian(at, values[i]);
                    break;
            }
        }

        return bytes;
    }

    /// <summary>gzip-compressed bytes.</summary>
    internal static byte[] Gzip(byte[] raw)
    {
        if (raw.Length == 0)
        {
            // GZipStream writes nothing at all for no input; this is a complete gzip member holding zero bytes.
            return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        }

        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(raw);
        }

        return output.ToArray();
    }

    /// <summary>Writes <paramref name="content"/> (gzip-compressed when <paramref name="gzip"/>) to folder/name; returns the path.</summary>
    internal static string Write(string folder, string name, byte[] content, bool gzip = false)
    {
        string path = Path.Combine(folder, name);
        System.IO.File.WriteAllBytes(path, gzip ? Gzip(content) : content);
        return path;
    }

    /// <summary>A new empty folder under the temp folder.</summary>
    internal static string NewTempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "crema-idx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
