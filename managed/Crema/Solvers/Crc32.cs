namespace Crema.Solvers;

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and System.IO.Hashing.Crc32 compute it).</summary>
internal sealed class Crc32
{
    private static readonly uint[] Table = CreateTable();
    private uint state = 0xFFFFFFFFu;

    /// <summary>The checksum of everything appended so far.</summary>
    internal uint Value => ~state;

    /// <summary>The checksum of <paramref name="bytes"/>.</summary>
    internal static uint Compute(ReadOnlySpan<byte> bytes)
    {
        var crc = new Crc32();
        crc.Append(bytes);
        return crc.Value;
    }

    /// <summary>Adds <paramref name="bytes"/> to the checksum.</summary>
    internal void Append(ReadOnlySpan<byte> bytes)
    {
        uint c = state;
        foreach (byte b in bytes)
        {
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        state = c;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
