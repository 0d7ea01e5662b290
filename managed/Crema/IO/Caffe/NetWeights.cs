using System.Numerics;
using Crema.Core;
using Crema.Net;

namespace Crema.IO.Caffe;

/// <summary>
/// Caffe's <c>Net::CopyTrainedLayersFrom</c> and the way back: trained blobs between a <see cref="Net{T}"/> and a
/// <see cref="CaffeModel"/>, matched by layer name.
/// </summary>
public static class NetWeights
{
    /// <summary>Reads a binary .caffemodel and copies its blobs into <paramref name="net"/>.</summary>
    /// <returns>The number of layers copied.</returns>
    /// <exception cref="InvalidDataException">The file is bad, or a layer's blobs do not fit the net's.</exception>
    public static int CopyFrom<T>(Net<T> net, string path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(net);
        return CopyFrom(net, CaffeModel.Read(path));
    }

    /// <summary>
    /// Copies the model's blobs into the layers of <paramref name="net"/> with the same names; layers of the model that
    /// the net lacks are skipped. Each blob's shape must equal the net's, except that a legacy 4-d shape
    /// (num, channels, height, width) matches as in Caffe: the net's shape, padded to 4 axes with leading 1s, equals
    /// it (so InnerProduct's (1, 1, N, K) fits an (N, K) weight). Everything is checked before anything is copied.
    /// </summary>
    /// <returns>The number of layers copied.</returns>
    /// <exception cref="InvalidDataException">
    /// A layer's blob count or a blob's shape differs; the message names the layer, the blob index and both shapes.
    /// </exception>
    public static int CopyFrom<T>(Net<T> net, CaffeModel model)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(model);
        string source = model.SourcePath ?? "model";
        var copies = new List<(Blob<T> Target, CaffeBlob Source)>();
        int layersCopied = 0;
        foreach (var layer in model.Layers)
        {
            if (!net.HasLayer(layer.Name))
            {
                continue;
            }

            var targets = net.LayerByName(layer.Name).Blobs;
            if (targets.Count != layer.Blobs.Count)
            {
                throw new InvalidDataException(
                    $"{source}: layer '{layer.Name}' has {layer.Blobs.Count} blobs in the file, {targets.Count} in the net");
            }

            for (int b = 0; b < targets.Count; b++)
            {
                var target = targets[b];
                var blob = layer.Blobs[b];
                if (!Fits(target.Shape, blob))
                {
                    throw new InvalidDataException(
                        $"{source}: layer '{layer.Name}' blob {b}: shape {CaffeBlob.FormatShape(blob.Shape)}"
                        + $"{(blob.IsLegacyShape ? " (legacy)" : "")} in the file, "
                        + $"{CaffeBlob.FormatShape([.. target.Shape.Select(d => (long)d)])} in the net");
                }

                copies.Add((target, blob));
            }

            layersCopied++;
        }

        foreach (var (target, blob) in copies)
        {
            Copy(blob, target.MutableCpuData);
        }

        return layersCopied;
    }

    /// <summary>
    /// A model holding every layer of <paramref name="net"/> with its blobs' data (float32 for a float net, float64
    /// otherwise), to <see cref="CaffeModel.Write"/> as a .caffemodel.
    /// </summary>
    public static CaffeModel ToModel<T>(Net<T> net)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(net);
        var layers = new List<CaffeLayer>(net.Layers.Count);
        for (int l = 0; l < net.Layers.Count; l++)
        {
            var blobs = new List<CaffeBlob>();
            foreach (var blob in net.Layers[l].Blobs)
            {
                long[] shape = [.. blob.Shape.Select(d => (long)d)];
                var data = blob.CpuData;
                if (typeof(T) == typeof(float))
                {
                    var values = new float[data.Length];
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] = float.CreateTruncating(data[i]);
                    }

                    blobs.Add(new CaffeBlob(shape, values));
                }
                else
                {
                    var values = new double[data.Length];
                    for (int i = 0; i < values.Length; i++)
                    {
                        values[i] = double.CreateTruncating(data[i]);
                    }

                    blobs.Add(new CaffeBlob(shape, values));
                }
            }

            layers.Add(new CaffeLayer(net.LayerNames[l], net.Layers[l].Type, blobs));
        }

        return new CaffeModel(net.Name, layers);
    }

    // Caffe's Blob::ShapeEquals against a BlobProto.
    private static bool Fits(IReadOnlyList<int> shape, CaffeBlob blob)
    {
        if (blob.IsLegacyShape)
        {
            if (shape.Count > 4)
            {
                return false;
            }

            for (int axis = 0; axis < 4; axis++)
            {
                int i = axis - (4 - shape.Count);
                long dim = i < 0 ? 1 : shape[i];
                if (dim != blob.Shape[axis])
                {
                    return false;
                }
            }

            return true;
        }

        return shape.Count == blob.Shape.Count && shape.Select(d => (long)d).SequenceEqual(blob.Shape);
    }

    private static void Copy<T>(CaffeBlob source, Span<T> target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (source.DoubleData is { } doubles)
        {
            for (int i = 0; i < target.Length; i++)
            {
                target[i] = T.CreateTruncating(doubles[i]);
            }
        }
        else
        {
            var floats = source.Data!;
            for (int i = 0; i < target.Length; i++)
            {
                target[i] = T.CreateTruncating(floats[i]);
            }
        }
    }
}
