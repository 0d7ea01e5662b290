using System.Numerics;

namespace Crema.Net;

/// <summary>
/// The largest element-wise relative difference between two tensors of the same length, and where it is.
/// </summary>
/// <param name="MaxRelative">The largest relative difference (0 for empty or equal tensors; +∞ where one side is NaN
/// or an infinity and the other is not the same value).</param>
/// <param name="Index">The flat index of that element (-1 for an empty tensor or one without any difference).</param>
/// <param name="Reference">The reference value there (0 when <paramref name="Index"/> is -1).</param>
/// <param name="Candidate">The candidate value there (0 when <paramref name="Index"/> is -1).</param>
public readonly record struct ElementDifference(double MaxRelative, long Index, double Reference, double Candidate)
{
    /// <summary>No difference at all.</summary>
    public static ElementDifference None => new(0, -1, 0, 0);
}

/// <summary>
/// The relative difference <c>crema check</c> and <see cref="NetComparison"/> use:
/// <c>|a − b| / max(|a|, |b|, floor · s)</c>, where <c>s</c> is the largest magnitude in either tensor and
/// <c>floor</c> a fraction (default <see cref="DefaultFloor"/>). Elements that are large compare relatively; elements
/// much smaller than the tensor's largest one compare on the tensor's scale, so the rounding of a cancellation
/// (a gradient <c>p − 1</c> with <c>p</c> near 1, a sum of terms of both signs near 0) does not read as a large
/// relative error. <c>floor = 1</c> makes it normwise: <c>|a − b| / s</c>. Two NaNs, or two equal infinities, count as
/// equal; a NaN or infinity against anything else is +∞.
/// </summary>
public static class RelativeDifference
{
    /// <summary>The default floor: elements below 1% of a tensor's largest magnitude compare on that 1%.</summary>
    public const double DefaultFloor = 1e-2;

    /// <summary>The relative difference of one pair with an absolute floor <paramref name="absoluteFloor"/> (≥ 0).</summary>
    public static double Of(double reference, double candidate, double absoluteFloor)
    {
        if (reference.Equals(candidate))
        {
            // Equal values, two NaNs (Equals treats NaN as equal to NaN) or the same infinity.
            return 0;
        }

        if (!double.IsFinite(reference) || !double.IsFinite(candidate))
        {
            return double.PositiveInfinity;
        }

        double scale = Math.Max(Math.Max(Math.Abs(reference), Math.Abs(candidate)), absoluteFloor);
        return scale == 0 ? 0 : Math.Abs(reference - candidate) / scale;
    }

    /// <summary>
    /// The largest relative difference between <paramref name="reference"/> and <paramref name="candidate"/>, with the
    /// absolute floor <paramref name="floor"/> times the largest finite magnitude in either span.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="floor"/> is negative or not finite.</exception>
    public static ElementDifference Max<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> candidate, double floor = DefaultFloor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reference.Length != candidate.Length)
        {
            throw new ArgumentException(
                $"the tensors differ in length: {reference.Length} (reference) and {candidate.Length} (candidate)", nameof(candidate));
        }

        if (!double.IsFinite(floor) || floor < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(floor), floor, "the floor must be a finite number ≥ 0");
        }

        double largest = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            largest = MaxFinite(largest, double.CreateChecked(reference[i]));
            largest = MaxFinite(largest, double.CreateChecked(candidate[i]));
        }

        double absoluteFloor = floor * largest;
        var worst = ElementDifference.None;
        for (int i = 0; i < reference.Length; i++)
        {
            double a = double.CreateChecked(reference[i]);
            double b = double.CreateChecked(candidate[i]);
            double relative = Of(a, b, absoluteFloor);
            if (relative > worst.MaxRelative)
            {
                worst = new ElementDifference(relative, i, a, b);
            }
        }

        return worst;
    }

    private static double MaxFinite(double largest, double value) =>
        double.IsFinite(value) ? Math.Max(largest, Math.Abs(value)) : largest;
}
