using System.Numerics;
using Crema.Blas;
using Crema.Solvers;
using Crema.Tests.Blas;

namespace Crema.Tests.Solvers;

/// <summary>
/// The CPU twin of the SGD step kernels: the fused update against the former sequence of BLAS calls (scale, axpy,
/// axpby, copy, Blob.Update) and against a plain per-element loop, bit for bit; the clipping scale against
/// hand-computed norms, also with iter_size; the double sum of squares.
/// </summary>
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class SgdCpuTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T Momentum = T.CreateTruncating(0.9f);
    private static readonly T Decay = T.CreateTruncating(0.01f * 1.5f);
    private static readonly T Rate = T.CreateTruncating(0.05f * 2f);

    private static IEnumerable<TestCaseData> Variants()
    {
        foreach (bool decay in new[] { false, true })
        {
            foreach (bool momentum in new[] { false, true })
            {
                foreach (int n in new[] { 1, 7, 1003 })
                {
                    yield return new TestCaseData(decay, momentum, n);
                }
            }
        }
    }

    [TestCaseSource(nameof(Variants))]
    public void Update_WithScaleOne_EqualsTheFormerSequence_BitForBit(bool decay, bool momentum, int n)
    {
        var (data, diff, history) = Inputs(n, seed: n);
        T localDecay = decay ? Decay : T.Zero;
        T m = momentum ? Momentum : T.Zero;

        // The former ApplyUpdate and Net.Update on the CPU: axpy (decay), axpby (momentum), copy, data −= diff.
        var (oldData, oldDiff, oldHistory) = (data.ToArray(), diff.ToArray(), history.ToArray());
        if (decay)
        {
            CpuMath.Axpy<T>(localDecay, oldData, oldDiff);
        }

        CpuMath.Axpby<T>(Rate, oldDiff, m, oldHistory);
        CpuMath.Copy<T>(oldHistory, oldDiff);
        CpuMath.Axpy<T>(-T.One, oldDiff, oldData);

        SgdCpu.Update(m, localDecay, Rate, T.One, applyUpdate: true, data, diff, history);

        BlasReference.AssertExactlyEqual<T>(history, oldHistory, "history");
        BlasReference.AssertExactlyEqual<T>(diff, oldDiff, "diff");
        BlasReference.AssertExactlyEqual<T>(data, oldData, "data");
    }

    [TestCaseSource(nameof(Variants))]
    public void Update_WithAScale_EqualsTheFormerSequenceUpToOneRounding(bool decay, bool momentum, int n)
    {
        // The former path scaled the diff twice (1 / iter_size, then the clipping factor); the fused one multiplies the
        // two factors first and rounds the diff once.
        var (data, diff, history) = Inputs(n, seed: n + 1);
        T localDecay = decay ? Decay : T.Zero;
        T m = momentum ? Momentum : T.Zero;
        double clipFactor = 0.37;
        var (oldData, oldDiff, oldHistory) = (data.ToArray(), diff.ToArray(), history.ToArray());
        CpuMath.Scal(T.CreateTruncating(1.0 / 3), oldDiff.AsSpan());
        CpuMath.Scal(T.CreateTruncating(clipFactor), oldDiff.AsSpan());
        if (decay)
        {
            CpuMath.Axpy<T>(localDecay, oldData, oldDiff);
        }

        CpuMath.Axpby<T>(Rate, oldDiff, m, oldHistory);
        CpuMath.Copy<T>(oldHistory, oldDiff);
        CpuMath.Axpy<T>(-T.One, oldDiff, oldData);

        SgdCpu.Update(m, localDecay, Rate, T.CreateTruncating(clipFactor / 3), applyUpdate: true, data, diff, history);

        double tolerance = typeof(T) == typeof(float) ? 1e-6 : 1e-15;
        TestData.AssertClose<T>(history, TestData.ToDouble<T>(oldHistory), tolerance, "history");
        TestData.AssertClose<T>(data, TestData.ToDouble<T>(oldData), tolerance, "data");
        BlasReference.AssertExactlyEqual<T>(diff, history, "diff holds the update");
    }

    [TestCaseSource(nameof(Variants))]
    public void Update_VectorBodyAndTail_EqualAPlainLoop_BitForBit(bool decay, bool momentum, int n)
    {
        var (data, diff, history) = Inputs(n, seed: 3 * n);
        T localDecay = decay ? Decay : T.Zero;
        T m = momentum ? Momentum : T.Zero;
        T scale = T.CreateTruncating(0.4321);
        var (refData, refDiff, refHistory) = (data.ToArray(), diff.ToArray(), history.ToArray());
        for (int i = 0; i < n; i++)
        {
            // kernels/sgd.cu's per-element operations, each rounded to T.
            T g = refDiff[i] * scale;
            if (decay)
            {
                g = (localDecay * refData[i]) + g;
            }

            T step = Rate * g;
            T h = momentum ? (m * refHistory[i]) + step : step;
            refHistory[i] = h;
            refDiff[i] = h;
            refData[i] -= h;
        }

        SgdCpu.Update(m, localDecay, Rate, scale, applyUpdate: true, data, diff, history);

        BlasReference.AssertExactlyEqual<T>(history, refHistory, "history");
        BlasReference.AssertExactlyEqual<T>(diff, refDiff, "diff");
        BlasReference.AssertExactlyEqual<T>(data, refData, "data");
    }

    [Test]
    public void Update_WithoutApply_LeavesTheDataAlone()
    {
        var (data, diff, history) = Inputs(37, seed: 5);
        var before = data.ToArray();

        SgdCpu.Update(Momentum, Decay, Rate, T.One, applyUpdate: false, data, diff, history);

        BlasReference.AssertExactlyEqual<T>(data, before, "data");
        BlasReference.AssertExactlyEqual<T>(diff, history, "diff holds the update");
    }

    [Test]
    public void Update_WithoutMomentum_DropsNaNHistory()
    {
        var (data, diff, _) = Inputs(19, seed: 6);
        var history = BlasReference.NaNs<T>(19);

        SgdCpu.Update(T.Zero, Decay, Rate, T.One, applyUpdate: true, data, diff, history);

        Assert.That(history.All(T.IsFinite), Is.True, "momentum 0 overwrites the history, as axpby with beta 0 did");
        Assert.That(data.All(T.IsFinite), Is.True);
    }

    [Test]
    public void Update_SpansOfDifferentLengths_Throw()
    {
        Assert.That(() => SgdCpu.Update(Momentum, Decay, Rate, T.One, true, new T[3], new T[3], new T[2]),
            Throws.ArgumentException.With.Message.Contains("but history has 2"));
        Assert.That(() => SgdCpu.Update(Momentum, Decay, Rate, T.One, true, new T[3], new T[4], new T[3]),
            Throws.ArgumentException.With.Message.Contains("but diff has 4"));
    }

    [Test]
    public void ClipScale_IsOneOverIterSize_WhenClippingIsOffOrTheNormIsSmall()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SgdCpu.ClipScale<T>([], -1, 3, out double offNorm), Is.EqualTo(T.CreateTruncating(1.0 / 3)));
            Assert.That(offNorm, Is.Zero);
            Assert.That(SgdCpu.ClipScale<T>([9, 16], 10, 1, out double norm), Is.EqualTo(T.One));
            Assert.That(norm, Is.EqualTo(5.0));
            Assert.That(SgdCpu.ClipScale<T>([9, 16], 5, 1, out _), Is.EqualTo(T.One), "a norm equal to the limit is kept");
        });
    }

    [Test]
    public void ClipScale_ScalesTheNormDownToTheLimit()
    {
        // W's diff all 3 (6 values), b's all 4 (2 values): ‖g‖ = √86.
        var scale = SgdCpu.ClipScale<T>([54, 32], 2, 1, out double norm);
        Assert.That(norm, Is.EqualTo(Math.Sqrt(86)));
        Assert.That(scale, Is.EqualTo(T.CreateTruncating(2 / Math.Sqrt(86))));
    }

    [Test]
    public void ClipScale_WithIterSize_ClipsTheAveragedGradient()
    {
        // Two passes with the same gradient accumulate 2g (squares 4·): the norm is that of the average g, and the
        // accumulated diff times the scale is g clipped exactly as one pass with iter_size 1 clips it.
        var accumulated = SgdCpu.ClipScale<T>([4 * 54, 4 * 32], 2, 2, out double norm);
        var single = SgdCpu.ClipScale<T>([54, 32], 2, 1, out _);
        Assert.That(norm, Is.EqualTo(Math.Sqrt(86)).Within(1e-15).Percent);
        Assert.That(double.CreateTruncating(T.CreateTruncating(2.0) * accumulated), Is.EqualTo(double.CreateTruncating(single)).Within(1e-4).Percent);
        Assert.That(() => SgdCpu.ClipScale<T>([], 1, 0, out _), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void SumsqToDouble_KeepsWhatTheElementTypeWouldRoundAway()
    {
        // 4096² + 3 = 2^24 + 3: not a float, but a double.
        var x = new[] { T.CreateTruncating(4096), T.One, T.One, T.One };
        Assert.That(SgdCpu.SumsqToDouble<T>(x), Is.EqualTo(16777219.0));

        var random = TestData.Uniform<T>(5000, seed: 11);
        double expected = 0;
        foreach (var v in random)
        {
            expected += double.CreateTruncating(v) * double.CreateTruncating(v);
        }

        Assert.That(SgdCpu.SumsqToDouble<T>(random), Is.EqualTo(expected).Within(1e-12).Percent);
        Assert.That(SgdCpu.SumsqToDouble<T>([]), Is.Zero);
    }

    private static (T[] Data, T[] Diff, T[] History) Inputs(int n, int seed) =>
        (TestData.Uniform<T>(n, seed, -1, 1), TestData.Uniform<T>(n, seed + 1000, -2, 2), TestData.Uniform<T>(n, seed + 2000, -0.5, 0.5));
}
