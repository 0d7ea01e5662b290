using System.Globalization;
using Crema.Parameters;

namespace Crema.Net;

/// <summary>
/// The rewrites a net parameter goes through before the layers are made: filtering by the net state and inserting
/// Split layers. Both return a new parameter and leave the given one as it was.
/// </summary>
public static class NetBuilder
{
    /// <summary>The producer name legacy net inputs get in split names (Caffe's).</summary>
    public const string InputLayerName = "input";

    /// <summary>
    /// The layers of <paramref name="param"/> that belong in a net with <paramref name="state"/>: with no
    /// <c>include</c> rule a layer is in unless an <c>exclude</c> rule holds; with include rules it is in when one
    /// holds. Layers without a phase get the state's.
    /// </summary>
    /// <exception cref="ArgumentException">A layer gives both include and exclude rules.</exception>
    public static NetParameter Filter(NetParameter param, NetState state)
    {
        ArgumentNullException.ThrowIfNull(param);
        ArgumentNullException.ThrowIfNull(state);
        var result = param.Clone();
        result.State = state.Clone();
        result.Layer.Clear();
        foreach (var layer in param.Layer)
        {
            if (layer.Include.Count > 0 && layer.Exclude.Count > 0)
            {
                throw new ArgumentException(
                    $"layer '{layer.Name}' ({layer.Type}) gives both include and exclude rules; give one or the other");
            }

            bool included = layer.Include.Count == 0
                ? !layer.Exclude.Exists(state.Meets)
                : layer.Include.Exists(state.Meets);
            if (!included)
            {
                continue;
            }

            var copy = layer.Clone();
            copy.Phase ??= state.Phase;
            result.Layer.Add(copy);
        }

        return result;
    }

    /// <summary>Caffe's name of the Split layer for top <paramref name="topIndex"/> (<paramref name="blob"/>) of <paramref name="layer"/>.</summary>
    public static string SplitLayerName(string layer, string blob, int topIndex) =>
        string.Create(CultureInfo.InvariantCulture, $"{blob}_{layer}_{topIndex}_split");

    /// <summary>Caffe's name of top <paramref name="splitIndex"/> of that Split layer.</summary>
    public static string SplitBlobName(string layer, string blob, int topIndex, int splitIndex) =>
        string.Create(CultureInfo.InvariantCulture, $"{SplitLayerName(layer, blob, topIndex)}_{splitIndex}");

