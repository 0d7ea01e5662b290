using System.Numerics;
using Crema.Core;
using Crema.Fillers;
using Crema.Parameters;

namespace Crema.Net;

/// <summary>What a compared tensor is.</summary>
public enum ComparedKind
{
    /// <summary>The loss <see cref="Net{T}.Forward()"/> returned (one value).</summary>
    Loss,

    /// <summary>One of the net's blobs (<see cref="Net{T}.Blobs"/>).</summary>
    Blob,

    /// <summary>One of a layer's parameter blobs.</summary>
    Param,
}

/// <summary>How one tensor of the candidate net differs from the reference net's.</summary>
/// <param name="Kind">Loss, blob or param.</param>
/// <param name="Name">The blob's name; <c>layer[index]</c> for a param; <c>loss</c> for the loss.</param>
/// <param name="Shape">The tensor's shape (empty for the loss).</param>
/// <param name="Data">The largest relative difference of the data.</param>
/// <param name="Diff">The largest relative difference of the diff (null for the loss, or when nothing ran backward).</param>
public sealed record ComparedTensor(ComparedKind Kind, string Name, IReadOnlyList<int> Shape, ElementDifference Data, ElementDifference? Diff)
{
    /// <summary>The larger of the data's and the diff's largest relative difference.</summary>
    public double MaxRelative => Math.Max(Data.MaxRelative, Diff?.MaxRelative ?? 0);
}

/// <summary>The result of comparing two nets: one entry per compared tensor, in net order.</summary>
/// <param name="Entries">The loss (when compared) first, then every blob, then every layer's params.</param>
/// <param name="Floor">The floor of the relative difference (see <see cref="RelativeDifference"/>).</param>
public sealed record NetComparisonReport(IReadOnlyList<ComparedTensor> Entries, double Floor)
{
    /// <summary>The entry with the largest relative difference (the first of equals), or null when there are none.</summary>
    public ComparedTensor? Worst => Entries.Count == 0 ? null : Entries.MaxBy(e => e.MaxRelative);

    /// <summary>The largest relative difference over every entry (0 when there are none).</summary>
    public double MaxRelative => Entries.Count == 0 ? 0 : Entries.Max(e => e.MaxRelative);

    /// <summary>The entries whose data or diff differ by more than <paramref name="tolerance"/>.</summary>
    public IReadOnlyList<ComparedTensor> PastTolerance(double tolerance) => [.. Entries.Where(e => e.MaxRelative > tolerance)];
}

/// <summary>How <see cref="NetComparison.Run{T}"/> runs the two nets.</summary>
public sealed record NetComparisonSettings
{
    /// <summary>The engine of the reference net (default the CPU, the reference path).</summary>
    public ComputeEngine Reference { get; init; } = ComputeEngine.Cpu;

    /// <summary>The engine of the candidate net (default the GPU).</summary>
    public ComputeEngine Candidate { get; init; } = ComputeEngine.Gpu;

    /// <summary>The GPU device, for whichever net runs on the GPU.</summary>
    public int Device { get; init; }

    /// <summary>The seed of the fillers' generator, set before each net is built and before each forward pass.</summary>
    public ulong Seed { get; init; } = SeededRandom.DefaultSeed;

    /// <summary>The floor of the relative difference (see <see cref="RelativeDifference"/>).</summary>
    public double Floor { get; init; } = RelativeDifference.DefaultFloor;

    /// <summary>Run Forward only (no Backward; the diffs are not compared).</summary>
    public bool ForwardOnly { get; init; }
}

