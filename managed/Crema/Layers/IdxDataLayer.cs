using System.Numerics;
using Crema.Core;
using Crema.Cuda;
using Crema.Fillers;
using Crema.IO;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// <c>IdxData</c>: feeds batches from IDX files (MNIST's format, gzip or raw; see <see cref="Idx"/>). No bottoms; top 0
/// is the data, (batch, 1, rows, cols) for a 3-d image file and (batch, rest…) otherwise; the optional top 1 is the
/// labels, (batch) for a 1-d label file, as <typeparamref name="T"/>.
/// <para>
/// <c>idx_data_param</c> names the files (<c>images</c>, <c>labels</c>; relative paths resolve as
/// <see cref="DataLocation"/> says, after <c>root</c>), the <c>batch_size</c> (1 to the number of items), and whether to
/// <c>shuffle</c>: a new permutation of the items per epoch, drawn by the layer's own <see cref="SeededRandom"/>
/// (<c>seed</c>, or one drawn from <see cref="SeededRandom.Global"/> at setup). Without shuffling the items are walked in
/// order. A batch that runs past the last item continues with the next epoch. <c>transform_param</c> gives
/// <c>(value − mean_value[channel]) · scale</c> (labels are not transformed).
/// </para>
/// <para>
/// Prefetch (<c>idx_data_param.prefetch</c>, on by default): while the net runs, a background task assembles the next
/// batch into a second host buffer (page-locked on the GPU engine), so a forward pass only copies a ready buffer into
/// the tops; on the GPU that copy is asynchronous, and a buffer is refilled only after an event says the device has
/// read it. The batches are the same with and without prefetch. An exception in the task is thrown by the next Forward;
/// Dispose stops the task and waits for it. The layer has no backward (and no bottoms to propagate to).
/// </para>
/// </summary>
public sealed class IdxDataLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly BatchSlot[] slots = [new(), new()];
    private IdxArray? images;
    private IdxArray? labels;
    private EpochOrder? order;
    private int[] dataShape = [];
    private int[] labelShape = [];
    private T scale = T.One;
    private T[] means = [];
    private int channelSize;
    private int nextSlot;
    private Task<BatchSlot>? pending;
    private CancellationTokenSource? cancellation;

    /// <summary>Creates the layer; the files are read at setup.</summary>
    public IdxDataLayer(LayerParameter param)
        : base(param)
    {
        Prefetch = param.IdxDataParam.Prefetch;
    }

    /// <inheritdoc/>
    public override string Type => "IdxData";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 0;

    /// <inheritdoc/>
    public override int MinTopBlobs => 1;

    /// <inheritdoc/>
    public override int MaxTopBlobs => 2;

    /// <summary>Whether the next batch is assembled on a background task (<c>idx_data_param.prefetch</c>).</summary>
    public bool Prefetch { get; }

    /// <summary>The images file as resolved at setup (null before).</summary>
    public DataPath? ImagesPath { get; private set; }

    /// <summary>The labels file as resolved at setup (null before, or when the layer has no labels top).</summary>
    public DataPath? LabelsPath { get; private set; }

    /// <summary>The number of items in an epoch (0 before setup).</summary>
    public int ItemCount => images?.ItemCount ?? 0;

    /// <summary>Items per batch (0 before setup).</summary>
    public int BatchSize { get; private set; }

    /// <summary>The seed of the shuffling in use; null when the layer does not shuffle.</summary>
    public ulong? Seed { get; private set; }

    /// <summary>Whole epochs delivered by the forward passes so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Items of the current epoch delivered by the forward passes so far (0 at the start of an epoch).</summary>
    public int Position { get; private set; }

    /// <summary>Epochs delivered so far, with the fraction of the current one: <c>Epoch + Position / ItemCount</c>.</summary>
    public double EpochProgress => ItemCount == 0 ? 0 : Epoch + ((double)Position / ItemCount);

    /// <summary>Called on the thread that assembles a batch, before it starts (tests use it to inject failures).</summary>
    internal Action? BeforeFill { get; set; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A missing or bad parameter, item counts that differ, a batch larger than the data.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message says where it was looked for and how to get the data.</exception>
    /// <exception cref="InvalidDataException">A file is not an IDX file this layer reads; the message names it and says why.</exception>
    public override void LayerSetUp(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var p = LayerParam.IdxDataParam;
        if (string.IsNullOrEmpty(p.Images))
        {
            throw new ArgumentException($"{this}: idx_data_param.images is not set");
        }

        if (top.Count == 2 && string.IsNullOrEmpty(p.Labels))
        {
            throw new ArgumentException($"{this}: the second top (labels) needs idx_data_param.labels");
        }

        if (p.BatchSize == 0)
        {
            throw new ArgumentException($"{this}: idx_data_param.batch_size must be at least 1 (got 0)");
        }

        StopPrefetch();
        ResetSlots();
        (images, ImagesPath) = Load(p.Images, p.Root, "images");
        (labels, LabelsPath) = top.Count == 2 ? Load(p.Labels, p.Root, "labels") : (null, null);
        if (labels is not null && labels.ItemCount != images.ItemCount)
        {
            throw new ArgumentException(
                $"{this}: the images {ImagesPath!.FullPath} have {images.ItemCount} items but the labels " +
                $"{LabelsPath!.FullPath} have {labels.ItemCount}");
        }

        if (images.ItemCount == 0)
        {
            throw new ArgumentException($"{this}: the images {ImagesPath!.FullPath} have no items");
        }

        if (p.BatchSize > images.ItemCount)
        {
            throw new ArgumentException(
                $"{this}: idx_data_param.batch_size {p.BatchSize} is more than the {images.ItemCount} items of {ImagesPath!.FullPath}");
        }

        BatchSize = (int)p.BatchSize;
        dataShape = images.Shape.Count == 3
            ? [BatchSize, 1, images.Shape[1], images.Shape[2]]
            : [BatchSize, .. images.ItemShape];
        labelShape = labels is null ? [] : [BatchSize, .. labels.ItemShape];
        SetUpTransform();

        Seed = p.Shuffle ? p.Seed ?? SeededRandom.Global.NextUInt64() : null;
        order = new EpochOrder(images.ItemCount, Seed is ulong seed ? new SeededRandom(seed) : null);
        Epoch = 0;
        Position = 0;
        nextSlot = 0;
        Reshape(bottom, top);
        if (Prefetch)
        {
            StartPrefetch();
        }
    }

    /// <summary>
    /// Puts the layer where a run stood after delivering <paramref name="epoch"/> whole epochs and
    /// <paramref name="position"/> items of the next, shuffling with <paramref name="seed"/> as that run did (null: in
    /// file order): the next batch is the one that run delivered next. What <see cref="Solvers.SgdSolver{T}.Restore"/>
    /// calls, so a resumed run reads the data the uninterrupted one would have. A batch prefetched for the old
    /// position is dropped.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer is not set up.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative, or <paramref name="position"/> is
    /// not in [0, <see cref="ItemCount"/>).</exception>
    /// <exception cref="ArgumentException"><paramref name="seed"/> is given for a layer that does not shuffle, or missing
    /// for one that does.</exception>
    public void Seek(ulong? seed, int epoch, int position)
    {
        CheckSeek(seed, epoch, position);
        StopPrefetch();
        order = EpochOrder.At(ItemCount, seed is ulong s ? new SeededRandom(s) : null, epoch, position);
        Seed = seed;
        Epoch = epoch;
        Position = position;
        if (Prefetch)
        {
            StartPrefetch();
        }
    }

    /// <summary>The checks of <see cref="Seek"/>, without moving: a restore runs them for every layer before it changes anything.</summary>
    /// <exception cref="InvalidOperationException">The layer is not set up.</exception>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="Seek"/>.</exception>
    /// <exception cref="ArgumentException">See <see cref="Seek"/>.</exception>
    public void CheckSeek(ulong? seed, int epoch, int position)
    {
        if (images is null)
        {
            throw new InvalidOperationException($"{this}: Seek before the layer is set up");
        }

        if (epoch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"{this}: epoch {epoch} is negative");
        }

        if (position < 0 || position >= ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"{this}: position {position} is outside [0, {ItemCount}) (the data has {ItemCount} items)");
        }

        if (seed.HasValue != Seed.HasValue)
        {
            throw new ArgumentException(
                seed.HasValue
                    ? $"{this}: a shuffle seed ({seed}) was given, but this layer reads in file order (idx_data_param.shuffle is false)"
                    : $"{this}: no shuffle seed was given, but this layer shuffles (idx_data_param.shuffle is true)",
                nameof(seed));
        }
    }

    /// <summary>Gives the tops the shapes of a batch.</summary>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        top[0].Reshape(dataShape);
        if (top.Count > 1)
        {
            top[1].Reshape(labelShape);
        }
    }

    /// <summary>Copies the next batch into the tops' host memory.</summary>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var slot = TakeBatch();
        slot.Data.CopyTo(top[0].MutableCpuData);
        if (top.Count > 1)
        {
            slot.Labels.CopyTo(top[1].MutableCpuData);
        }

        Delivered(slot);
    }

    /// <summary>
    /// Copies the next batch into the tops' device memory: asynchronously from a page-locked buffer, recording an
    /// event that the buffer's next refill waits for.
    /// </summary>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var slot = TakeBatch();
        if (slot.IsPageLocked)
        {
            var data = top[0].MutableGpuData;
            data.CopyFromAsync(slot.PinnedData!);
            if (top.Count > 1)
            {
                top[1].MutableGpuData.CopyFromAsync(slot.PinnedLabels!);
            }

            slot.Copied!.Record(data.Context.Stream);
        }
        else
        {
            // Filled while the CPU engine was in use: a blocking copy.
            top[0].MutableGpuData.CopyFrom(slot.Data);
            if (top.Count > 1)
            {
                top[1].MutableGpuData.CopyFrom(slot.Labels);
            }
        }

        Delivered(slot);
    }

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
    }

    /// <summary>Stops the prefetch task and waits for it, then frees the batch buffers.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopPrefetch();
            ResetSlots();
        }

        base.Dispose(disposing);
    }

    private (IdxArray Array, DataPath Path) Load(string given, string root, string field)
    {
        var path = DataLocation.Resolve(given, root);
        try
        {
            return (Idx.Read(path.FullPath), path);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"{this}: idx_data_param.{field}: {DataLocation.MissingDataMessage(path)}", path.FullPath, e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{this}: idx_data_param.{field}: {e.Message}", e);
        }
    }

    private void SetUpTransform()
    {
        var t = LayerParam.TransformParam;
        scale = T.CreateChecked(t.Scale);
        if (!T.IsFinite(scale))
        {
            throw new ArgumentException($"{this}: transform_param.scale {t.Scale} is not finite");
        }

        int channels = dataShape.Length > 1 ? dataShape[1] : 1;
        if (t.MeanValue.Count > 1 && t.MeanValue.Count != channels)
        {
            throw new ArgumentException(
                $"{this}: transform_param.mean_value must be given once or once per channel ({channels}); got {t.MeanValue.Count}");
        }

        means = t.MeanValue.Count == 0 ? [] : [.. Enumerable.Range(0, channels).Select(c => T.CreateChecked(t.MeanValue[t.MeanValue.Count == 1 ? 0 : c]))];
        channelSize = images!.ItemSize / channels;
    }

    /// <summary>The batch the next forward pass delivers: the prefetched one (rethrowing what its task threw), or one assembled now.</summary>
    private BatchSlot TakeBatch()
    {
        if (pending is { } task)
        {
            pending = null;
            return task.GetAwaiter().GetResult();
        }

        var slot = PrepareSlot();
        Fill(slot, CancellationToken.None);
        return slot;
    }

    private void Delivered(BatchSlot slot)
    {
        Epoch = slot.Epoch;
        Position = slot.Position;
        if (Prefetch)
        {
            StartPrefetch();
        }
    }

    private void StartPrefetch()
    {
        // Buffers are allocated, and a buffer's last device copy awaited, on this thread: the task only computes.
        var slot = PrepareSlot();
        cancellation ??= new CancellationTokenSource();
        var token = cancellation.Token;
        pending = Task.Run(() =>
        {
            Fill(slot, token);
            return slot;
        });
    }

    private void StopPrefetch()
    {
        if (pending is { } task)
        {
            cancellation?.Cancel();
            try
            {
                task.Wait();
            }
            catch (AggregateException)
            {
                // Cancelled, or failed: nobody will take that batch.
            }

            pending = null;
        }

        cancellation?.Dispose();
        cancellation = null;
    }

    private BatchSlot PrepareSlot()
    {
        var slot = slots[nextSlot];
        nextSlot ^= 1;
        slot.Prepare(Engine.Current == ComputeEngine.Gpu, (long)BatchSize * images!.ItemSize, labels is null ? 0 : (long)BatchSize * labels.ItemSize);
        return slot;
    }

    private void ResetSlots()
    {
        foreach (var slot in slots)
        {
            slot.Dispose();
        }
    }

    /// <summary>Assembles the next batch into <paramref name="slot"/>, advancing the epoch order.</summary>
    private void Fill(BatchSlot slot, CancellationToken token)
    {
        BeforeFill?.Invoke();
        var source = images!;
        var data = slot.Data;
        var labelValues = slot.Labels;
        int itemSize = source.ItemSize;
        int labelSize = labels?.ItemSize ?? 0;
        for (int i = 0; i < BatchSize; i++)
        {
            token.ThrowIfCancellationRequested();
            int item = order!.Next();
            var destination = data.Slice(i * itemSize, itemSize);
            if (means.Length == 0)
            {
                source.CopyItems(item, 1, destination, scale);
            }
            else
            {
                for (int c = 0; c < means.Length; c++)
                {
                    source.CopyElements(((long)item * itemSize) + ((long)c * channelSize), destination.Slice(c * channelSize, channelSize), scale, means[c]);
                }
            }

            labels?.CopyItems(item, 1, labelValues.Slice(i * labelSize, labelSize), T.One);
        }

        slot.Epoch = order!.Epoch;
        slot.Position = order.Position;
    }

    /// <summary>
    /// One batch buffer: managed arrays on the CPU engine, page-locked memory plus the event of its last device copy on
    /// the GPU engine; and where the epoch order stood after its batch.
    /// </summary>
    private sealed class BatchSlot : IDisposable
    {
        private T[]? data;
        private T[]? labels;

        public PinnedHostBuffer<T>? PinnedData { get; private set; }

        public PinnedHostBuffer<T>? PinnedLabels { get; private set; }

        public CudaEvent? Copied { get; private set; }

        public bool IsPageLocked { get; private set; }

        public int Epoch { get; set; }

        public int Position { get; set; }

        public Span<T> Data => IsPageLocked ? PinnedData!.Span : data;

        public Span<T> Labels => IsPageLocked ? (PinnedLabels is null ? [] : PinnedLabels.Span) : labels;

        /// <summary>Makes the buffers the engine wants ready to be written; page-locked ones once the device has read them.</summary>
        public void Prepare(bool gpu, long dataCount, long labelCount)
        {
            if (gpu)
            {
                if (PinnedData is null)
                {
                    var context = Engine.GpuContext;
                    PinnedData = new PinnedHostBuffer<T>(dataCount);
                    PinnedLabels = labelCount > 0 ? new PinnedHostBuffer<T>(labelCount) : null;
                    Copied = new CudaEvent(context.Device);
                }

                Copied!.Synchronize(); // the copy out of this buffer, queued one batch ago
            }
            else
            {
                data ??= new T[dataCount];
                labels ??= new T[labelCount];
            }

            IsPageLocked = gpu;
        }

        public void Dispose()
        {
            try
            {
                Copied?.Synchronize(); // the device may still be reading the page-locked buffer
            }
            catch (CremaException)
            {
                // A device in an error state: nothing more to wait for.
            }

            Copied?.Dispose();
            PinnedData?.Dispose();
            PinnedLabels?.Dispose();
            Copied = null;
            PinnedData = null;
            PinnedLabels = null;
            data = null;
            labels = null;
            IsPageLocked = false;
        }
    }
}
