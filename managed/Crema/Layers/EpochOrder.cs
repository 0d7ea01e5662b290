using Crema.Fillers;

namespace Crema.Layers;

/// <summary>
/// The order a data layer visits its items in: 0, 1, …, n−1 in every epoch, or, with a generator, a fresh Fisher–Yates
/// permutation per epoch (the first drawn here, each next one as the previous epoch's last item is taken), so the whole
/// sequence is fixed by the generator's seed. Not thread-safe: one caller at a time.
/// </summary>
internal sealed class EpochOrder
{
    private readonly int[] order;
    private readonly SeededRandom? random;

    /// <summary>An order over <paramref name="count"/> items, shuffled per epoch when <paramref name="random"/> is given.</summary>
    public EpochOrder(int count, SeededRandom? random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }

        this.random = random;
        Shuffle();
    }

    /// <summary>
    /// The order as it stands after <paramref name="epoch"/> whole epochs and <paramref name="position"/> items of the
    /// next have been taken: the same state <c>epoch · count + position</c> calls of <see cref="Next"/> reach, with one
    /// shuffle per epoch instead of a walk over every item.
    /// </summary>
    public static EpochOrder At(int count, SeededRandom? random, int epoch, int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position, count);
        var order = new EpochOrder(count, random);
        for (int e = 0; e < epoch && random is not null; e++)
        {
            order.Shuffle();
        }

        order.Epoch = epoch;
        order.Position = position;
        return order;
    }

    /// <summary>The number of whole epochs taken so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>The number of items of the current epoch taken so far (0 at the start of an epoch).</summary>
    public int Position { get; private set; }

    /// <summary>The next item; after the last item of an epoch the next epoch starts (and is shuffled).</summary>
    public int Next()
    {
        int item = order[Position++];
        if (Position == order.Length)
        {
            Epoch++;
            Position = 0;
            Shuffle();
        }

        return item;
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) (Lemire's multiply-and-reject: no modulo bias).</summary>
    internal static int UniformBelow(SeededRandom random, int bound)
    {
        ulong range = (ulong)bound;
        ulong high = Math.BigMul(random.NextUInt64(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = (0 - range) % range;
            while (low < threshold)
            {
                high = Math.BigMul(random.NextUInt64(), range, out low);
            }
        }

        return (int)high;
    }

    private void Shuffle()
    {
        if (random is null)
        {
            return;
        }

        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = UniformBelow(random, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
