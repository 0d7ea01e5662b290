using Crema.Fillers;
using Crema.Layers;

namespace Crema.Tests.Layers;

/// <summary><see cref="EpochOrder.At"/>: the state reached by walking item by item, reached with one shuffle per epoch.</summary>
public class EpochOrderTests
{
    [Test]
    public void At_EqualsWalkingThatManyItems([Values] bool shuffle, [Values(0, 1, 4)] int epoch, [Values(0, 1, 6)] int position)
    {
        const int Count = 7;
        var walked = new EpochOrder(Count, shuffle ? new SeededRandom(17) : null);
        for (int i = 0; i < (epoch * Count) + position; i++)
        {
            walked.Next();
        }

        var placed = EpochOrder.At(Count, shuffle ? new SeededRandom(17) : null, epoch, position);

        Assert.That((placed.Epoch, placed.Position), Is.EqualTo((walked.Epoch, walked.Position)));
        int[] next = [.. Enumerable.Range(0, 3 * Count).Select(_ => placed.Next())];
        Assert.That(next, Is.EqualTo(Enumerable.Range(0, 3 * Count).Select(_ => walked.Next()).ToArray()), "the next three epochs' items");
    }

    [Test]
    public void At_RefusesAPositionOutsideTheItems()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => EpochOrder.At(5, null, 0, 5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("position"));
            Assert.That(() => EpochOrder.At(5, null, -1, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("epoch"));
        });
    }
}
