using System.Globalization;
using System.Numerics;
using System.Text;

namespace Crema.IO;

/// <summary>The element types of the IDX format: the third byte of a file's magic.</summary>
public enum IdxElementType : byte
{
    /// <summary><c>0x08</c>: unsigned byte (MNIST's pixels and labels).</summary>
    UByte = 0x08,

    /// <summary><c>0x09</c>: signed byte.</summary>
    SByte = 0x09,

    /// <summary><c>0x0B</c>: 16-bit signed integer, big-endian.</summary>
    Int16 = 0x0B,

    /// <summary><c>0x0C</c>: 32-bit signed integer, big-endian.</summary>
    Int32 = 0x0C,

    /// <summary><c>0x0D</c>: IEEE single precision, big-endian.</summary>
    Float32 = 0x0D,

    /// <summary><c>0x0E</c>: IEEE double precision, big-endian.</summary>
    Float64 = 0x0E,
}

/// <summary>
/// An array read from an IDX file (<see cref="Idx"/>): its shape and its values in the stored element type, converted
/// to the machine's byte order. Axis 0 counts the items (images, labels); the other axes are one item's shape. Values
/// stay in the stored type (a ubyte file takes one byte per value) and are converted when copied out with
/// <see cref="CopyItems{T}"/> or <see cref="CopyElements{T}"/>. Immutable, so several threads may read it at once.
/// </summary>
public sealed class IdxArray
{
    private readonly int[] shape;
    private readonly Array values; // byte[], sbyte[], short[], int[], float[] or double[], by ElementType

    internal IdxArray(string sourceName, IdxElementType elementType, int[] shape, Array values)
    {
        SourceName = sourceName;
        ElementType = elementType;
        this.shape = shape;
        this.values = values;
        Count = values.LongLength;
        ItemSize = (int)ProductOfRest(shape); // the reader checked that it fits
    }

    /// <summary>The name errors give: the file's path as it was read.</summary>
    public string SourceName { get; }

    /// <summary>The element type stored in the file.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>The dimensions; at least one.</summary>
    public IReadOnlyList<int> Shape => shape;

    /// <summary>The number of items: dimension 0.</summary>
    public int ItemCount => shape[0];

    /// <summary>The shape of one item: the dimensions after the first (empty for a 1-d file such as labels).</summary>
    public IReadOnlyList<int> ItemShape => shape[1..];

    /// <summary>Values per item: the product of <see cref="ItemShape"/> (1 for a 1-d file).</summary>
    public int ItemSize { get; }

    /// <summary>Number of values: the product of the dimensions.</summary>
    public long Count { get; }

    /// <summary>The shape as Python prints a tuple: <c>(60000, 28, 28)</c>, <c>(10000,)</c>.</summary>
    public string ShapeText => FormatShape(shape);

    /// <summary>The format's name of the element type: ubyte, sbyte, int16, int32, float32 or float64.</summary>
    public string ElementTypeName => NameOf(ElementType);

    /// <summary>The stored values as a span of <typeparamref name="TElement"/>, which must be the stored type.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="TElement"/> is not the stored element type.</exception>
    public ReadOnlySpan<TElement> Values<TElement>()
        where TElement : unmanaged =>
        values.GetType() == typeof(TElement[]) // exact: an sbyte[] also passes `is byte[]`
            ? (TElement[])values
            : throw new InvalidOperationException(
                $"{SourceName} holds {ElementTypeName} values, not {typeof(TElement).Name}");