/// <summary>
/// Runs one net on two engines from the same weights and the same input and compares every blob and param, data and
/// diff: what <c>crema check</c> does with the CPU as the reference and the GPU as the candidate. Two nets on the same
/// engine work too (the tests compare CPU with CPU).
/// </summary>
public static class NetComparison
{
    /// <summary>
    /// Builds <paramref name="param"/> for <paramref name="phase"/> twice and compares the runs:
    /// <list type="number">
    /// <item>On <see cref="NetComparisonSettings.Reference"/>: seed the generator, build the net, call
    /// <paramref name="initializeReference"/> (e.g. to load trained weights), seed again, run Forward (and Backward),
    /// keeping what each source layer (a layer without bottoms: Input, DummyData) wrote into its tops.</item>
    /// <item>On <see cref="NetComparisonSettings.Candidate"/>: seed, build, copy every layer's param data and the
    /// legacy net inputs from the reference, call <paramref name="prepareCandidate"/> (a test can perturb a param
    /// here), seed again, run Forward (and Backward); right after each source layer's forward its tops are overwritten
    /// with the reference's, so random data layers (which refill on every Forward) feed both nets the same numbers.</item>
    /// <item>Compare the losses, every blob and every layer's params (<see cref="Compare{T}"/>).</item>
    /// </list>
    /// The engine in use before the call is selected again afterwards. The process-wide generator
    /// (<see cref="SeededRandom.Global"/>) is reseeded.
    /// </summary>
    /// <exception cref="GpuUnavailableException">An engine is the GPU and it cannot be used.</exception>
    /// <exception cref="ArgumentException">The net cannot be built or run (wiring, shapes, labels).</exception>
    public static NetComparisonReport Run<T>(
        NetParameter param,
        Phase phase,
        NetComparisonSettings settings,
        Action<Net<T>>? initializeReference = null,
        Action<Net<T>>? prepareCandidate = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(param);
        ArgumentNullException.ThrowIfNull(settings);
        var previous = Engine.Current;
        int previousDevice = Engine.Device;
        try
        {
            Engine.Use(settings.Reference, settings.Device);
            SeededRandom.SetGlobalSeed(settings.Seed);
            using var reference = new Net<T>(param, phase);
            initializeReference?.Invoke(reference);

            var sourceTops = new Dictionary<int, T[][]>();
            reference.AfterForward.Add(i =>
            {
                if (IsSource(reference, i))
                {
                    sourceTops[i] = [.. reference.TopVecs[i].Select(top => top.GetData())];
                }
            });
            var referenceLoss = RunPass(reference, settings);

            Engine.Use(settings.Candidate, settings.Device);
            SeededRandom.SetGlobalSeed(settings.Seed);
            using var candidate = new Net<T>(param, phase);
            CheckSameStructure(reference, candidate);
            for (int l = 0; l < reference.Layers.Count; l++)
            {
                var from = reference.Layers[l].Blobs;
                var to = candidate.Layers[l].Blobs;
                for (int p = 0; p < from.Count; p++)
                {
                    to[p].SetData(from[p].CpuData);
                }
            }

            for (int i = 0; i < reference.InputBlobs.Count; i++)
            {
                candidate.InputBlobs[i].SetData(reference.InputBlobs[i].CpuData);
            }

            prepareCandidate?.Invoke(candidate);
            candidate.AfterForward.Add(i =>
            {
                if (sourceTops.TryGetValue(i, out var tops))
                {
                    for (int t = 0; t < tops.Length; t++)
                    {
                        candidate.TopVecs[i][t].SetData(tops[t]);
                    }
                }
            });
            var candidateLoss = RunPass(candidate, settings);

            return Compare(reference, candidate, settings.Floor, (referenceLoss, candidateLoss), compareDiffs: !settings.ForwardOnly);
        }
        finally
        {
            Engine.Use(previous, previousDevice);
        }
    }

