using System.Buffers.Binary;
using System.Text;

namespace Crema.Tests.IO;

/// <summary>
/// Builds .npy files byte by byte, independently of <c>Crema.IO.Npy</c>'s writer, so the reader is tested on content
/// laid out as the format description says (and as numpy 1.24 writes it), including content numpy never writes.
/// </summary>
internal static class NpyBytes
{
    internal static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>A header dict as numpy writes it, e.g. <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>.</summary>
    internal static string Dict(string descr, string shape, string fortran = "False") =>
        $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}";

    /// <summary>The whole file: magic, version, header length, the header padded to 64 bytes with a newline, then data.</summary>
    internal static byte[] File(string dict, byte[] data, int major = 1, int minor = 0)
    {
        int lengthBytes = major == 1 ? 2 : 4;
        int prefix = 8 + lengthBytes;
        int headerBytes = (((prefix + dict.Length + 1 + 63) / 64) * 64) - prefix;
        var bytes = new List<byte>(Magic) { (byte)major, (byte)minor };
        var length = new byte[lengthBytes];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)headerBytes);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)headerBytes);
        }

        bytes.AddRange(length);
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(dict.PadRight(headerBytes - 1) + "\n");
        bytes.AddRange(header);
        bytes.AddRange(data);
        return [.. bytes];
    }

    internal static byte[] Float32(params float[] values) => Encode(values, 4, (s, v) => BinaryPrimitives.WriteSingleLittleEndian(s, v));

    internal static byte[] Float64(params double[] values) => Encode(values, 8, (s, v) => BinaryPrimitives.WriteDoubleLittleEndian(s, v));

    internal static byte[] Int32(params int[] values) => Encode(values, 4, (s, v) => BinaryPrimitives.WriteInt32LittleEndian(s, v));

    internal static byte[] Int64(params long[] values) => Encode(values, 8, (s, v) => BinaryPrimitives.WriteInt64LittleEndian(s, v));

    /// <summary>An int32 .npy file (Crema writes only float32/float64; label files are often integers).</summary>
    internal static void WriteInt32(string path, int[] shape, int[] values) =>
        System.IO.File.WriteAllBytes(path, File(Dict("<i4", ShapeText(shape)), Int32(values)));

    internal static string ShapeText(int[] shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";

    private delegate void Writer<T>(Span<byte> target, T value);

    private static byte[] Encode<T>(T[] values, int size, Writer<T> write)
    {
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            write(bytes.AsSpan(i * size), values[i]);
        }

        return bytes;
    }
}