    /// <summary>The value at flat index <paramref name="index"/> (C order) as a double.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, <see cref="Count"/>).</exception>
    public double this[long index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            Span<double> one = stackalloc double[1];
            CopyElements(index, one, 1.0, 0.0);
            return one[0];
        }
    }

    /// <summary>
    /// Copies items [<paramref name="firstItem"/>, <paramref name="firstItem"/> + <paramref name="itemCount"/>) into the
    /// start of <paramref name="destination"/>, each value converted to <typeparamref name="T"/> and multiplied by
    /// <paramref name="scale"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the items.</exception>
    /// <exception cref="ArgumentException">The destination is shorter than the range's values.</exception>
    public void CopyItems<T>(int firstItem, int itemCount, Span<T> destination, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (firstItem < 0 || itemCount < 0 || firstItem > ItemCount - itemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(firstItem),
                $"items [{firstItem}, {firstItem}+{itemCount}) are outside the {ItemCount} items of {SourceName}");
        }

        long length = (long)itemCount * ItemSize;
        if (destination.Length < length)
        {
            throw new ArgumentException(
                $"{itemCount} items of {SourceName} are {length} values; the destination holds {destination.Length}",
                nameof(destination));
        }

        CopyElements((long)firstItem * ItemSize, destination[..(int)length], scale, T.Zero);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the values from flat index <paramref name="start"/> on, each converted
    /// to <typeparamref name="T"/> as <c>(value − subtract) · scale</c> (Caffe's transform with a mean).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the values.</exception>
    public void CopyElements<T>(long start, Span<T> destination, T scale, T subtract)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (start < 0 || start > Count - destination.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"values [{start}, {start}+{destination.Length}) are outside the {Count} values of {SourceName}");
        }

        int from = (int)start; // Count never exceeds Array.MaxLength
        int length = destination.Length;

        // By the element type, not the array's runtime type: the runtime lets an sbyte[] pass for a byte[].
        switch (ElementType)
        {
            case IdxElementType.UByte:
                Convert(((byte[])values).AsSpan(from, length), destination, scale, subtract);
                break;
            case IdxElementType.SByte:
                Convert(((sbyte[])values).AsSpan(from, length), destination, scale, subtract);
                break;
            case IdxElementType.Int16:
                Convert(((short[])values).AsSpan(from, length), destination, scale, subtract);
                break;
            case IdxElementType.Int32:
                Convert(((int[])values).AsSpan(from, length), destination, scale, subtract);
                break;
            case IdxElementType.Float32:
                Convert(((float[])values).AsSpan(from, length), destination, scale, subtract);
                break;
            default:
                Convert(((double[])values).AsSpan(from, length), destination, scale, subtract);
                break;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"IDX {ElementTypeName} {ShapeText} ({SourceName})";

    /// <summary>The format's name of an element type.</summary>
    public static string NameOf(IdxElementType type) => type switch
    {
        IdxElementType.UByte => "ubyte",
        IdxElementType.SByte => "sbyte",
        IdxElementType.Int16 => "int16",
        IdxElementType.Int32 => "int32",
        IdxElementType.Float32 => "float32",
        IdxElementType.Float64 => "float64",
        _ => $"0x{(byte)type:X2}",
    };

    /// <summary>Bytes per value of an element type.</summary>
    public static int SizeOf(IdxElementType type) => type switch
    {
        IdxElementType.UByte or IdxElementType.SByte => 1,
        IdxElementType.Int16 => 2,
        IdxElementType.Int32 or IdxElementType.Float32 => 4,
        IdxElementType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), $"not an IDX element type: 0x{(byte)type:X2}"),
    };

    /// <summary>Formats a shape as Python prints a tuple (as .npy headers do).</summary>
    internal static string FormatShape(IReadOnlyList<int> dims) => NpyHeader.FormatShape(dims);

    private static long ProductOfRest(int[] dims)
    {
        long product = 1;
        for (int i = 1; i < dims.Length; i++)
        {
            product *= dims[i];
        }

        return product;
    }

    private static void Convert<TSource, T>(ReadOnlySpan<TSource> source, Span<T> destination, T scale, T subtract)
        where TSource : unmanaged, INumberBase<TSource>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = (T.CreateTruncating(source[i]) - subtract) * scale;
        }
    }
}
