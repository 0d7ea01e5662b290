using System.Buffers.Binary;
using Google.Protobuf;

namespace Crema.IO.Caffe;

/// <summary>One blob of a <see cref="CaffeLayer"/>: its shape and its data, as float or as double.</summary>
public sealed class CaffeBlob
{
    /// <summary>A blob of float32 data.</summary>
    /// <param name="shape">The dimensions (BlobProto.shape.dim).</param>
    /// <param name="data">The elements, row-major; as many as the shape counts.</param>
    public CaffeBlob(IReadOnlyList<long> shape, float[] data)
        : this(shape, data, null, legacy: false)
    {
    }

    /// <summary>A blob of float64 data.</summary>
    /// <param name="shape">The dimensions (BlobProto.shape.dim).</param>
    /// <param name="doubleData">The elements, row-major; as many as the shape counts.</param>
    public CaffeBlob(IReadOnlyList<long> shape, double[] doubleData)
        : this(shape, null, doubleData, legacy: false)
    {
    }

    internal CaffeBlob(IReadOnlyList<long> shape, float[]? data, double[]? doubleData, bool legacy)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shape = [.. shape];
        Data = data;
        DoubleData = doubleData;
        IsLegacyShape = legacy;
        long count = 1;
        foreach (long dim in Shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"dimension {dim} of shape {FormatShape(Shape)} is negative", nameof(shape));
            }

            count = checked(count * dim);
        }

        Count = count;
        long length = data?.LongLength ?? doubleData?.LongLength ?? 0;
        if (length != count)
        {
            throw new ArgumentException($"shape {FormatShape(Shape)} counts {count} elements, the data has {length}", nameof(shape));
        }
    }

    /// <summary>The dimensions: BlobProto.shape, or (num, channels, height, width) for a legacy blob.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Whether <see cref="Shape"/> came from the legacy num/channels/height/width fields.</summary>
    public bool IsLegacyShape { get; }

    /// <summary>The number of elements.</summary>
    public long Count { get; }

    /// <summary>The float32 data (BlobProto.data), or null when the blob holds double_data.</summary>
    public float[]? Data { get; }

    /// <summary>The float64 data (BlobProto.double_data), or null when the blob holds float data.</summary>
    public double[]? DoubleData { get; }

    /// <summary>A shape as numpy prints it, e.g. (5, 6).</summary>
    public static string FormatShape(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{FormatShape(Shape)}{(IsLegacyShape ? " legacy" : "")} {(DoubleData is null ? "float32" : "float64")}";
}

/// <summary>A layer of a <see cref="CaffeModel"/>: its name, its type and its blobs.</summary>
/// <param name="Name">LayerParameter.name (V1LayerParameter.name for a legacy layer).</param>
/// <param name="Type">LayerParameter.type; for a legacy layer the V1 enum's number as text, or empty.</param>
/// <param name="Blobs">The trained blobs in the layer's order.</param>
/// <param name="IsLegacy">Whether it came from NetParameter.layers (V1LayerParameter).</param>
public sealed record CaffeLayer(string Name, string Type, IReadOnlyList<CaffeBlob> Blobs, bool IsLegacy = false);

/// <summary>
/// Caffe's binary <c>.caffemodel</c>: a NetParameter protobuf whose layers carry their trained blobs. Only the fields
/// of <c>caffe_subset.proto</c> (next to this file, Caffe's field numbers) are read; every other field is skipped.
/// Both <c>layer</c> (100) and the legacy <c>layers</c> (2, V1LayerParameter) are read, in file order.
/// </summary>
public sealed class CaffeModel
{
    // NetParameter
    private const int NetName = 1;
    private const int NetLayer = 100;
    private const int NetLegacyLayers = 2;

    // LayerParameter / V1LayerParameter
    private const int LayerName = 1;
    private const int LayerType = 2;
    private const int LayerBlobs = 7;
    private const int V1Name = 4;
    private const int V1Type = 5;
    private const int V1Blobs = 6;

    // BlobProto / BlobShape
    private const int BlobNum = 1;
    private const int BlobChannels = 2;
    private const int BlobHeight = 3;
    private const int BlobWidth = 4;
    private const int BlobData = 5;
    private const int BlobDiff = 6;
    private const int BlobShapeField = 7;
    private const int BlobDoubleData = 8;
    private const int BlobDoubleDiff = 9;
    private const int ShapeDim = 1;

    /// <summary>A model.</summary>
    public CaffeModel(string name, IReadOnlyList<CaffeLayer> layers, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(layers);
        Name = name;
        Layers = [.. layers];
        SourcePath = sourcePath;
    }

    /// <summary>NetParameter.name.</summary>
    public string Name { get; }

