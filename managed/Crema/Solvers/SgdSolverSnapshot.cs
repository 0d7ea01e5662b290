using System.Buffers.Binary;
using System.Globalization;
using Crema.Core;
using Crema.Fillers;
using Crema.IO;
using Crema.IO.Caffe;
using Crema.Layers;
using Crema.Net;

namespace Crema.Solvers;

/// <summary>Snapshots of the weights and the solver state (the file format is described by <see cref="SnapshotFormat"/>).</summary>
public sealed partial class SgdSolver<T>
{
    // The Iter of the last Snapshot() (−1: none yet), so that a stopped Solve does not write the same one twice.
    private int lastSnapshotIter = -1;

    /// <summary>
    /// Caffe's periodic snapshot: writes the weights as <c>{snapshot_prefix}_iter_{Iter}.caffemodel</c> (readable by
    /// <c>crema net --weights</c> and by Caffe) and everything needed to resume as
    /// <c>{snapshot_prefix}_iter_{Iter}.solverstate</c> (<see cref="Snapshot(string)"/>), both atomically; the
    /// prefix's folder is created when missing. <see cref="Step"/> calls it every <c>snapshot</c> iterations.
    /// </summary>
    /// <returns>The path of the .solverstate file, for <see cref="Restore"/> or <see cref="Solve"/>.</returns>
    /// <exception cref="InvalidOperationException"><c>snapshot_prefix</c> is empty.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public string Snapshot()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Param.SnapshotPrefix.Length == 0)
        {
            throw new InvalidOperationException("snapshot_prefix is empty: say where snapshots go, or call Snapshot(path)");
        }

