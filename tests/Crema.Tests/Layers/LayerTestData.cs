using System.Numerics;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>Seeded inputs for the layer tests: Gaussian logits (Box-Muller), integer labels, blobs made from them.</summary>
internal static class LayerTestData
{
    /// <summary><paramref name="count"/> draws from N(<paramref name="mean"/>, <paramref name="std"/>²), Box-Muller on a seeded <see cref="Random"/>.</summary>
    internal static double[] Gaussian(long count, int seed, double mean = 0, double std = 1)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (long i = 0; i < count; i += 2)
        {
            double u1 = 1.0 - random.NextDouble(); // (0, 1]: the log stays finite
            double u2 = random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] = mean + (std * radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < count)
            {
                values[i + 1] = mean + (std * radius * Math.Sin(2 * Math.PI * u2));
            }
        }

        return values;
    }

    /// <summary><paramref name="count"/> integral labels drawn uniformly from [0, <paramref name="classes"/>).</summary>
    internal static double[] Labels(long count, int classes, int seed)
    {
        var random = new Random(seed);
        var values = new double[count];
        for (long i = 0; i < count; i++)
        {
            values[i] = random.Next(classes);
        }

        return values;
    }

    /// <summary>A blob of <paramref name="shape"/> holding <paramref name="values"/> (rounded to T).</summary>
    internal static Blob<T> Blob<T>(int[] shape, double[] values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var blob = new Blob<T>(shape);
        Assert.That(values, Has.Length.EqualTo(blob.Count), $"values for shape ({string.Join(", ", shape)})");
        blob.SetData(Cast<T>(values));
        return blob;
    }

    internal static T[] Cast<T>(double[] values)
        where T : IFloatingPointIeee754<T>
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateTruncating(values[i]);
        }

        return result;
    }

    /// <summary>The values as T would hold them, back in double (what a reference computed from T inputs sees).</summary>
    internal static double[] RoundTo<T>(double[] values)
        where T : IFloatingPointIeee754<T> => TestData.ToDouble<T>(Cast<T>(values));

    /// <summary>A SoftmaxWithLoss parameter; <paramref name="configure"/> sets the loss fields.</summary>
    internal static LayerParameter SoftmaxWithLoss(Action<LossParameter>? configure = null, float? lossWeight = null, int? axis = null)
    {
        var param = new LayerParameter { Name = "loss", Type = "SoftmaxWithLoss" };
        configure?.Invoke(param.LossParam);
        if (lossWeight is float weight)
        {
            param.LossWeight.Add(weight);
        }

        if (axis is int a)
        {
            param.SoftmaxParam.Axis = a;
        }

        return param;
    }

    /// <summary>A Softmax parameter along <paramref name="axis"/>.</summary>
    internal static LayerParameter Softmax(int axis = 1) =>
        new() { Name = "prob", Type = "Softmax", SoftmaxParam = { Axis = axis } };

    /// <summary>"(a, b, c)": how the tests print a shape.</summary>
    internal static string ShapeText(IReadOnlyList<int> shape) => $"({string.Join(", ", shape)})";

    /// <summary>
    /// Asserts that <paramref name="message"/> names <paramref name="shape"/>, written with commas ("10, 5, 2, 3") or
    /// spaces ("10 5 2 3"), the two forms the library uses.
    /// </summary>
    internal static void AssertNamesShape(string message, IReadOnlyList<int> shape, string what)
    {
        string commas = string.Join(", ", shape);
        string spaces = string.Join(" ", shape);
        Assert.That(message.Contains(commas, StringComparison.Ordinal) || message.Contains(spaces, StringComparison.Ordinal), Is.True,
            $"the message should name the {what} shape ({commas}): \"{message}\"");
    }
}
