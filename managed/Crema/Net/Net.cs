using System.Globalization;
using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Cuda;
using Crema.Layers;
using Crema.Parameters;
using Microsoft.Extensions.Logging;

namespace Crema.Net;

/// <summary>
/// Caffe's <c>Net</c>: layers wired into a graph by blob name (SPEC §5). Construction keeps the layers whose
/// <c>include</c>/<c>exclude</c> rules the state meets, inserts Split layers for blobs read by several layers (a top
/// with a loss weight that is also read counts as one more reader), connects bottoms and tops (a top named like the
/// bottom at its index works in place), sets each layer up, decides which layers and bottoms need a backward pass,
/// and gathers the learnable parameters, sharing those that carry the same <c>param { name }</c>.
/// </summary>
public sealed class Net<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The name of a top a layer gets without one in its parameter (<see cref="Layer{T}.AutoTopBlobs"/>).</summary>
    public const string AutomaticBlobName = "(automatic)";

    private readonly List<Layer<T>> layers = [];
    private readonly List<string> layerNames = [];
    private readonly Dictionary<string, int> layerIndex = new(StringComparer.Ordinal);
    private readonly List<Blob<T>> blobs = [];
    private readonly List<string> blobNames = [];
    private readonly Dictionary<string, int> blobIndex = new(StringComparer.Ordinal);
    private readonly List<bool> blobNeedBackward = [];
    private readonly List<T> blobLossWeights = [];
    private readonly List<List<Blob<T>>> bottomVecs = [];
    private readonly List<List<int>> bottomIds = [];
    private readonly List<List<bool>> bottomNeedBackward = [];
    private readonly List<List<Blob<T>>> topVecs = [];
    private readonly List<List<int>> topIds = [];
    private readonly List<bool> layerNeedBackward = [];
    private readonly List<bool> readLossAtOnce = [];
    private readonly List<Blob<T>> parameters = [];
    private readonly List<List<int>> paramIds = [];
    private readonly List<List<bool>> paramPropagateDown = [];
    private readonly List<int> paramOwners = [];
    private readonly List<string> paramDisplayNames = [];
    private readonly List<(int Layer, int Param)> paramLayerIndices = [];
    private readonly Dictionary<string, int> paramNameIndex = new(StringComparer.Ordinal);
    private readonly List<Blob<T>> learnableParams = [];
    private readonly List<int> learnableParamIds = [];
    private readonly List<float> paramsLrMult = [];
    private readonly List<float> paramsWeightDecay = [];
    private readonly List<bool> hasParamsLr = [];
    private readonly List<bool> hasParamsDecay = [];
    private readonly List<Blob<T>> inputBlobs = [];
    private readonly List<Blob<T>> outputBlobs = [];
    private readonly List<int> outputBlobIndices = [];
    private bool disposed;

    /// <summary>
    /// Builds the net <paramref name="param"/> describes for <paramref name="phase"/> (which overrides the phase of
    /// <c>state</c>). The parameter is not changed; <see cref="Param"/> holds the net as built (filtered, with splits).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A wiring error (unknown bottom, a top produced twice, wrong blob counts, <c>propagate_down</c> of the wrong
    /// length, shared parameters of different shapes); the message names the layer and the blob.
    /// </exception>
    public Net(NetParameter param, Phase phase, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(param);
        Logger = logger;
        Phase = phase;
        DebugInfo = param.DebugInfo;
        try
        {
            Build(param);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The net's name.</summary>
    public string Name => Param.Name;

    /// <summary>The phase the net was built for.</summary>
    public Phase Phase { get; }

    /// <summary>The parameter as built: layers filtered by the state, Split layers inserted, phases set.</summary>
    public NetParameter Param { get; private set; } = new();

    /// <summary>Where debug info goes; null writes nothing.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Whether Forward/Backward/Update log Caffe's per-layer statistics to <see cref="Logger"/>.</summary>
    public bool DebugInfo { get; set; }

    /// <summary>The layers in forward order.</summary>
    public IReadOnlyList<Layer<T>> Layers => layers;

    /// <summary>The layers' names, by index.</summary>
    public IReadOnlyList<string> LayerNames => layerNames;

    /// <summary>Every blob the layers read and write, in the order they were made.</summary>
    public IReadOnlyList<Blob<T>> Blobs => blobs;

    /// <summary>The blobs' names, by index (<see cref="AutomaticBlobName"/> for unnamed automatic tops).</summary>
    public IReadOnlyList<string> BlobNames => blobNames;

    /// <summary>Each blob's loss weight (0 for blobs that are not part of the loss).</summary>
    public IReadOnlyList<T> BlobLossWeights => blobLossWeights;

    /// <summary>The bottoms of each layer.</summary>
    public IReadOnlyList<IReadOnlyList<Blob<T>>> BottomVecs => bottomVecs;

    /// <summary>The tops of each layer.</summary>
    public IReadOnlyList<IReadOnlyList<Blob<T>>> TopVecs => topVecs;

    /// <summary>The indices into <see cref="Blobs"/> of each layer's bottoms.</summary>
    public IReadOnlyList<IReadOnlyList<int>> BottomIds => bottomIds;

    /// <summary>The indices into <see cref="Blobs"/> of each layer's tops.</summary>
    public IReadOnlyList<IReadOnlyList<int>> TopIds => topIds;

    /// <summary>For each layer, whether each of its bottoms gets a diff in <see cref="Backward"/>.</summary>
    public IReadOnlyList<IReadOnlyList<bool>> BottomNeedBackward => bottomNeedBackward;

    /// <summary>For each layer, whether <see cref="Backward"/> runs it.</summary>
    public IReadOnlyList<bool> LayerNeedBackward => layerNeedBackward;

    /// <summary>For each layer, whether each of its parameters gets a gradient (its <c>lr_mult</c> is not 0, or <c>force_backward</c>).</summary>
    public IReadOnlyList<IReadOnlyList<bool>> ParamPropagateDown => paramPropagateDown;

    /// <summary>Every layer's parameter blobs, sharers included, in layer order.</summary>
    public IReadOnlyList<Blob<T>> Params => parameters;

    /// <summary>For each entry of <see cref="Params"/>, the index of the entry it shares with, or -1 for an owner.</summary>
    public IReadOnlyList<int> ParamOwners => paramOwners;

    /// <summary>For each entry of <see cref="Params"/>, its <c>param { name }</c> or its index in its layer.</summary>
    public IReadOnlyList<string> ParamDisplayNames => paramDisplayNames;

    /// <summary>The parameter blobs the solver updates: one per owner (sharers see these).</summary>
    public IReadOnlyList<Blob<T>> LearnableParams => learnableParams;

    /// <summary>For each entry of <see cref="Params"/>, the index into <see cref="LearnableParams"/> it uses.</summary>
    public IReadOnlyList<int> LearnableParamIds => learnableParamIds;

    /// <summary>The <c>lr_mult</c> of each learnable parameter.</summary>
    public IReadOnlyList<float> ParamsLrMult => paramsLrMult;

    /// <summary>The <c>decay_mult</c> of each learnable parameter.</summary>
    public IReadOnlyList<float> ParamsWeightDecay => paramsWeightDecay;

    /// <summary>The legacy net inputs (<c>input</c>), for the caller to fill.</summary>
    public IReadOnlyList<Blob<T>> InputBlobs => inputBlobs;

    /// <summary>The blobs no layer reads: the net's outputs, in ordinal name order (as Caffe lists them).</summary>
    public IReadOnlyList<Blob<T>> OutputBlobs => outputBlobs;

    /// <summary>The index in <see cref="Blobs"/> of each of <see cref="OutputBlobs"/>.</summary>
    public IReadOnlyList<int> OutputBlobIndices => outputBlobIndices;

    /// <summary>Called with each layer index before the layer's forward pass.</summary>
    public List<Action<int>> BeforeForward { get; } = [];

    /// <summary>Called with each layer index after the layer's forward pass.</summary>
    public List<Action<int>> AfterForward { get; } = [];

    /// <summary>Called with each layer index before its backward pass (also for layers that need none).</summary>
    public List<Action<int>> BeforeBackward { get; } = [];

    /// <summary>Called with each layer index after its backward pass (also for layers that need none).</summary>
    public List<Action<int>> AfterBackward { get; } = [];

    /// <summary>Whether the net has a blob named <paramref name="name"/>.</summary>
    public bool HasBlob(string name) => blobIndex.ContainsKey(name);

    /// <summary>The blob named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No blob has that name; the message names it.</exception>
    public Blob<T> BlobByName(string name) =>
        blobIndex.TryGetValue(name, out int i) ? blobs[i] : throw new KeyNotFoundException($"net '{Name}' has no blob named '{name}'");

    /// <summary>Whether the net has a layer named <paramref name="name"/>.</summary>
    public bool HasLayer(string name) => layerIndex.ContainsKey(name);

    /// <summary>The (first) layer named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No layer has that name; the message names it.</exception>
    public Layer<T> LayerByName(string name) =>
        layerIndex.TryGetValue(name, out int i) ? layers[i] : throw new KeyNotFoundException($"net '{Name}' has no layer named '{name}'");

    /// <summary>Runs every layer forward and returns the total weighted loss.</summary>
    public T Forward() => layers.Count == 0 ? T.Zero : ForwardFromTo(0, layers.Count - 1);

    /// <summary>
    /// Runs layers <paramref name="start"/> to <paramref name="end"/> (inclusive) forward and returns their weighted
    /// loss; nothing runs when start &gt; end. The losses are read once, after the last layer (on the GPU nothing
    /// waits for the device before that), and then errors the device recorded are thrown (for example an invalid
    /// label in SoftmaxWithLoss or Accuracy).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">start or end is not a layer index.</exception>
    public T ForwardFromTo(int start, int end)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        CheckLayerIndex(start, nameof(start));
        CheckLayerIndex(end, nameof(end));
        return RunForward(start, end, lossSum: null);
    }

    /// <summary>
    /// Runs every layer forward and adds the total weighted loss to <paramref name="lossSum"/>[0] on the device instead
    /// of returning it: the losses are added in the order <see cref="ForwardFromTo"/> adds them on the host, and
    /// nothing here waits for the device (except to copy the loss top of a layer without GPU kernels, computed on
    /// the host, to the device). Errors the device records (an invalid label) are not thrown here but at the latest by
    /// the next host read of a loss: <see cref="ThrowIfDeviceErrors"/>, <see cref="Forward()"/>,
    /// <see cref="ForwardFromTo"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="lossSum"/> is a default or empty span, or belongs to another
    /// context than the blobs' device memory.</exception>
    public void ForwardDeferred(DeviceSpan<T> lossSum)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (lossSum.Buffer is null || lossSum.Length < 1)
        {
            throw new ArgumentException("lossSum must be a device span with room for one element", nameof(lossSum));
        }

        if (layers.Count > 0)
        {
            RunForward(0, layers.Count - 1, lossSum);
        }
    }

    /// <summary>
    /// <see cref="ForwardDeferred"/> then <see cref="Backward"/>: one training pass whose loss stays on the device
    /// (added to <paramref name="lossSum"/>[0]); see <see cref="ForwardDeferred"/> for when errors surface.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="lossSum"/> is a default or empty span.</exception>
    public void ForwardBackwardDeferred(DeviceSpan<T> lossSum)
    {
        ForwardDeferred(lossSum);
        Backward();
    }

    /// <summary>
    /// Throws, in layer order, what the device recorded during the forward passes since the last check (for example
    /// an invalid label; see <see cref="Layer{T}.ThrowIfDeviceErrors"/>). Waits for the device when a layer has
    /// something to read; does nothing on the CPU engine.
    /// </summary>
    public void ThrowIfDeviceErrors()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        foreach (var layer in layers)
        {
            layer.ThrowIfDeviceErrors();
        }
    }

    /// <summary>Runs layers <paramref name="start"/> to the last forward; see <see cref="ForwardFromTo"/>.</summary>
    public T ForwardFrom(int start) => ForwardFromTo(start, layers.Count - 1);

    /// <summary>Runs the first layer to <paramref name="end"/> forward; see <see cref="ForwardFromTo"/>.</summary>
    public T ForwardTo(int end) => ForwardFromTo(0, end);

    /// <summary>Runs every layer that needs it backward, last to first; with <see cref="DebugInfo"/>, logs the parameters' norms.</summary>
    public void Backward()
    {
        if (layers.Count == 0)
        {
            return;
        }

        BackwardFromTo(layers.Count - 1, 0);
        if (DebugInfo)
        {
            LogParamNorms();
        }
    }

    /// <summary>
    /// Runs layers <paramref name="start"/> down to <paramref name="end"/> (inclusive) backward, each only if it needs
    /// it; nothing runs when start &lt; end. The callbacks run for every index.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">start or end is not a layer index.</exception>
    public void BackwardFromTo(int start, int end)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        CheckLayerIndex(start, nameof(start));
        CheckLayerIndex(end, nameof(end));
        for (int i = start; i >= end; i--)
        {
            Run(BeforeBackward, i);
            if (layerNeedBackward[i])
            {
                layers[i].Backward(topVecs[i], bottomNeedBackward[i], bottomVecs[i]);
                if (DebugInfo)
                {
                    BackwardDebugInfo(i);
                }
            }

            Run(AfterBackward, i);
        }
    }

    /// <summary>Runs layers <paramref name="start"/> down to the first backward; see <see cref="BackwardFromTo"/>.</summary>
    public void BackwardFrom(int start) => BackwardFromTo(start, 0);

    /// <summary>Runs the last layer down to <paramref name="end"/> backward; see <see cref="BackwardFromTo"/>.</summary>
    public void BackwardTo(int end) => BackwardFromTo(layers.Count - 1, end);

    /// <summary><see cref="Forward()"/> then <see cref="Backward"/>; returns the loss.</summary>
    public T ForwardBackward()
    {
        var loss = Forward();
        Backward();
        return loss;
    }

    /// <summary>Reshapes every layer's tops for its bottoms' current shapes, first to last.</summary>
    public void Reshape()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        for (int i = 0; i < layers.Count; i++)
        {
            layers[i].Reshape(bottomVecs[i], topVecs[i]);
        }
    }

    /// <summary>data −= diff for each learnable parameter (owners only: sharers see the result).</summary>
    public void Update()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (DebugInfo)
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                UpdateDebugInfo(i);
            }
        }

        foreach (var blob in learnableParams)
        {
            blob.Update();
        }
    }

    /// <summary>
    /// Caffe's <c>ShareTrainedLayersWith</c>: every layer of this net whose name is a layer of <paramref name="other"/>
    /// uses that layer's param data (not copies: training <paramref name="other"/> changes what this net computes
    /// with). This is how a solver's test nets see the weights being trained. Layers with no namesake are left alone.
    /// </summary>
    /// <returns>The number of layers that now share.</returns>
    /// <exception cref="ArgumentException">A namesake has a different number of params or a param of another shape;
    /// the message names the layer and the param. Nothing is shared when this is thrown.</exception>
    public int ShareTrainedLayersWith(Net<T> other)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(other);
        var pairs = new List<(Blob<T> Mine, Blob<T> Theirs)>();
        int shared = 0;
        for (int l = 0; l < layers.Count; l++)
        {
            if (!other.layerIndex.TryGetValue(layerNames[l], out int source))
            {
                continue;
            }

            var mine = layers[l].Blobs;
            var theirs = other.layers[source].Blobs;
            if (mine.Count != theirs.Count)
            {
                throw new ArgumentException(
                    $"layer '{layerNames[l]}' has {mine.Count} params here but {theirs.Count} in net '{other.Name}'; cannot share its weights",
                    nameof(other));
            }

            for (int p = 0; p < mine.Count; p++)
            {
                if (!mine[p].ShapeEquals(theirs[p]))
                {
                    throw new ArgumentException(
                        $"layer '{layerNames[l]}' param {p} has shape {mine[p].ShapeString} here but {theirs[p].ShapeString} in net '{other.Name}'; cannot share its weights",
                        nameof(other));
                }

                pairs.Add((mine[p], theirs[p]));
            }

            shared++;
        }

        foreach (var (mine, theirs) in pairs)
        {
            mine.ShareData(theirs);
        }

        return shared;
    }

    /// <summary>Sets every learnable parameter's diff to zero, on the side (host or device) where it lives.</summary>
    public void ClearParamDiffs()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        foreach (var blob in learnableParams)
        {
            if (blob.Count == 0)
            {
                continue;
            }

            var head = blob.Diff.Head;
            bool onGpu = head is SyncedHead.HeadAtGpu or SyncedHead.Synced
                || (head == SyncedHead.Uninitialized && Engine.Current == ComputeEngine.Gpu);
            if (onGpu)
            {
                GpuMath.Set(T.Zero, blob.MutableGpuDiff);
            }
            else
            {
                CpuMath.Set(T.Zero, blob.MutableCpuDiff);
            }
        }
    }

    /// <summary>Frees the layers (and their parameters) and the blobs the net made.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var layer in layers)
        {
            layer.Dispose();
        }

        foreach (var blob in blobs)
        {
            blob.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Net<{typeof(T).Name}> '{Name}' ({layers.Count} layers)";

    private void Build(NetParameter source)
    {
        var state = source.State.Clone();
        state.Phase = Phase;
        var filtered = NetBuilder.Filter(source, state);
        var withSplits = NetBuilder.InsertSplits(filtered, DefaultLossWeight);
        foreach (var layer in withSplits.Layer)
        {
            layer.Phase ??= Phase;
        }

        Param = withSplits;

        var available = new HashSet<string>(StringComparer.Ordinal);
        var producer = new Dictionary<string, string>(StringComparer.Ordinal);
        AddInputs(withSplits, available, producer);

        for (int layerId = 0; layerId < withSplits.Layer.Count; layerId++)
        {
            var lp = withSplits.Layer[layerId];
            var layer = LayerRegistry<T>.Create(lp);
            layers.Add(layer);
            layerNames.Add(lp.Name);
            layerIndex.TryAdd(lp.Name, layerId);
            bottomVecs.Add([]);
            bottomIds.Add([]);
            bottomNeedBackward.Add([]);
            topVecs.Add([]);
            topIds.Add([]);
            paramIds.Add([]);
            paramPropagateDown.Add([]);

            if (lp.PropagateDown.Count != 0 && lp.PropagateDown.Count != lp.Bottom.Count)
            {
                throw new ArgumentException(
                    $"layer '{lp.Name}' ({lp.Type}): propagate_down is given {lp.PropagateDown.Count} time(s) but the layer has " +
                    $"{lp.Bottom.Count} bottom(s) ({string.Join(", ", lp.Bottom)})");
            }

            bool needBackward = false;
            for (int b = 0; b < lp.Bottom.Count; b++)
            {
                int blobId = AppendBottom(layerId, lp, b, available);
                needBackward |= blobNeedBackward[blobId];
            }

            for (int t = 0; t < lp.Top.Count; t++)
            {
                AppendTop(layerId, lp, lp.Top[t], t, available, producer);
            }

            if (layer.AutoTopBlobs)
            {
                int needed = Math.Max(layer.ExactNumTopBlobs, layer.MinTopBlobs);
                for (int t = lp.Top.Count; t < needed; t++)
                {
                    AppendTop(layerId, lp, AutomaticBlobName, t, available: null, producer: null);
                }
            }

            SetUpLayer(layerId, lp);

            for (int t = 0; t < topIds[layerId].Count; t++)
            {
                int blobId = topIds[layerId][t];
                blobLossWeights[blobId] += layer.LossWeight(t);
            }

            for (int p = 0; p < layer.Blobs.Count; p++)
            {
                bool paramNeedBackward = p >= lp.Param.Count || lp.Param[p].LrMult != 0;
                paramPropagateDown[layerId].Add(paramNeedBackward);
                layer.SetParamPropagateDown(p, paramNeedBackward);
                needBackward |= paramNeedBackward;
                AppendParam(layerId, lp, p);
            }

            layerNeedBackward.Add(needBackward);
            if (needBackward)
            {
                foreach (int blobId in topIds[layerId])
                {
                    blobNeedBackward[blobId] = true;
                }
            }
        }

        PruneBackward();
        if (withSplits.ForceBackward)
        {
            ForceBackward();
        }

        // Caffe keeps the unread blobs in a std::set: the outputs come in ordinal name order.
        foreach (string name in available.Order(StringComparer.Ordinal))
        {
            outputBlobIndices.Add(blobIndex[name]);
            outputBlobs.Add(blobs[blobIndex[name]]);
        }

        ShareWeights();
        DecideLossReads();
    }

    // The split insertion needs each top's loss weight before the layers exist: the one given, else the layer type's
    // default (Layer.DefaultLossWeight: 1 for a loss layer's first top), asked of a layer made only for that.
    private static float DefaultLossWeight(LayerParameter param, int topIndex)
    {
        if (topIndex < param.LossWeight.Count)
        {
            return param.LossWeight[topIndex];
        }

        using var probe = LayerRegistry<T>.Create(param);
        return float.CreateChecked(probe.DefaultLossWeight(topIndex));
    }

    private void AddInputs(NetParameter param, HashSet<string> available, Dictionary<string, string> producer)
    {
        var shapes = NetBuilder.InputShapes(param);
        for (int i = 0; i < param.Input.Count; i++)
        {
            string name = param.Input[i];
            if (!producer.TryAdd(name, "(net input)"))
            {
                throw new ArgumentException($"net input '{name}' is given twice");
            }

            var blob = new Blob<T>(shapes[i]);
            int id = AddBlob(name, blob);
            inputBlobs.Add(blob);
            blobNeedBackward[id] = false;
            available.Add(name);
        }
    }

    private int AddBlob(string name, Blob<T> blob)
    {
        int id = blobs.Count;
        blobs.Add(blob);
        blobNames.Add(name);
        if (name != AutomaticBlobName)
        {
            blobIndex[name] = id;
        }

        blobNeedBackward.Add(false);
        blobLossWeights.Add(T.Zero);
        return id;
    }

    private int AppendBottom(int layerId, LayerParameter lp, int bottomIndex, HashSet<string> available)
    {
        string name = lp.Bottom[bottomIndex];
        if (!available.Contains(name))
        {
            throw new ArgumentException(
                $"layer '{lp.Name}' ({lp.Type}): unknown bottom blob '{name}' (bottom {bottomIndex}); no earlier layer produces it");
        }

        int blobId = blobIndex[name];
        bottomVecs[layerId].Add(blobs[blobId]);
        bottomIds[layerId].Add(blobId);
        available.Remove(name);
        bool need = lp.PropagateDown.Count > 0 ? lp.PropagateDown[bottomIndex] : blobNeedBackward[blobId];
        bottomNeedBackward[layerId].Add(need);
        return blobId;
    }

    private void AppendTop(
        int layerId, LayerParameter lp, string name, int topIndex, HashSet<string>? available, Dictionary<string, string>? producer)
    {
        int blobId;
        if (available is not null && topIndex < lp.Bottom.Count && lp.Bottom[topIndex] == name)
        {
            // In place: the top is the bottom at the same index.
            blobId = bottomIds[layerId][topIndex];
        }
        else if (producer is not null && producer.TryGetValue(name, out string? previous))
        {
            throw new ArgumentException(
                $"layer '{lp.Name}' ({lp.Type}): top blob '{name}' (top {topIndex}) is already produced by {Describe(previous)}");
        }
        else
        {
            blobId = AddBlob(name, new Blob<T>());
        }

        producer?.TryAdd(name, lp.Name);
        topVecs[layerId].Add(blobs[blobId]);
        topIds[layerId].Add(blobId);
        available?.Add(name);
    }

    private static string Describe(string producer) => producer == "(net input)" ? "a net input" : $"layer '{producer}'";

    private void SetUpLayer(int layerId, LayerParameter lp)
    {
        try
        {
            layers[layerId].SetUp(bottomVecs[layerId], topVecs[layerId]);
        }
        catch (ArgumentException e)
        {
            var bottomNames = bottomIds[layerId].Select(i => $"'{blobNames[i]}'");
            var topNames = topIds[layerId].Select(i => $"'{blobNames[i]}'");
            throw new ArgumentException(
                $"layer '{lp.Name}' ({lp.Type}) with bottom blobs [{string.Join(", ", bottomNames)}] and top blobs " +
                $"[{string.Join(", ", topNames)}]: {e.Message}", e);
        }
    }

    private void AppendParam(int layerId, LayerParameter lp, int paramIndex)
    {
        var spec = paramIndex < lp.Param.Count ? lp.Param[paramIndex] : null;
        string? name = string.IsNullOrEmpty(spec?.Name) ? null : spec.Name;
        int netParamId = parameters.Count;
        var blob = layers[layerId].Blobs[paramIndex];
        parameters.Add(blob);
        paramIds[layerId].Add(netParamId);
        paramLayerIndices.Add((layerId, paramIndex));
        paramDisplayNames.Add(name ?? paramIndex.ToString(CultureInfo.InvariantCulture));

        if (name is null || !paramNameIndex.TryGetValue(name, out int ownerId))
        {
            paramOwners.Add(-1);
            if (name is not null)
            {
                paramNameIndex[name] = netParamId;
            }

            learnableParamIds.Add(learnableParams.Count);
            learnableParams.Add(blob);
            paramsLrMult.Add(spec?.LrMult ?? 1);
            paramsWeightDecay.Add(spec?.DecayMult ?? 1);
            hasParamsLr.Add(spec?.HasLrMult ?? false);
            hasParamsDecay.Add(spec?.HasDecayMult ?? false);
            return;
        }

        paramOwners.Add(ownerId);
        var (ownerLayer, ownerParam) = paramLayerIndices[ownerId];
        var ownerBlob = layers[ownerLayer].Blobs[ownerParam];
        if (!blob.ShapeEquals(ownerBlob))
        {
            throw new ArgumentException(
                $"layer '{lp.Name}' ({lp.Type}): param '{name}' (param {paramIndex}) has shape {blob.ShapeString} but its owner, " +
                $"param {ownerParam} of layer '{layerNames[ownerLayer]}', has shape {ownerBlob.ShapeString}; shared params must have the same shape");
        }

        int learnableId = learnableParamIds[ownerId];
        learnableParamIds.Add(learnableId);
        // As Caffe: a sharer that gives a multiplier sets it when nobody gave one yet and must agree otherwise; one
        // that gives none leaves the owner's (given or default).
        Merge(paramsLrMult, hasParamsLr, spec?.LrMultIfGiven, "lr_mult");
        Merge(paramsWeightDecay, hasParamsDecay, spec?.DecayMultIfGiven, "decay_mult");

        void Merge(List<float> values, List<bool> given, float? sharer, string field)
        {
            if (sharer is not float value)
            {
                return;
            }

            if (!given[learnableId])
            {
                values[learnableId] = value;
                given[learnableId] = true;
            }
            else if (values[learnableId] != value)
            {
                throw new ArgumentException(
                    $"layer '{lp.Name}' ({lp.Type}): shared param '{name}' has {field} {value} here but " +
                    $"{values[learnableId]} in layer '{layerNames[ownerLayer]}'");
            }
        }
    }

    // Caffe's pruning: walking back from the last layer, a layer none of whose tops carries a loss or feeds a layer
    // under the loss skips backward, and so does one whose tops all skip back-propagation.
    private void PruneBackward()
    {
        var underLoss = new HashSet<int>();
        var skipBackprop = new HashSet<int>();
        for (int layerId = layers.Count - 1; layerId >= 0; layerId--)
        {
            bool contributesLoss = false;
            bool skipPropagateDown = true;
            for (int t = 0; t < topIds[layerId].Count; t++)
            {
                int blobId = topIds[layerId][t];
                if (layers[layerId].LossWeight(t) != T.Zero || underLoss.Contains(blobId))
                {
                    contributesLoss = true;
                }

                if (!skipBackprop.Contains(blobId))
                {
                    skipPropagateDown = false;
                }

                if (contributesLoss && !skipPropagateDown)
                {
                    break;
                }
            }

            if (layerNeedBackward[layerId] && skipPropagateDown)
            {
                layerNeedBackward[layerId] = false;
                SetAll(bottomNeedBackward[layerId], false);
            }

            if (!contributesLoss)
            {
                layerNeedBackward[layerId] = false;
            }

            for (int b = 0; b < bottomIds[layerId].Count; b++)
            {
                int blobId = bottomIds[layerId][b];
                if (contributesLoss)
                {
                    underLoss.Add(blobId);
                }
                else
                {
                    bottomNeedBackward[layerId][b] = false;
                }

                if (!bottomNeedBackward[layerId][b])
                {
                    skipBackprop.Add(blobId);
                }
            }
        }
    }

    private void ForceBackward()
    {
        for (int layerId = 0; layerId < layers.Count; layerId++)
        {
            layerNeedBackward[layerId] = true;
            for (int b = 0; b < bottomIds[layerId].Count; b++)
            {
                bool need = bottomNeedBackward[layerId][b] || layers[layerId].AllowForceBackward(b);
                bottomNeedBackward[layerId][b] = need;
                int blobId = bottomIds[layerId][b];
                blobNeedBackward[blobId] = blobNeedBackward[blobId] || need;
            }

            SetAll(paramPropagateDown[layerId], true);
            for (int p = 0; p < layers[layerId].Blobs.Count; p++)
            {
                layers[layerId].SetParamPropagateDown(p, true);
            }
        }
    }

    private void ShareWeights()
    {
        for (int i = 0; i < parameters.Count; i++)
        {
            if (paramOwners[i] >= 0)
            {
                parameters[i].ShareData(parameters[paramOwners[i]]);
                parameters[i].ShareDiff(parameters[paramOwners[i]]);
            }
        }
    }

    // A loss is read after the whole pass unless a later layer overwrites the loss top in place.
    private void DecideLossReads()
    {
        for (int i = 0; i < layers.Count; i++)
        {
            bool overwritten = false;
            for (int t = 0; t < topIds[i].Count && !overwritten; t++)
            {
                if (layers[i].LossWeight(t) == T.Zero)
                {
                    continue;
                }

                for (int later = i + 1; later < layers.Count && !overwritten; later++)
                {
                    overwritten = topIds[later].Contains(topIds[i][t]);
                }
            }

            readLossAtOnce.Add(overwritten);
        }
    }

    // The forward pass behind ForwardFromTo and ForwardDeferred: each loss is read (or, with lossSum, added on the
    // device) after the whole pass, unless a later layer overwrites its top in place; then right after its layer.
    private T RunForward(int start, int end, DeviceSpan<T>? lossSum)
    {
        var loss = T.Zero;
        for (int i = start; i <= end; i++)
        {
            Run(BeforeForward, i);
            layers[i].ForwardDeferred(bottomVecs[i], topVecs[i]);
            if (layers[i].HasLoss && readLossAtOnce[i])
            {
                AddLoss(i, ref loss, lossSum);
            }

            if (DebugInfo)
            {
                ForwardDebugInfo(i);
            }

            Run(AfterForward, i);
        }

        // The losses that could wait, in layer order, after the last layer (no list: this runs every pass).
        for (int i = start; i <= end; i++)
        {
            if (layers[i].HasLoss && !readLossAtOnce[i])
            {
                AddLoss(i, ref loss, lossSum);
            }
        }

        if (lossSum is null)
        {
            // A host read of the loss: layers without a loss may have recorded errors on the device too (Accuracy's
            // invalid labels); ReadLoss reported those of the loss layers. A layer that records nothing returns at once.
            for (int i = start; i <= end; i++)
            {
                if (!layers[i].HasLoss)
                {
                    layers[i].ThrowIfDeviceErrors();
                }
            }
        }

        return loss;
    }

    private void AddLoss(int layerId, ref T loss, DeviceSpan<T>? lossSum)
    {
        if (lossSum is { } sum)
        {
            layers[layerId].AccumulateLoss(topVecs[layerId], sum);
        }
        else
        {
            loss += layers[layerId].ReadLoss(topVecs[layerId]);
        }
    }

    private static void SetAll(List<bool> flags, bool value)
    {
        for (int i = 0; i < flags.Count; i++)
        {
            flags[i] = value;
        }
    }

    private void CheckLayerIndex(int index, string name)
    {
        if (index < 0 || index >= layers.Count)
        {
            throw new ArgumentOutOfRangeException(name, index, $"{name} must be a layer index in [0, {layers.Count})");
        }
    }

    private static void Run(List<Action<int>> callbacks, int layerId)
    {
        foreach (var callback in callbacks)
        {
            callback(layerId);
        }
    }

    private void ForwardDebugInfo(int layerId)
    {
        for (int t = 0; t < topVecs[layerId].Count; t++)
        {
            var blob = topVecs[layerId][t];
            Log($"    [Forward] Layer {layerNames[layerId]}, top blob {blobNames[topIds[layerId][t]]} data: {Mean(blob.AsumData(), blob)}");
        }

        for (int p = 0; p < layers[layerId].Blobs.Count; p++)
        {
            var blob = layers[layerId].Blobs[p];
            int netParamId = paramIds[layerId][p];
            Log($"    [Forward] Layer {layerNames[layerId]}, param blob {paramDisplayNames[netParamId]} data: {Mean(blob.AsumData(), blob)}");
        }
    }

    private void BackwardDebugInfo(int layerId)
    {
        for (int b = 0; b < bottomVecs[layerId].Count; b++)
        {
            if (!bottomNeedBackward[layerId][b])
            {
                continue;
            }

            var blob = bottomVecs[layerId][b];
            Log($"    [Backward] Layer {layerNames[layerId]}, bottom blob {blobNames[bottomIds[layerId][b]]} diff: {Mean(blob.AsumDiff(), blob)}");
        }

        for (int p = 0; p < layers[layerId].Blobs.Count; p++)
        {
            if (!paramPropagateDown[layerId][p])
            {
                continue;
            }

            var blob = layers[layerId].Blobs[p];
            Log($"    [Backward] Layer {layerNames[layerId]}, param blob {p} diff: {Mean(blob.AsumDiff(), blob)}");
        }
    }

    private void UpdateDebugInfo(int paramId)
    {
        var blob = parameters[paramId];
        var (layerId, _) = paramLayerIndices[paramId];
        int owner = paramOwners[paramId];
        if (owner < 0)
        {
            Log($"    [Update] Layer {layerNames[layerId]}, param {paramDisplayNames[paramId]} data: {Mean(blob.AsumData(), blob)}; " +
                $"diff: {Mean(blob.AsumDiff(), blob)}");
        }
        else
        {
            Log($"    [Update] Layer {layerNames[layerId]}, param blob {paramDisplayNames[paramId]} (owned by layer " +
                $"{layerNames[paramLayerIndices[owner].Layer]}, param {paramDisplayNames[owner]}) diff: {Mean(blob.AsumDiff(), blob)}");
        }
    }

    private void LogParamNorms()
    {
        var asumData = T.Zero;
        var asumDiff = T.Zero;
        var sumsqData = T.Zero;
        var sumsqDiff = T.Zero;
        foreach (var blob in learnableParams)
        {
            asumData += blob.AsumData();
            asumDiff += blob.AsumDiff();
            sumsqData += blob.SumsqData();
            sumsqDiff += blob.SumsqDiff();
        }

        Log($"    [Backward] All net params (data, diff): L1 norm = ({Number(asumData)}, {Number(asumDiff)}); " +
            $"L2 norm = ({Number(T.Sqrt(sumsqData))}, {Number(T.Sqrt(sumsqDiff))})");
    }

    private static string Mean(T asum, Blob<T> blob) => blob.Count == 0 ? "0" : Number(asum / T.CreateChecked(blob.Count));

    // As Caffe's logs print numbers (CaffeFormat.Number).
    internal static string Number(T value) => CaffeFormat.Number(double.CreateChecked(value));

    private void Log(string line)
    {
        if (Logger is not null)
        {
            NetLog.DebugLine(Logger, line);
        }
    }
}
