using System.Globalization;
using System.Text;

namespace Crema.IO;

/// <summary>The element types <see cref="Npy"/> reads (all little-endian); it writes the two floating-point ones.</summary>
public enum NpyDType
{
    /// <summary><c>&lt;f4</c>: IEEE single precision.</summary>
    Float32,

    /// <summary><c>&lt;f8</c>: IEEE double precision.</summary>
    Float64,

    /// <summary><c>&lt;i4</c>: 32-bit signed integer.</summary>
    Int32,

    /// <summary><c>&lt;i8</c>: 64-bit signed integer.</summary>
    Int64,
}

/// <summary>What the header of an <c>.npy</c> file says: format version, element type and shape (C order).</summary>
/// <param name="Version">The format's major version: 1, 2 or 3 (the minor version is always 0).</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The dimensions; empty for a 0-d array (a scalar, one element).</param>
/// <param name="DataOffset">Where the data starts: the size of the magic, version, length field and header.</param>
public sealed record NpyHeader(int Version, NpyDType DType, IReadOnlyList<int> Shape, long DataOffset)
{
    /// <summary>Number of elements: the product of the dimensions (1 for a 0-d array).</summary>
    public long Count => Shape.Aggregate(1L, (product, dim) => product * dim);

    /// <summary>Bytes per element.</summary>
    public int ItemSize => ItemSizeOf(DType);

    /// <summary>Bytes of data the shape needs.</summary>
    public long DataBytes => Count * ItemSize;

    /// <summary>numpy's name of the element type, e.g. <c>&lt;f4</c>.</summary>
    public string Descr => DescrOf(DType);

    /// <summary>The shape as Python prints a tuple: <c>()</c>, <c>(5,)</c>, <c>(4, 5, 2, 3)</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static int ItemSizeOf(NpyDType type) => type is NpyDType.Float32 or NpyDType.Int32 ? 4 : 8;

    internal static string DescrOf(NpyDType type) => type switch
    {
        NpyDType.Float32 => "<f4",
        NpyDType.Float64 => "<f8",
        NpyDType.Int32 => "<i4",
        _ => "<i8",
    };

    /// <summary>Formats a shape as Python prints a tuple: <c>()</c>, <c>(5,)</c>, <c>(4, 5, 2, 3)</c>.</summary>
    public static string FormatShape(IReadOnlyList<int> shape)
    {
        var text = new StringBuilder("(");
        for (int i = 0; i < shape.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return text.Append(shape.Count == 1 ? ",)" : ")").ToString();
    }
}