        string stem = SnapshotStem(Iter);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(stem));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        string weights = stem + ".caffemodel";
        Log($"Snapshotting to binary proto file {weights}");
        NetWeights.ToModel(Net).Write(weights);
        string state = stem + ".solverstate";
        Log($"Snapshotting solver state to binary proto file {state}");
        Snapshot(state);
        lastSnapshotIter = Iter;
        return state;
    }

    /// <summary>
    /// The path <see cref="Snapshot()"/> writes for iteration <paramref name="iter"/>, without its extension:
    /// <c>{snapshot_prefix}_iter_{iter}</c> (add <c>.caffemodel</c> or <c>.solverstate</c>).
    /// </summary>
    public string SnapshotStem(int iter) => $"{Param.SnapshotPrefix}_iter_{iter.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Writes every learnable param (owning layer's name, index, shape, data, in net order) and the solver state
    /// (<see cref="Iter"/>, the learning-rate inputs, the momentum history, the smoothed-loss window) and the state of
    /// <see cref="SeededRandom.Global"/> (so random data layers continue their sequence after a restore) and where each
    /// IdxData layer of the training and test nets stands (shuffle seed, epoch, position) to
    /// <paramref name="path"/>, with a CRC-32 over the payload. The file is written under a temporary name in the
    /// same folder and renamed over <paramref name="path"/> once complete, so a failed write leaves no partial file and
    /// any earlier file at <paramref name="path"/> untouched.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written (the folder must exist).</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public void Snapshot(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(path);
        uint elementCode = SnapshotFormat.ElementCode<T>();
        var owners = LearnableParamOwners();
        using var file = AtomicFile.Create(path);
        var stream = file.Stream;
        stream.Write(new byte[SnapshotFormat.HeaderBytes]);
        var payload = new SnapshotWriter(stream);
        payload.WriteSection(SnapshotFormat.WeightsTag, w =>
        {
            w.WriteInt32(owners.Length);
            for (int i = 0; i < owners.Length; i++)
            {
                var blob = Net.LearnableParams[i];
                w.WriteString(owners[i].Layer);
                w.WriteInt32(owners[i].Index);
                w.WriteShape(blob.Shape);
                w.WriteValues(blob.CpuData);
            }
        });
        payload.WriteSection(SnapshotFormat.SolverTag, w =>
        {
            w.WriteInt32(Iter);
            w.WriteString(Param.LrPolicy);
            w.WriteSingle(Param.BaseLr);
            w.WriteSingle(Param.Gamma);
            w.WriteSingle(Param.Power);
            w.WriteInt32(Param.Stepsize);
            w.WriteInt32(Param.MaxIter);
            w.WriteInt32(Param.Stepvalue.Count);
            foreach (int v in Param.Stepvalue)
            {
                w.WriteInt32(v);
            }

            w.WriteInt32(history.Count);
            foreach (var hist in history)
            {
                w.WriteShape(hist.Shape);
                w.WriteValues(hist.CpuData);
            }

            w.WriteInt32(Param.AverageLoss);
            w.WriteInt32(lossIndex);
            w.WriteInt32(losses.Count);
            w.WriteValues<T>(losses.ToArray());
            w.WriteValues<T>([SmoothedLoss]);
        });
        var random = SeededRandom.Global.State;
        payload.WriteSection(SnapshotFormat.RandomTag, w =>
        {
            foreach (ulong word in (ReadOnlySpan<ulong>)[random.Seed, random.S0, random.S1, random.S2, random.S3])
            {
                w.WriteUInt64(word);
            }

            w.WriteInt32(random.SpareGaussian is null ? 0 : 1);
            if (random.SpareGaussian is double spare)
            {
                w.WriteValues<double>([spare]);
            }
        });
        payload.WriteSection(SnapshotFormat.DataTag, w =>
        {
            var layers = DataLayers();
            w.WriteInt32(layers.Count);
            foreach (var (netIndex, name, layer) in layers)
            {
                w.WriteInt32(netIndex);
                w.WriteString(name);
                w.WriteInt32(layer.ItemCount);
                w.WriteInt32(layer.Seed is null ? 0 : 1);
                w.WriteUInt64(layer.Seed ?? 0);
                w.WriteInt32(layer.Epoch);
                w.WriteInt32(layer.Position);
            }
        });

        var header = new byte[SnapshotFormat.HeaderBytes];
        SnapshotFormat.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), SnapshotFormat.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), elementCode);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), payload.Checksum);
        stream.Seek(0, SeekOrigin.Begin);
        stream.Write(header);
        file.Commit();
    }

    /// <summary>
    /// Loads a file written by <see cref="Snapshot(string)"/>: the learnable params' data, <see cref="Iter"/>, the
    /// learning-rate inputs except <c>max_iter</c> (they replace <see cref="Param"/>'s, so the schedule continues
    /// where it was; <c>max_iter</c> stays the solver's, so a resumed run may train longer), the momentum history, the
    /// smoothed-loss window, the generator's state and the data layers' positions (a version-2 file has none: they
    /// start again from the beginning, and a line is logged); the next <see cref="Step"/> is then the one that would have
    /// followed the snapshot, reading the same data. Everything is read and checked (magic, version, element type,
    /// length, checksum, layer names, shapes, data layers and their item counts) before anything changes: on failure the net and the solver are as they were.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a snapshot, is truncated or corrupted, or does not fit
    /// this net or solver; the message names the file and what is wrong.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public void Restore(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(path);
        uint elementCode = SnapshotFormat.ElementCode<T>();
        byte[] bytes = File.ReadAllBytes(path);
        InvalidDataException Error(string what) => new($"{path}: {what}");

        if (bytes.Length < SnapshotFormat.HeaderBytes)
        {
            throw Error(bytes.Length >= 8 && bytes.AsSpan(0, 8).SequenceEqual(SnapshotFormat.Magic)
                ? $"truncated: {bytes.Length} bytes, shorter than the {SnapshotFormat.HeaderBytes}-byte header"
                : $"not a Crema snapshot: {bytes.Length} bytes, shorter than the {SnapshotFormat.HeaderBytes}-byte header");
        }

        if (!bytes.AsSpan(0, 8).SequenceEqual(SnapshotFormat.Magic))
        {
            throw Error("not a Crema snapshot: the file does not start with CREMASNP");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version is < SnapshotFormat.OldestReadableVersion or > SnapshotFormat.Version)
        {
            throw Error($"snapshot version {version} is not supported (this build reads versions {SnapshotFormat.OldestReadableVersion} to {SnapshotFormat.Version})");
        }

        uint storedCode = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        if (storedCode != elementCode)
        {
            throw Error(
                $"element type mismatch: the snapshot holds {SnapshotFormat.ElementName(storedCode)}, the solver is {SnapshotFormat.ElementName(elementCode)}");
        }

        ulong payloadLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        ulong present = (ulong)(bytes.Length - SnapshotFormat.HeaderBytes);
        if (payloadLength > present)
        {
            throw Error($"truncated: the header announces {payloadLength} payload bytes, the file holds {present}");
        }

        if (payloadLength < present)
        {
            throw Error($"corrupted: {present - payloadLength} bytes after the {payloadLength}-byte payload");
        }

        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24));
        uint crc = Crc32.Compute(bytes.AsSpan(SnapshotFormat.HeaderBytes));
        if (crc != storedCrc)
        {
            throw Error($"corrupted: checksum mismatch (CRC-32 stored 0x{storedCrc:x8}, computed 0x{crc:x8})");
        }

        var payload = new SnapshotReader(path, bytes.AsMemory(SnapshotFormat.HeaderBytes));

        // Read and check everything first; change nothing until all of it fits.
        var owners = LearnableParamOwners();
        var weights = payload.ReadSection(SnapshotFormat.WeightsTag);
        int paramCount = weights.ReadCount("number of params");
        if (paramCount != owners.Length)
        {
            throw Error($"the snapshot has {paramCount} learnable params, the net has {owners.Length}");
        }

        var paramValues = new T[paramCount][];
        for (int i = 0; i < paramCount; i++)
        {
            string layer = weights.ReadString($"param {i}: layer name");
            int index = weights.ReadInt32($"param {i}: index");
            if (layer != owners[i].Layer || index != owners[i].Index)
            {
                throw Error($"learnable param {i} is layer '{layer}' param {index} in the snapshot, layer '{owners[i].Layer}' param {owners[i].Index} in the net");
            }

            string what = $"layer '{layer}' param {index}";
            paramValues[i] = ReadBlobValues(weights, Net.LearnableParams[i], what, Error);
        }

        weights.ExpectEnd(SnapshotFormat.WeightsTag);

        var solver = payload.ReadSection(SnapshotFormat.SolverTag);
        int iter = solver.ReadCount("iter");
        string policy = solver.ReadString("lr_policy");
        float baseLr = solver.ReadSingle("base_lr");
        float gamma = solver.ReadSingle("gamma");
        float power = solver.ReadSingle("power");
        int stepsize = solver.ReadInt32("stepsize");
        int maxIter = solver.ReadInt32("max_iter");
        int stepvalueCount = solver.ReadCount("number of stepvalues", 1 << 20);
        var stepvalues = new List<int>(stepvalueCount);
        for (int i = 0; i < stepvalueCount; i++)
        {
            stepvalues.Add(solver.ReadInt32($"stepvalue {i}"));
        }

        int historyCount = solver.ReadCount("number of history blobs");
        if (historyCount != history.Count)
        {
            throw Error($"the snapshot has {historyCount} history blobs, the solver has {history.Count}");
        }

        var historyValues = new T[historyCount][];
        for (int i = 0; i < historyCount; i++)
        {
            historyValues[i] = ReadBlobValues(solver, history[i], $"history {i} (layer '{owners[i].Layer}' param {owners[i].Index})", Error);
        }

        int averageLoss = solver.ReadCount("average_loss");
        if (averageLoss != Param.AverageLoss)
        {
            throw Error($"average_loss is {averageLoss} in the snapshot, {Param.AverageLoss} in the solver");
        }

        int nextSlot = solver.ReadCount("smoothed-loss slot");
        int lossCount = solver.ReadCount("number of losses", averageLoss);
        if (lossCount > 0 && nextSlot >= lossCount)
        {
            throw Error($"malformed snapshot: smoothed-loss slot {nextSlot} with {lossCount} losses");
        }

        var window = solver.ReadValues<T>(lossCount, "losses");
        var smoothed = solver.ReadValues<T>(1, "smoothed loss")[0];
        solver.ExpectEnd(SnapshotFormat.SolverTag);

        var randomSection = payload.ReadSection(SnapshotFormat.RandomTag);
        var words = new ulong[5];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = randomSection.ReadUInt64(i == 0 ? "generator seed" : $"generator state word {i - 1}");
        }

        int hasSpare = randomSection.ReadInt32("generator: kept Gaussian flag");
        if (hasSpare is not (0 or 1))
        {
            throw Error($"malformed snapshot: generator's kept-Gaussian flag is {hasSpare}, expected 0 or 1");
        }

        double? spareGaussian = hasSpare == 1 ? randomSection.ReadValues<double>(1, "generator: kept Gaussian")[0] : null;
        randomSection.ExpectEnd(SnapshotFormat.RandomTag);
        var randomState = new SeededRandomState(words[0], words[1], words[2], words[3], words[4], spareGaussian);
        if ((words[1] | words[2] | words[3] | words[4]) == 0)
        {
            throw Error("malformed snapshot: the generator state is all zero");
        }

        var dataLayers = DataLayers();
        var dataPositions = version >= 3 ? ReadDataPositions(payload, dataLayers, Error) : null;

        if (!payload.AtEnd)
        {
            throw Error("malformed snapshot: bytes after the last section");
        }

        // Apply.
        for (int i = 0; i < paramCount; i++)
        {
            Net.LearnableParams[i].SetData(paramValues[i]);
            history[i].SetData(historyValues[i]);
        }

        Iter = iter;
        Param.LrPolicy = policy;
        Param.BaseLr = baseLr;
        Param.Gamma = gamma;
        Param.Power = power;
        Param.Stepsize = stepsize;
        // max_iter stays the solver's own: a resumed run may train longer than the snapshotted one (and poly's
        // schedule then follows the new end, as in Caffe, whose solverstate does not hold max_iter).
        _ = maxIter;
        Param.Stepvalue = stepvalues;
        losses.Clear();
        losses.AddRange(window);
        lossIndex = nextSlot;
        SmoothedLoss = smoothed;
        SeededRandom.SetGlobalState(randomState);
        if (dataPositions is null)
        {
            if (dataLayers.Count > 0)
            {
                Log($"{path}: a version-{version} snapshot holds no data position; the data layers start again from the beginning");
            }
        }
        else
        {
            for (int i = 0; i < dataLayers.Count; i++)
            {
                var (seed, epoch, position) = dataPositions[i];
                dataLayers[i].Layer.Seek(seed, epoch, position);
            }
        }
    }

    // The DATA section, checked against this solver's data layers (same nets, names, item counts and shuffling,
    // positions inside the data) before anything is changed.
    private static (ulong? Seed, int Epoch, int Position)[] ReadDataPositions(SnapshotReader payload,
        List<(int Net, string Name, IdxDataLayer<T> Layer)> layers, Func<string, InvalidDataException> error)
    {
        var section = payload.ReadSection(SnapshotFormat.DataTag);
        int count = section.ReadCount("number of data layers");
        if (count != layers.Count)
        {
            throw error($"the snapshot has {count} data layers, the solver's nets have {layers.Count}");
        }

        var positions = new (ulong? Seed, int Epoch, int Position)[count];
        for (int i = 0; i < count; i++)
        {
            int net = section.ReadInt32($"data layer {i}: net");
            string name = section.ReadString($"data layer {i}: name");
            var (expectedNet, expectedName, layer) = layers[i];
            if (net != expectedNet || name != expectedName)
            {
                throw error($"data layer {i} is '{name}' of {NetName(net)} in the snapshot, '{expectedName}' of {NetName(expectedNet)} in the solver");
            }

            string what = $"data layer '{name}' of {NetName(net)}";
            int items = section.ReadInt32($"{what}: item count");
            if (items != layer.ItemCount)
            {
                throw error($"{what} read {items} items when the snapshot was taken; it reads {layer.ItemCount} now ({layer.ImagesPath?.FullPath})");
            }

            int shuffled = section.ReadInt32($"{what}: shuffled flag");
            if (shuffled is not (0 or 1))
            {
                throw error($"malformed snapshot: {what}: shuffled flag is {shuffled}, expected 0 or 1");
            }

            ulong seed = section.ReadUInt64($"{what}: seed");
            int epoch = section.ReadInt32($"{what}: epoch");
            int position = section.ReadInt32($"{what}: position");
            positions[i] = (shuffled == 1 ? seed : null, epoch, position);
            try
            {
                layer.CheckSeek(positions[i].Seed, epoch, position);
            }
            catch (ArgumentException e)
            {
                throw error($"{what} cannot continue from the snapshot: {e.Message}");
            }
        }

        section.ExpectEnd(SnapshotFormat.DataTag);
        return positions;
    }

    private static string NetName(int net) => net == 0 ? "the training net" : $"test net {net - 1}";

    // The data layers whose position a snapshot keeps, in net order: the training net's, then each test net's.
    private List<(int Net, string Name, IdxDataLayer<T> Layer)> DataLayers()
    {
        var result = new List<(int, string, IdxDataLayer<T>)>();
        Net<T>[] nets = [Net, .. testNets];
        for (int n = 0; n < nets.Length; n++)
        {
            for (int l = 0; l < nets[n].Layers.Count; l++)
            {
                if (nets[n].Layers[l] is IdxDataLayer<T> layer)
                {
                    result.Add((n, nets[n].LayerNames[l], layer));
                }
            }
        }

        return result;
    }

    private static T[] ReadBlobValues(SnapshotReader reader, Blob<T> target, string what, Func<string, InvalidDataException> error)
    {
        int[] shape = reader.ReadShape(what);
        if (!shape.AsSpan().SequenceEqual([.. target.Shape]))
        {
            throw error($"shape mismatch for {what}: {SnapshotFormat.ShapeText(shape)} in the snapshot, {SnapshotFormat.ShapeText(target.Shape)} in the net");
        }

        return reader.ReadValues<T>(target.Count, $"{what} data");
    }

    // The owning layer's name and the param's index in it, for each learnable param in net order. Net.Params lists
    // every layer's blobs in layer order; the owners among them (ParamOwners < 0) are the learnable params.
    private (string Layer, int Index)[] LearnableParamOwners()
    {
        var result = new (string Layer, int Index)[Net.LearnableParams.Count];
        int j = 0;
        for (int l = 0; l < Net.Layers.Count; l++)
        {
            for (int p = 0; p < Net.Layers[l].Blobs.Count; p++, j++)
            {
                if (Net.ParamOwners[j] < 0)
                {
                    result[Net.LearnableParamIds[j]] = (Net.LayerNames[l], p);
                }
            }
        }

        return result;
    }
}