    /// <summary>
    /// Inserts a Split layer after each top that more than one layer reads (a top with a nonzero loss weight counts as
    /// one more reader; the split's first top then carries the loss weight instead) and renames the readers' bottoms
    /// to the split's tops. <paramref name="lossWeight"/> gives a top's effective loss weight.
    /// </summary>
    /// <exception cref="ArgumentException">A bottom no earlier layer produces; the message names the layer and blob.</exception>
    public static NetParameter InsertSplits(NetParameter param, Func<LayerParameter, int, float> lossWeight)
    {
        ArgumentNullException.ThrowIfNull(param);
        ArgumentNullException.ThrowIfNull(lossWeight);
        var lastProducer = new Dictionary<string, (int Layer, int Top)>(StringComparer.Ordinal);
        var readers = new Dictionary<(int Layer, int Top), int>();
        var bottomSource = new Dictionary<(int Layer, int Bottom), (int Layer, int Top)>();
        for (int i = 0; i < param.Input.Count; i++)
        {
            lastProducer[param.Input[i]] = (-1, i);
        }

        for (int i = 0; i < param.Layer.Count; i++)
        {
            var layer = param.Layer[i];
            for (int j = 0; j < layer.Bottom.Count; j++)
            {
                if (!lastProducer.TryGetValue(layer.Bottom[j], out var source))
                {
                    throw new ArgumentException(
                        $"layer '{layer.Name}' ({layer.Type}): unknown bottom blob '{layer.Bottom[j]}' (bottom {j}); no earlier layer produces it");
                }

                bottomSource[(i, j)] = source;
                readers[source] = readers.GetValueOrDefault(source) + 1;
            }

            for (int j = 0; j < layer.Top.Count; j++)
            {
                lastProducer[layer.Top[j]] = (i, j);
            }
        }

        // A top with a loss weight is read once more, by the loss; only tops that layers read can need a split.
        var weights = new Dictionary<(int Layer, int Top), float>();
        foreach (var top in readers.Keys.Where(k => k.Layer >= 0).ToList())
        {
            float weight = lossWeight(param.Layer[top.Layer], top.Top);
            if (weight != 0)
            {
                weights[top] = weight;
                readers[top]++;
            }
        }

        var result = param.Clone();
        result.Layer.Clear();
        var nextSplit = new Dictionary<(int Layer, int Top), int>();
        for (int i = 0; i < param.Input.Count; i++)
        {
            int count = readers.GetValueOrDefault((-1, i));
            if (count > 1)
            {
                result.Layer.Add(SplitLayer(InputLayerName, param.Input[i], i, count, 0));
            }
        }

        for (int i = 0; i < param.Layer.Count; i++)
        {
            var layer = param.Layer[i].Clone();
            for (int j = 0; j < layer.Bottom.Count; j++)
            {
                var source = bottomSource[(i, j)];
                if (readers[source] > 1)
                {
                    string producer = source.Layer < 0 ? InputLayerName : param.Layer[source.Layer].Name;
                    int k = nextSplit.GetValueOrDefault(source);
                    nextSplit[source] = k + 1;
                    layer.Bottom[j] = SplitBlobName(producer, layer.Bottom[j], source.Top, k);
                }
            }

            result.Layer.Add(layer);
            for (int j = 0; j < layer.Top.Count; j++)
            {
                int count = readers.GetValueOrDefault((i, j));
                if (count <= 1)
                {
                    continue;
                }

                float weight = weights.GetValueOrDefault((i, j));
                result.Layer.Add(SplitLayer(layer.Name, layer.Top[j], j, count, weight));
                if (weight != 0)
                {
                    // The split's first top carries the loss now; the layer's own top weighs nothing.
                    while (layer.LossWeight.Count <= j)
                    {
                        layer.LossWeight.Add(lossWeight(param.Layer[i], layer.LossWeight.Count));
                    }

                    layer.LossWeight[j] = 0;
                    nextSplit[(i, j)] = 1;
                }
            }
        }

        return result;
    }

    /// <summary>The shape of each legacy net input, from <c>input_shape</c> or <c>input_dim</c>.</summary>
    /// <exception cref="ArgumentException">The shapes do not match the inputs.</exception>
    public static IReadOnlyList<int[]> InputShapes(NetParameter param)
    {
        ArgumentNullException.ThrowIfNull(param);
        int n = param.Input.Count;
        if (n == 0)
        {
            return [];
        }

        if (param.InputShape.Count == n && param.InputDim.Count == 0)
        {
            return [.. param.InputShape.Select(s => s.Dim.Select(d => checked((int)d)).ToArray())];
        }

        if (param.InputDim.Count == 4 * n && param.InputShape.Count == 0)
        {
            return [.. Enumerable.Range(0, n).Select(i => param.InputDim.Skip(4 * i).Take(4).ToArray())];
        }

        throw new ArgumentException(
            $"net '{param.Name}' has {n} input(s) ({string.Join(", ", param.Input)}) but {param.InputShape.Count} input_shape " +
            $"and {param.InputDim.Count} input_dim; give one input_shape per input or four input_dim per input");
    }

    private static LayerParameter SplitLayer(string layer, string blob, int topIndex, int count, float lossWeight)
    {
        var split = new LayerParameter
        {
            Name = SplitLayerName(layer, blob, topIndex),
            Type = "Split",
            Bottom = [blob],
        };
        for (int k = 0; k < count; k++)
        {
            split.Top.Add(SplitBlobName(layer, blob, topIndex, k));
            if (lossWeight != 0)
            {
                split.LossWeight.Add(k == 0 ? lossWeight : 0);
            }
        }

        return split;
    }
}
