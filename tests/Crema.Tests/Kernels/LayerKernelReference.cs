using System.Numerics;
using System.Runtime.CompilerServices;

namespace Crema.Tests.Kernels;

/// <summary>
/// References for the ReLU, Euclidean-loss and accuracy kernels, computed the way the CPU layers compute them (in T),
/// and a comparison that wants the same bits (NaN matches any NaN: the GPU returns a canonical NaN, the CPU the input's).
/// </summary>
internal static class LayerKernelReference
{
    /// <summary>Seeded values in [-3, 3) with the special cases the kernels must pass through: ±0, ±inf, NaN, tiny values.</summary>
    internal static T[] WithSpecials<T>(int count, int seed)
        where T : IFloatingPointIeee754<T>
    {
        var values = TestData.Uniform<T>(count, seed);
        T[] specials = [T.Zero, T.NegativeZero, T.PositiveInfinity, T.NegativeInfinity, T.NaN, T.Epsilon, -T.Epsilon];
        for (int k = 0; k < specials.Length && k * 5 < count; k++)
        {
            values[k * 5] = specials[k];
        }

        return values;
    }

    internal static T[] ReLU<T>(T[] x, T slope)
        where T : IFloatingPointIeee754<T> => [.. x.Select(v => v > T.Zero ? v : slope * v)];

    internal static T[] ReLUGrad<T>(T[] x, T[] dy, T slope)
        where T : IFloatingPointIeee754<T> => [.. x.Select((v, i) => v > T.Zero ? dy[i] : slope * dy[i])];

    /// <summary>The accuracy kernel's label rule: saturating truncation; NaN and out-of-range labels are invalid (-2), ignored ones -1.</summary>
    internal static long LabelClass<T>(T label, long channels, int? ignore)
        where T : IFloatingPointIeee754<T>
    {
        if (T.IsNaN(label))
        {
            return -2;
        }

        int l = int.CreateSaturating(label);
        if (ignore == l)
        {
            return -1;
        }

        return l < 0 || l >= channels ? -2 : l;
    }

    /// <summary>Accuracy as the CPU layer defines it: (correct, counted) overall and per class, and the least invalid position (-1 for none).</summary>
    internal static (long Correct, long Counted, long[] CorrectPerClass, long[] CountPerClass, long BadPosition) Accuracy<T>(
        T[] scores, T[] labels, long outer, long channels, long inner, int topK, int? ignore)
        where T : IFloatingPointIeee754<T>
    {
        long correct = 0, counted = 0, bad = -1;
        var hit = new long[channels];
        var seen = new long[channels];
        for (long p = 0; p < outer * inner; p++)
        {
            long cls = LabelClass(labels[p], channels, ignore);
            if (cls == -2 && bad < 0)
            {
                bad = p;
            }

            if (cls < 0)
            {
                continue;
            }

            long i = p / inner, j = p % inner, baseIndex = (i * channels * inner) + j;
            T truth = scores[baseIndex + (cls * inner)];
            long better = 0;
            for (long c = 0; c < channels; c++)
            {
                if (scores[baseIndex + (c * inner)] > truth)
                {
                    better++;
                }
            }

            counted++;
            seen[cls]++;
            if (better < topK)
            {
                correct++;
                hit[cls]++;
            }
        }

        return (correct, counted, hit, seen, bad);
    }

    /// <summary>The same bits element by element, except that any NaN matches any NaN.</summary>
    internal static void AssertSameValues<T>(T[] actual, T[] expected, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < actual.Length; i++)
        {
            bool same = (T.IsNaN(actual[i]) && T.IsNaN(expected[i])) || Bits(actual[i]) == Bits(expected[i]);
            if (!same)
            {
                Assert.Fail($"{what}[{i}] = {actual[i]:R}, expected {expected[i]:R} bit for bit ({actual.Length} elements)");
            }
        }
    }

    private static ulong Bits<T>(T value)
        where T : unmanaged => Unsafe.SizeOf<T>() == 4 ? Unsafe.As<T, uint>(ref value) : Unsafe.As<T, ulong>(ref value);
}
