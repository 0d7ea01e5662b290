using System.Numerics;
using Crema.Core;

namespace Crema.Tests.Core;

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class BlobTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [Test]
    public void Constructor_SetsShapeAndCount_WithoutAllocating()
    {
        using var blob = new Blob<T>(2, 3, 4, 5);

        Assert.That(blob.Shape, Is.EqualTo(new[] { 2, 3, 4, 5 }));
        Assert.That(blob.NumAxes, Is.EqualTo(4));
        Assert.That(blob.Count, Is.EqualTo(120));
        Assert.That(blob.ShapeString, Is.EqualTo("2 3 4 5 (120)"));
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.Uninitialized));
        Assert.That(blob.Data.HasCpuMemory, Is.False);
        Assert.That(blob.Diff.HasCpuMemory, Is.False);
    }

    [Test]
    public void DefaultBlob_IsEmpty_AndReshapeToNoAxesGivesOneElement()
    {
        using var blob = new Blob<T>();
        Assert.That(blob.Count, Is.Zero);
        Assert.That(blob.NumAxes, Is.Zero);

        blob.Reshape();
        Assert.That(blob.Count, Is.EqualTo(1), "a blob with no axes is a scalar");
    }

    [Test]
    public void FirstCpuAccess_AllocatesZeroFilledMemory()
    {
        using var blob = new Blob<T>(3, 7);

        var data = blob.CpuData;

        Assert.That(blob.Data.HasCpuMemory, Is.True);
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.HeadAtCpu));
        Assert.That(data.ToArray(), Is.All.EqualTo(T.Zero));
        Assert.That(blob.Diff.HasCpuMemory, Is.False, "the diff stays unallocated until it is touched");
    }

    [Test]
    public void Reshape_GrowsCapacity_ButShrinkingKeepsTheMemory()
    {
        using var blob = new Blob<T>(2, 3);
        var before = blob.Data;

        blob.Reshape(1, 3);
        Assert.That(blob.Data, Is.SameAs(before), "shrinking reuses the allocation");
        Assert.That(blob.Capacity, Is.EqualTo(6));

        blob.Reshape(4, 5);
        Assert.That(blob.Data, Is.Not.SameAs(before), "growing past the capacity reallocates");
        Assert.That(blob.Count, Is.EqualTo(20));
        Assert.That(blob.Capacity, Is.EqualTo(20));
    }

    [Test]
    public void ReshapeToZero_GivesAnEmptyBlobWhoseSpansAreEmpty()
    {
        using var blob = new Blob<T>(0, 5);

        Assert.That(blob.Count, Is.Zero);
        Assert.That(blob.CpuData.Length, Is.Zero);
        Assert.That(blob.AsumData(), Is.EqualTo(T.Zero));
    }

    [Test]
    public void ReshapeLike_TakesTheOtherShape()
    {
        using var source = new Blob<T>(4, 1, 2);
        using var blob = new Blob<T>(3);

        blob.ReshapeLike(source);

        Assert.That(blob.ShapeEquals(source), Is.True);
        Assert.That(blob.Count, Is.EqualTo(8));
    }

    [Test]
    public void NegativeDimension_Throws_NamingTheDimensionAndValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Blob<T>(2, -3, 4));
        Assert.That(e!.Message, Does.Contain("dimension 1").And.Contain("-3"));
    }

    [Test]
    public void OverflowingShape_Throws_NamingTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new Blob<T>(int.MaxValue, int.MaxValue, int.MaxValue));
        Assert.That(e!.Message, Does.Contain("2147483647, 2147483647, 2147483647"));
    }

    [Test]
    public void TooManyAxes_Throws()
    {
        var shape = Enumerable.Repeat(1, Blob<T>.MaxAxes + 1).ToArray();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Blob<T>(shape));
        Assert.That(e!.Message, Does.Contain("33"));
    }

    [Test]
    public void ShapeOverTwoToThe31_HasA64BitCount_AndRefusesASpanBeforeAllocating()
    {
        using var blob = new Blob<T>(65536, 65537);

        Assert.That(blob.Count, Is.EqualTo(65536L * 65537L));
        var e = Assert.Throws<InvalidOperationException>(() => _ = blob.CpuData.Length);
        Assert.That(e!.Message, Does.Contain("4295032832"));
        Assert.That(blob.Data.HasCpuMemory, Is.False, "nothing was allocated for the refused span");
    }

    [Test]
    public void CanonicalAxisIndex_CountsNegativeAxesFromTheEnd()
    {
        using var blob = new Blob<T>(2, 3, 4, 5);

        Assert.That(blob.CanonicalAxisIndex(-1), Is.EqualTo(3));
        Assert.That(blob.CanonicalAxisIndex(-4), Is.Zero);
        Assert.That(blob.ShapeAt(-2), Is.EqualTo(4));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => blob.CanonicalAxisIndex(4));
        Assert.That(e!.Message, Does.Contain("axis 4").And.Contain("4 axes"));
        Assert.Throws<ArgumentOutOfRangeException>(() => blob.CanonicalAxisIndex(-5));
    }

    [Test]
    public void CountBetween_And_Offset_FollowRowMajorLayout()
    {
        using var blob = new Blob<T>(2, 3, 4, 5);

        Assert.That(blob.CountBetween(1, 3), Is.EqualTo(12));
        Assert.That(blob.CountFrom(2), Is.EqualTo(20));
        Assert.That(blob.CountBetween(2, 2), Is.EqualTo(1));
        Assert.That(blob.Offset(1, 2, 3, 4), Is.EqualTo(119));
        Assert.That(blob.Offset(1), Is.EqualTo(60));
        Assert.Throws<ArgumentOutOfRangeException>(() => blob.Offset(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => blob.CountBetween(3, 1));
    }

    [Test]
    public void BlobMath_AsumSumsqAndScale_FollowCaffesCase()
    {
        using var blob = new Blob<T>(2, 3, 4, 5);
        Assert.That(blob.AsumData(), Is.EqualTo(T.Zero), "asum is 0 before the first write");
        Assert.That(blob.SumsqData(), Is.EqualTo(T.Zero));
        Assert.That(blob.AsumDiff(), Is.EqualTo(T.Zero));
        Assert.That(blob.SumsqDiff(), Is.EqualTo(T.Zero));
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.Uninitialized), "the reductions do not allocate");

        var values = TestData.Uniform<T>(120, seed: 1701);
        blob.SetData(values);
        double asum = values.Sum(v => Math.Abs(double.CreateTruncating(v)));
        double sumsq = values.Sum(v => double.CreateTruncating(v) * double.CreateTruncating(v));
        double tolerance = TestData.Tolerance<T>();
        TestData.AssertClose(double.CreateTruncating(blob.AsumData()), asum, tolerance, "asum data");
        TestData.AssertClose(double.CreateTruncating(blob.SumsqData()), sumsq, tolerance, "sumsq data");

        var diff = blob.MutableCpuDiff;
        var data = blob.CpuData;
        for (int i = 0; i < diff.Length; i++)
        {
            diff[i] = T.CreateTruncating(7) * data[i];
        }

        TestData.AssertClose(double.CreateTruncating(blob.AsumDiff()), 7 * asum, tolerance, "asum diff = 7 asum data");
        TestData.AssertClose(double.CreateTruncating(blob.SumsqDiff()), 49 * sumsq, tolerance, "sumsq diff = 49 sumsq data");

        blob.ScaleData(T.CreateTruncating(3));
        TestData.AssertClose(double.CreateTruncating(blob.AsumData()), 3 * asum, tolerance, "asum after scale 3");
        TestData.AssertClose(double.CreateTruncating(blob.SumsqData()), 9 * sumsq, tolerance, "sumsq after scale 3");
        blob.ScaleDiff(T.CreateTruncating(3));
        TestData.AssertClose(double.CreateTruncating(blob.AsumDiff()), 21 * asum, tolerance, "asum diff after scale 3");
    }

    [Test]
    public void ScaleBeforeFirstWrite_LeavesTheBlobUninitialized()
    {
        using var blob = new Blob<T>(4);
        blob.ScaleData(T.CreateTruncating(2));
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.Uninitialized));
    }

    [Test]
    public void Update_SubtractsDiffFromData()
    {
        using var blob = new Blob<T>(5, 3);
        var data = TestData.Uniform<T>(15, seed: 1);
        var diff = TestData.Uniform<T>(15, seed: 2);
        blob.SetData(data);
        blob.SetDiff(diff);

        blob.Update();

        var expected = data.Zip(diff, (d, g) => double.CreateTruncating(d - g)).ToArray();
        TestData.AssertClose<T>(blob.CpuData, expected, 0, "data after update");
        Assert.That(blob.GetDiff(), Is.EqualTo(diff), "update leaves the diff alone");
    }

    [Test]
    public void UpdateBeforeFirstWrite_DoesNothing()
    {
        using var blob = new Blob<T>(4);
        blob.Update();
        Assert.That(blob.Data.Head, Is.EqualTo(SyncedHead.Uninitialized));
    }

    [Test]
    public void ShareData_MakesBothBlobsSeeTheSameValues()
    {
        using var owner = new Blob<T>(2, 3);
        using var sharer = new Blob<T>(3, 2);
        owner.SetData(TestData.Uniform<T>(6, seed: 3));

        sharer.ShareData(owner);
        sharer.MutableCpuData[4] = T.CreateTruncating(42);

        Assert.That(owner.CpuData[4], Is.EqualTo(T.CreateTruncating(42)));
        Assert.That(sharer.Data, Is.SameAs(owner.Data));
        Assert.That(sharer.Diff, Is.Not.SameAs(owner.Diff), "ShareData leaves the diff separate");
    }

    [Test]
    public void ShareDiff_MakesBothBlobsSeeTheSameGradient()
    {
        using var owner = new Blob<T>(6);
        using var sharer = new Blob<T>(6);

        sharer.ShareDiff(owner);
        owner.MutableCpuDiff[0] = T.One;

        Assert.That(sharer.CpuDiff[0], Is.EqualTo(T.One));
        Assert.That(sharer.Data, Is.Not.SameAs(owner.Data));
    }

    [Test]
    public void ShareData_WithADifferentCount_Throws_NamingBothCounts()
    {
        using var a = new Blob<T>(2, 3);
        using var b = new Blob<T>(7);

        var e = Assert.Throws<ArgumentException>(() => a.ShareData(b));
        Assert.That(e!.Message, Does.Contain("6").And.Contain("7"));
    }

    [Test]
    public void SharedMemory_OutlivesTheBlobThatDisposedFirst()
    {
        var owner = new Blob<T>(4);
        using var sharer = new Blob<T>(4);
        owner.SetData(TestData.Uniform<T>(4, seed: 9));
        var expected = owner.GetData();
        sharer.ShareData(owner);

        owner.Dispose();

        Assert.That(sharer.GetData(), Is.EqualTo(expected));
    }

    [Test]
    public void CopyFrom_CopiesDataOrDiff_AndReshapesOnlyWhenAsked()
    {
        using var source = new Blob<T>(2, 2);
        source.SetData(TestData.Uniform<T>(4, seed: 5));
        source.SetDiff(TestData.Uniform<T>(4, seed: 6));
        using var target = new Blob<T>(3);

        var e = Assert.Throws<ArgumentException>(() => target.CopyFrom(source));
        Assert.That(e!.Message, Does.Contain("2 2 (4)").And.Contain("3 (3)"));

        target.CopyFrom(source, reshape: true);
        Assert.That(target.GetData(), Is.EqualTo(source.GetData()));
        target.CopyFrom(source, copyDiff: true);
        Assert.That(target.GetDiff(), Is.EqualTo(source.GetDiff()));
    }

    [Test]
    public void SetData_WithTheWrongLength_Throws_NamingBothLengths()
    {
        using var blob = new Blob<T>(3);
        var e = Assert.Throws<ArgumentException>(() => blob.SetData(new T[5]));
        Assert.That(e!.Message, Does.Contain("5").And.Contain("3"));
    }

    [Test]
    public void UseAfterDispose_ThrowsObjectDisposedException()
    {
        var blob = new Blob<T>(3);
        blob.Dispose();
        blob.Dispose();

        Assert.Throws<ObjectDisposedException>(() => _ = blob.Data);
        Assert.Throws<ObjectDisposedException>(() => blob.Reshape(4));
        Assert.Throws<ObjectDisposedException>(() => _ = blob.CpuData.Length);
        Assert.Throws<ObjectDisposedException>(() => blob.Update());
    }

    [Test]
    public void CpuMemory_IsNotPageLocked_OnTheCpuEngine()
    {
        using var blob = new Blob<T>(8);
        _ = blob.MutableCpuData;
        Assert.That(blob.Data.IsCpuMemoryPageLocked, Is.False);
    }
}

public class BlobTypeTests
{
    [Test]
    public void UnsupportedElementType_Throws_NamingTheType()
    {
        var e = Assert.Throws<NotSupportedException>(() => new Blob<Half>(2));
        Assert.That(e!.Message, Does.Contain("Half"));
    }
}
