namespace Crema.IO;

/// <summary>An array read from an <c>.npy</c> file: its shape, its values converted to <typeparamref name="T"/>, and
/// the element type the file stored.</summary>
/// <param name="Shape">The dimensions; empty for a 0-d array (one value).</param>
/// <param name="Values">The values in C (row-major) order.</param>
/// <param name="StoredDType">The element type in the file.</param>
public sealed record NpyArray<T>(int[] Shape, T[] Values, NpyDType StoredDType)
{
    /// <summary>The shape as Python prints a tuple, e.g. <c>(4, 5)</c>.</summary>
    public string ShapeText => NpyHeader.FormatShape(Shape);
}
