using System.Numerics;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's layer registry: layers by type name (<see cref="LayerParameter.Type"/>), for one element type. The built-in
/// layers are registered on first use; <see cref="Register"/> adds more.
/// </summary>
public static class LayerRegistry<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Func<LayerParameter, Layer<T>>> Creators = new(StringComparer.Ordinal)
    {
        ["Accuracy"] = p => new AccuracyLayer<T>(p),
        ["DummyData"] = p => new DummyDataLayer<T>(p),
        ["EuclideanLoss"] = p => new EuclideanLossLayer<T>(p),
        ["IdxData"] = p => new IdxDataLayer<T>(p),
        ["InnerProduct"] = p => new InnerProductLayer<T>(p),
        ["Input"] = p => new InputLayer<T>(p),
        ["ReLU"] = p => new ReLULayer<T>(p),
        ["Softmax"] = p => new SoftmaxLayer<T>(p),
        ["SoftmaxWithLoss"] = p => new SoftmaxWithLossLayer<T>(p),
        ["Split"] = p => new SplitLayer<T>(p),
    };

    /// <summary>The registered type names, sorted.</summary>
    public static IReadOnlyList<string> Types
    {
        get
        {
            lock (Gate)
            {
                return [.. Creators.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Registers <paramref name="creator"/> for <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException">The type name is empty or already registered.</exception>
    public static void Register(string type, Func<LayerParameter, Layer<T>> creator)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentNullException.ThrowIfNull(creator);
        lock (Gate)
        {
            if (!Creators.TryAdd(type, creator))
            {
                throw new ArgumentException($"layer type '{type}' is already registered", nameof(type));
            }
        }
    }

    /// <summary>Creates the layer <paramref name="param"/> describes.</summary>
    /// <exception cref="ArgumentException">Unknown type; the message lists the known ones.</exception>
    public static Layer<T> Create(LayerParameter param)
    {
        ArgumentNullException.ThrowIfNull(param);
        Func<LayerParameter, Layer<T>>? creator;
        lock (Gate)
        {
            Creators.TryGetValue(param.Type, out creator);
        }

        if (creator is null)
        {
            throw new ArgumentException(
                $"unknown layer type '{param.Type}' (known types: {string.Join(", ", Types)})", nameof(param));
        }

        return creator(param);
    }
}
