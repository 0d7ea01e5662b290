using System.Numerics;
using Crema.Core;
using Crema.Parameters;

namespace Crema.Fillers;

/// <summary>
/// Caffe's fillers: initial values for a blob, drawn on the host from a <see cref="SeededRandom"/> (by default
/// <see cref="SeededRandom.Global"/>) and written to the blob's CPU data, which the blob copies to the device when the
/// GPU engine reads it. Make one with <see cref="Create"/>.
/// </summary>
public abstract class Filler
{
    /// <summary>Creates the filler with the parameter's settings.</summary>
    protected Filler(FillerParameter param)
    {
        ArgumentNullException.ThrowIfNull(param);
        Param = param.Clone();
    }

    /// <summary>The settings (a copy of the parameter given).</summary>
    public FillerParameter Param { get; }

    /// <summary>The filler for <paramref name="param"/>'s <c>type</c>: constant, uniform, gaussian, xavier or msra.</summary>
    /// <exception cref="ArgumentException">An unknown type (named in the message) or bounds that cannot hold.</exception>
    public static Filler Create(FillerParameter param)
    {
        ArgumentNullException.ThrowIfNull(param);
        return param.Type switch
        {
            "constant" => new ConstantFiller(param),
            "uniform" => new UniformFiller(param),
            "gaussian" => new GaussianFiller(param),
            "xavier" => new XavierFiller(param),
            "msra" => new MsraFiller(param),
            _ => throw new ArgumentException(
                $"unknown filler type '{param.Type}' (known types: constant, uniform, gaussian, xavier, msra)", nameof(param)),
        };
    }

    /// <summary>Fills <paramref name="blob"/>'s data, drawing from <paramref name="random"/> (default: the global generator).</summary>
    public void Fill<T>(Blob<T> blob, SeededRandom? random = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Count == 0)
        {
            return;
        }

        var generator = random ?? SeededRandom.Global;
        var values = blob.MutableCpuData;
        lock (generator)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = T.CreateTruncating(Next(generator, blob.Shape, blob.Count));
            }
        }
    }

    /// <summary>The next value for a blob of <paramref name="shape"/> holding <paramref name="count"/> elements.</summary>
    protected abstract double Next(SeededRandom random, IReadOnlyList<int> shape, long count);

    /// <summary>
    /// Caffe's fan for xavier and msra: fan_in = count / shape(0), fan_out = count / shape(1) (a missing axis counts
    /// as 1), AVERAGE their mean.
    /// </summary>
    protected static double Fan(VarianceNorm norm, IReadOnlyList<int> shape, long count)
    {
        double num = shape.Count > 0 ? shape[0] : 1;
        double channels = shape.Count > 1 ? shape[1] : 1;
        double fanIn = count / num;
        double fanOut = count / channels;
        return norm switch
        {
            VarianceNorm.FanOut => fanOut,
            VarianceNorm.Average => (fanIn + fanOut) / 2,
            _ => fanIn,
        };
    }
}

/// <summary>Every element <c>value</c>.</summary>
public sealed class ConstantFiller(FillerParameter param) : Filler(param)
{
    /// <inheritdoc/>
    protected override double Next(SeededRandom random, IReadOnlyList<int> shape, long count) => Param.Value;
}

/// <summary>Uniform in [<c>min</c>, <c>max</c>).</summary>
public sealed class UniformFiller : Filler
{
    /// <summary>Creates the filler.</summary>
    /// <exception cref="ArgumentException"><c>min</c> is greater than <c>max</c>.</exception>
    public UniformFiller(FillerParameter param)
        : base(param)
    {
        if (!(param.Min <= param.Max))
        {
            throw new ArgumentException($"uniform filler: min {param.Min} is greater than max {param.Max}", nameof(param));
        }
    }

    /// <inheritdoc/>
    protected override double Next(SeededRandom random, IReadOnlyList<int> shape, long count) =>
        random.NextUniform(Param.Min, Param.Max);
}

/// <summary>N(<c>mean</c>, <c>std</c>²).</summary>
public sealed class GaussianFiller : Filler
{
    /// <summary>Creates the filler.</summary>
    /// <exception cref="ArgumentException"><c>std</c> is negative.</exception>
    public GaussianFiller(FillerParameter param)
        : base(param)
    {
        if (!(param.Std >= 0))
        {
            throw new ArgumentException($"gaussian filler: std {param.Std} is negative", nameof(param));
        }
    }

    /// <inheritdoc/>
    protected override double Next(SeededRandom random, IReadOnlyList<int> shape, long count) =>
        random.NextGaussian(Param.Mean, Param.Std);
}

/// <summary>Caffe's xavier: uniform in [−a, a) with a = sqrt(3 / n), n the fan <c>variance_norm</c> picks.</summary>
public sealed class XavierFiller(FillerParameter param) : Filler(param)
{
    /// <inheritdoc/>
    protected override double Next(SeededRandom random, IReadOnlyList<int> shape, long count)
    {
        double scale = Math.Sqrt(3.0 / Fan(Param.VarianceNorm, shape, count));
        return random.NextUniform(-scale, scale);
    }
}

/// <summary>Caffe's msra (He): N(0, 2 / n), n the fan <c>variance_norm</c> picks.</summary>
public sealed class MsraFiller(FillerParameter param) : Filler(param)
{
    /// <inheritdoc/>
    protected override double Next(SeededRandom random, IReadOnlyList<int> shape, long count) =>
        random.NextGaussian(0, Math.Sqrt(2.0 / Fan(Param.VarianceNorm, shape, count)));
}
