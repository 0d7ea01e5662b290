using System.Numerics;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>Shape helpers the layers share: canonical axes with errors that name the layer, and int dimensions.</summary>
internal static class LayerShapes
{
    /// <summary>"(a, b, c)".</summary>
    public static string Text(IReadOnlyList<int> shape) => $"({string.Join(", ", shape)})";

    /// <summary>The non-negative axis for <paramref name="axis"/> of <paramref name="blob"/>; <paramref name="field"/> names the setting.</summary>
    public static int CanonicalAxis<T>(Blob<T> blob, int axis, string field, Layer<T> layer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (axis < -blob.NumAxes || axis >= blob.NumAxes)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis,
                $"{layer}: {field} {axis} is out of range for a bottom of shape {Text(blob.Shape)} with {blob.NumAxes} axes");
        }

        return axis < 0 ? axis + blob.NumAxes : axis;
    }

    /// <summary>A BlobShape as int dimensions, checked to be non-negative and to fit an int.</summary>
    public static int[] Dims<T>(BlobShape shape, string field, Layer<T> layer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dims = new int[shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            long d = shape.Dim[i];
            if (d < 0 || d > int.MaxValue)
            {
                throw new ArgumentException($"{layer}: {field} {shape} has dimension {i} = {d} outside [0, {int.MaxValue}]");
            }

            dims[i] = (int)d;
        }

        return dims;
    }

    /// <summary><paramref name="value"/> as an int for BLAS, or an error naming what it is.</summary>
    public static int ToInt<T>(long value, string what, Layer<T> layer)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        value <= int.MaxValue
            ? (int)value
            : throw new ArgumentException($"{layer}: {what} = {value} exceeds {int.MaxValue}, the largest BLAS dimension");
}