    /// <summary>
    /// Compares two nets built from the same parameter after each has run: every blob's data and diff (in
    /// <see cref="Net{T}.Blobs"/> order), then every layer's param data and diff (named <c>layer[index]</c>), and the
    /// losses first when given. Reads every tensor back to the host.
    /// </summary>
    /// <exception cref="ArgumentException">The nets differ in layers, blob names or shapes.</exception>
    public static NetComparisonReport Compare<T>(
        Net<T> reference,
        Net<T> candidate,
        double floor = RelativeDifference.DefaultFloor,
        (T Reference, T Candidate)? losses = null,
        bool compareDiffs = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        CheckSameStructure(reference, candidate);
        var entries = new List<ComparedTensor>();
        if (losses is var (a, b))
        {
            entries.Add(new ComparedTensor(ComparedKind.Loss, "loss", [], RelativeDifference.Max<T>([a], [b], floor), null));
        }

        for (int i = 0; i < reference.Blobs.Count; i++)
        {
            entries.Add(CompareBlob(ComparedKind.Blob, reference.BlobNames[i], reference.Blobs[i], candidate.Blobs[i], floor, compareDiffs));
        }

        for (int l = 0; l < reference.Layers.Count; l++)
        {
            var mine = reference.Layers[l].Blobs;
            for (int p = 0; p < mine.Count; p++)
            {
                entries.Add(CompareBlob(ComparedKind.Param, $"{reference.LayerNames[l]}[{p}]", mine[p], candidate.Layers[l].Blobs[p], floor, compareDiffs));
            }
        }

        return new NetComparisonReport(entries, floor);
    }

    // Reseeds first, so layers that draw in Forward draw the same numbers in both nets.
    private static T RunPass<T>(Net<T> net, NetComparisonSettings settings)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        SeededRandom.SetGlobalSeed(settings.Seed);
        var loss = net.Forward();
        if (!settings.ForwardOnly)
        {
            net.Backward();
        }

        return loss;
    }

    private static bool IsSource<T>(Net<T> net, int layer)
        where T : unmanaged, IFloatingPointIeee754<T> => net.BottomVecs[layer].Count == 0;

    private static ComparedTensor CompareBlob<T>(ComparedKind kind, string name, Blob<T> reference, Blob<T> candidate, double floor, bool compareDiffs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = RelativeDifference.Max(reference.CpuData, candidate.CpuData, floor);
        ElementDifference? diff = compareDiffs ? RelativeDifference.Max(reference.CpuDiff, candidate.CpuDiff, floor) : null;
        return new ComparedTensor(kind, name, [.. reference.Shape], data, diff);
    }

    private static void CheckSameStructure<T>(Net<T> reference, Net<T> candidate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reference.Layers.Count != candidate.Layers.Count || !reference.LayerNames.SequenceEqual(candidate.LayerNames, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"the nets differ in their layers: [{string.Join(", ", reference.LayerNames)}] and [{string.Join(", ", candidate.LayerNames)}]",
                nameof(candidate));
        }

        if (!reference.BlobNames.SequenceEqual(candidate.BlobNames, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"the nets differ in their blobs: [{string.Join(", ", reference.BlobNames)}] and [{string.Join(", ", candidate.BlobNames)}]",
                nameof(candidate));
        }

        for (int i = 0; i < reference.Blobs.Count; i++)
        {
            Require(reference.Blobs[i], candidate.Blobs[i], $"blob '{reference.BlobNames[i]}'");
        }

        for (int l = 0; l < reference.Layers.Count; l++)
        {
            var mine = reference.Layers[l].Blobs;
            var theirs = candidate.Layers[l].Blobs;
            if (mine.Count != theirs.Count)
            {
                throw new ArgumentException(
                    $"layer '{reference.LayerNames[l]}' has {mine.Count} params in the reference net but {theirs.Count} in the candidate", nameof(candidate));
            }

            for (int p = 0; p < mine.Count; p++)
            {
                Require(mine[p], theirs[p], $"layer '{reference.LayerNames[l]}' param {p}");
            }
        }

        static void Require(Blob<T> a, Blob<T> b, string what)
        {
            if (!a.ShapeEquals(b))
            {
                throw new ArgumentException($"{what} has shape {a.ShapeString} in the reference net but {b.ShapeString} in the candidate", nameof(candidate));
            }
        }
    }
}
