namespace Crema.Fillers;

/// <summary>
/// xoshiro256** seeded through splitmix64: the one generator every filler draws from, in managed code on the host, so
/// a CPU run and a GPU run with the same seed start from identical numbers. Not thread-safe; <see cref="Global"/> is
/// guarded by a lock.
/// </summary>
public sealed class SeededRandom
{
    /// <summary>The seed <see cref="Global"/> starts from when <see cref="SetGlobalSeed"/> was never called.</summary>
    public const ulong DefaultSeed = 1701;

    private static readonly Lock GlobalGate = new();
    private static SeededRandom global = new(DefaultSeed);

    private ulong s0;
    private ulong s1;
    private ulong s2;
    private ulong s3;
    private double? spareGaussian;

    /// <summary>A generator whose sequence is fixed by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        s0 = SplitMix64(ref x);
        s1 = SplitMix64(ref x);
        s2 = SplitMix64(ref x);
        s3 = SplitMix64(ref x);
    }

    /// <summary>The seed the generator was made with.</summary>
    public ulong Seed { get; }

    /// <summary>
    /// The process-wide generator that layers draw from (Caffe's <c>caffe_rng</c>). Reseed it with
    /// <see cref="SetGlobalSeed"/> before building layers to make a run repeatable.
    /// </summary>
    public static SeededRandom Global
    {
        get
        {
            lock (GlobalGate)
            {
                return global;
            }
        }
    }

    /// <summary>Replaces <see cref="Global"/> with a fresh generator seeded with <paramref name="seed"/>.</summary>
    public static void SetGlobalSeed(ulong seed)
    {
        lock (GlobalGate)
        {
            global = new SeededRandom(seed);
        }
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>A double uniform in [0, 1), from the top 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A double uniform in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double NextUniform(double min, double max) => min + ((max - min) * NextDouble());

    /// <summary>A draw from N(<paramref name="mean"/>, <paramref name="std"/>²), Box-Muller (the second value is kept for the next call).</summary>
    public double NextGaussian(double mean, double std)
    {
        if (spareGaussian is double spare)
        {
            spareGaussian = null;
            return mean + (std * spare);
        }

        double u1 = 1.0 - NextDouble(); // (0, 1]: the log stays finite
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        spareGaussian = radius * Math.Sin(angle);
        return mean + (std * radius * Math.Cos(angle));
    }

    /// <summary>
    /// The generator's whole state (for snapshots): restoring it with <see cref="FromState"/> continues the exact
    /// sequence, including a Gaussian draw kept from Box-Muller.
    /// </summary>
    public SeededRandomState State => new(Seed, s0, s1, s2, s3, spareGaussian);

    /// <summary>A generator that continues from <paramref name="state"/> (see <see cref="State"/>).</summary>
    /// <exception cref="ArgumentException">The state is all zero, which xoshiro256** never reaches.</exception>
    public static SeededRandom FromState(SeededRandomState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
        {
            throw new ArgumentException("the generator state is all zero, which xoshiro256** never reaches", nameof(state));
        }

        return new SeededRandom(state.Seed)
        {
            s0 = state.S0,
            s1 = state.S1,
            s2 = state.S2,
            s3 = state.S3,
            spareGaussian = state.SpareGaussian,
        };
    }

    /// <summary>Replaces <see cref="Global"/> with a generator continuing from <paramref name="state"/>.</summary>
    /// <exception cref="ArgumentException">The state is all zero.</exception>
    public static void SetGlobalState(SeededRandomState state)
    {
        var restored = FromState(state);
        lock (GlobalGate)
        {
            global = restored;
        }
    }

    private static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        ulong z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>The state of a <see cref="SeededRandom"/>: its seed, the four xoshiro256** words and a kept Gaussian draw.</summary>
/// <param name="Seed">The seed the generator was made with.</param>
/// <param name="S0">State word 0.</param>
/// <param name="S1">State word 1.</param>
/// <param name="S2">State word 2.</param>
/// <param name="S3">State word 3.</param>
/// <param name="SpareGaussian">The second Box-Muller value waiting for the next Gaussian draw, or null.</param>
public readonly record struct SeededRandomState(ulong Seed, ulong S0, ulong S1, ulong S2, ulong S3, double? SpareGaussian);
