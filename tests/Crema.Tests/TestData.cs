using System.Numerics;

namespace Crema.Tests;

/// <summary>Seeded random inputs and float64 reference helpers shared by the tests.</summary>
internal static class TestData
{
    /// <summary>
    /// A file under examples/, from the copy beside the test binaries (the csproj copies examples/**/*.prototxt), so it
    /// is found in the self-contained publish that runs on the GPU machine outside the repository too.
    /// </summary>
    internal static string ExampleFile(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "examples", .. parts]);

    /// <summary>Sizes every element-wise op and reduction is checked on: empty, one, odd, around SIMD widths,
    /// and past the parallel threshold of the CPU path.</summary>
    internal static readonly int[] Sizes = [0, 1, 2, 3, 7, 16, 17, 31, 64, 65, 1000, 4099, 65537, 300001, 1_048_583];

    internal static T[] Uniform<T>(int count, int seed, double low = -3, double high = 3)
        where T : IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = T.CreateTruncating(low + ((high - low) * random.NextDouble()));
        }

        return values;
    }

    internal static double[] ToDouble<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.CreateTruncating(values[i]);
        }

        return result;
    }

    /// <summary>Relative tolerance for comparing a result in T against a float64 reference.</summary>
    internal static double Tolerance<T>() => typeof(T) == typeof(float) ? 2e-5 : 1e-12;

    /// <summary>|actual − expected| ≤ tolerance · max(1, |expected|), per element, with the index in the message.</summary>
    internal static void AssertClose<T>(ReadOnlySpan<T> actual, ReadOnlySpan<double> expected, double tolerance, string what = "")
        where T : IFloatingPointIeee754<T>
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what} length");
        for (int i = 0; i < actual.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            double bound = tolerance * Math.Max(1.0, Math.Abs(expected[i]));
            if (!(Math.Abs(a - expected[i]) <= bound))
            {
                Assert.Fail($"{what}[{i}] = {a:R}, expected {expected[i]:R} (tolerance {bound:G3}, length {actual.Length})");
            }
        }
    }

    /// <summary>Scalar comparison with the same rule as <see cref="AssertClose{T}(ReadOnlySpan{T}, ReadOnlySpan{double}, double, string)"/>.</summary>
    internal static void AssertClose(double actual, double expected, double tolerance, string what = "")
    {
        double bound = tolerance * Math.Max(1.0, Math.Abs(expected));
        Assert.That(Math.Abs(actual - expected), Is.LessThanOrEqualTo(bound), $"{what}: {actual:R} vs expected {expected:R}");
    }
}