    /// <summary>The layers in file order (<c>layer</c> and legacy <c>layers</c> together).</summary>
    public IReadOnlyList<CaffeLayer> Layers { get; }

    /// <summary>The file it was read from, or null.</summary>
    public string? SourcePath { get; }

    /// <summary>Reads a binary .caffemodel.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or not a NetParameter: "path: what is wrong".</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CaffeModel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    /// <summary>Parses the bytes of a binary .caffemodel; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The bytes are truncated or not a NetParameter.</exception>
    public static CaffeModel Parse(byte[] bytes, string path = "<bytes>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return ParseNet(bytes, path);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not a valid NetParameter (truncated or corrupted): {e.Message}", e);
        }
    }

    /// <summary>The NetParameter's bytes (layers as <c>layer</c> = 100, shapes as BlobShape, data packed).</summary>
    public byte[] ToBytes()
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory, leaveOpen: true);
        output.WriteTag(NetName, WireFormat.WireType.LengthDelimited);
        output.WriteString(Name);
        foreach (var layer in Layers)
        {
            output.WriteTag(NetLayer, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(LayerBytes(layer)));
        }

        output.Flush();
        return memory.ToArray();
    }

    /// <summary>Writes the model as a binary .caffemodel, through a temporary file renamed into place.</summary>
    public void Write(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = ToBytes();
        using var file = AtomicFile.Create(path);
        file.Stream.Write(bytes);
        file.Commit();
    }

    private static CaffeModel ParseNet(byte[] bytes, string path)
    {
        var input = new CodedInputStream(bytes);
        string name = "";
        var layers = new List<CaffeLayer>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            if (field == NetName && wire == WireFormat.WireType.LengthDelimited)
            {
                name = input.ReadString();
            }
            else if (field == NetLayer && wire == WireFormat.WireType.LengthDelimited)
            {
                layers.Add(ParseLayer(input.ReadBytes(), path, legacy: false, layers.Count));
            }
            else if (field == NetLegacyLayers && wire == WireFormat.WireType.LengthDelimited)
            {
                layers.Add(ParseLayer(input.ReadBytes(), path, legacy: true, layers.Count));
            }
            else
            {
                input.SkipLastField();
            }
        }

        return new CaffeModel(name, layers, path);
    }

    private static CaffeLayer ParseLayer(ByteString bytes, string path, bool legacy, int index)
    {
        int nameField = legacy ? V1Name : LayerName;
        int blobsField = legacy ? V1Blobs : LayerBlobs;
        var input = bytes.CreateCodedInput();
        string name = "";
        string type = "";
        var blobs = new List<ByteString>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            if (field == nameField && wire == WireFormat.WireType.LengthDelimited)
            {
                name = input.ReadString();
            }
            else if (!legacy && field == LayerType && wire == WireFormat.WireType.LengthDelimited)
            {
                type = input.ReadString();
            }
            else if (legacy && field == V1Type && wire == WireFormat.WireType.Varint)
            {
                type = input.ReadEnum().ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (field == blobsField && wire == WireFormat.WireType.LengthDelimited)
            {
                blobs.Add(input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        }

        string where = $"{path}: layer {index} '{name}'";
        var parsed = new List<CaffeBlob>(blobs.Count);
        for (int b = 0; b < blobs.Count; b++)
        {
            parsed.Add(ParseBlob(blobs[b], $"{where} blob {b}"));
        }

        return new CaffeLayer(name, type, parsed, legacy);
    }

    private static CaffeBlob ParseBlob(ByteString bytes, string where)
    {
        var input = bytes.CreateCodedInput();
        List<long>? shape = null;
        var legacyShape = new long[4];
        bool hasLegacy = false;
        var floats = new List<float>();
        var doubles = new List<double>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            switch (field)
            {
                case BlobShapeField when wire == WireFormat.WireType.LengthDelimited:
                    shape = ParseShape(input.ReadBytes(), where);
                    break;
                case >= BlobNum and <= BlobWidth when wire == WireFormat.WireType.Varint:
                    legacyShape[field - BlobNum] = input.ReadInt32();
                    hasLegacy = true;
                    break;
                case BlobData when wire == WireFormat.WireType.LengthDelimited:
                    ReadPacked(input.ReadBytes().Span, 4, floats, static s => BinaryPrimitives.ReadSingleLittleEndian(s), where, "data");
                    break;
                case BlobData when wire == WireFormat.WireType.Fixed32:
                    floats.Add(input.ReadFloat());
                    break;
                case BlobDoubleData when wire == WireFormat.WireType.LengthDelimited:
                    ReadPacked(input.ReadBytes().Span, 8, doubles, static s => BinaryPrimitives.ReadDoubleLittleEndian(s), where, "double_data");
                    break;
                case BlobDoubleData when wire == WireFormat.WireType.Fixed64:
                    doubles.Add(input.ReadDouble());
                    break;
                case BlobDiff or BlobDoubleDiff:
                default:
                    input.SkipLastField();
                    break;
            }
        }

        // As Caffe's Blob::FromProto: any legacy field means the 4-d (num, channels, height, width) shape.
        bool legacy = hasLegacy;
        shape = hasLegacy ? [.. legacyShape] : shape ?? [];
        if (floats.Count > 0 && doubles.Count > 0)
        {
            throw new InvalidDataException($"{where}: has both data and double_data");
        }

        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                throw new InvalidDataException($"{where}: shape {CaffeBlob.FormatShape(shape)} has a negative dimension");
            }
        }

        long count = 1;
        try
        {
            foreach (long dim in shape)
            {
                count = checked(count * dim);
            }
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{where}: shape {CaffeBlob.FormatShape(shape)} counts too many elements");
        }

        long length = doubles.Count > 0 ? doubles.Count : floats.Count;
        if (length != count)
        {
            throw new InvalidDataException(
                $"{where}: shape {CaffeBlob.FormatShape(shape)} counts {count} elements, the file holds {length}");
        }

        return doubles.Count > 0
            ? new CaffeBlob(shape, null, [.. doubles], legacy)
            : new CaffeBlob(shape, [.. floats], null, legacy);
    }

    private static List<long> ParseShape(ByteString bytes, string where)
    {
        var input = bytes.CreateCodedInput();
        var dims = new List<long>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            if (field == ShapeDim && wire == WireFormat.WireType.LengthDelimited)
            {
                var packed = input.ReadBytes().CreateCodedInput();
                while (!packed.IsAtEnd)
                {
                    dims.Add(packed.ReadInt64());
                }
            }
            else if (field == ShapeDim && wire == WireFormat.WireType.Varint)
            {
                dims.Add(input.ReadInt64());
            }
            else
            {
                input.SkipLastField();
            }
        }

        if (dims.Count > 32)
        {
            throw new InvalidDataException($"{where}: shape has {dims.Count} axes (at most 32)");
        }

        return dims;
    }

    private static void ReadPacked<TValue>(
        ReadOnlySpan<byte> bytes, int size, List<TValue> values, Func<ReadOnlySpan<byte>, TValue> read, string where, string field)
    {
        if (bytes.Length % size != 0)
        {
            throw new InvalidDataException($"{where}: packed {field} of {bytes.Length} bytes is not a whole number of elements");
        }

        values.EnsureCapacity(values.Count + (bytes.Length / size));
        for (int offset = 0; offset < bytes.Length; offset += size)
        {
            values.Add(read(bytes.Slice(offset, size)));
        }
    }

    private static byte[] LayerBytes(CaffeLayer layer)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory, leaveOpen: true);
        output.WriteTag(LayerName, WireFormat.WireType.LengthDelimited);
        output.WriteString(layer.Name);
        output.WriteTag(LayerType, WireFormat.WireType.LengthDelimited);
        output.WriteString(layer.Type);
        foreach (var blob in layer.Blobs)
        {
            output.WriteTag(LayerBlobs, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(BlobBytes(blob)));
        }

        output.Flush();
        return memory.ToArray();
    }

    private static byte[] BlobBytes(CaffeBlob blob)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory, leaveOpen: true);

        using (var shape = new MemoryStream())
        {
            var dims = new CodedOutputStream(shape, leaveOpen: true);
            foreach (long dim in blob.Shape)
            {
                dims.WriteInt64(dim);
            }

            dims.Flush();
            using var packedDims = new MemoryStream();
            var shapeMessage = new CodedOutputStream(packedDims, leaveOpen: true);
            if (shape.Length > 0)
            {
                shapeMessage.WriteTag(ShapeDim, WireFormat.WireType.LengthDelimited);
                shapeMessage.WriteBytes(ByteString.CopyFrom(shape.ToArray()));
            }

            shapeMessage.Flush();
            output.WriteTag(BlobShapeField, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(packedDims.ToArray()));
        }

        if (blob.DoubleData is { } doubles)
        {
            var bytes = new byte[checked(doubles.Length * 8)];
            for (int i = 0; i < doubles.Length; i++)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), doubles[i]);
            }

            output.WriteTag(BlobDoubleData, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(bytes));
        }
        else if (blob.Data is { Length: > 0 } floats)
        {
            var bytes = new byte[checked(floats.Length * 4)];
            for (int i = 0; i < floats.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), floats[i]);
            }

            output.WriteTag(BlobData, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(bytes));
        }

        output.Flush();
        return memory.ToArray();
    }
}
