using System.Numerics;
using Crema.Core;
using Crema.Fillers;
using Crema.IO;
using Crema.Layers;
using Crema.Parameters;
using Crema.Tests.IO;

namespace Crema.Tests.Layers;

/// <summary>
/// <see cref="IdxDataLayer{T}"/> on one engine, over IDX files written into a temp folder. Item i of the test files has
/// pixels 6·i … 6·i + 5 and label i, so a batch's labels say which items it holds and the pixels must agree.
/// </summary>
public abstract class IdxDataLayerTests<T> : LayerTestBase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int Items = 10;
    private string folder = "";

    [SetUp]
    public void WriteFiles()
    {
        folder = IdxBytes.NewTempFolder();
        IdxBytes.Write(folder, "images.gz", IdxBytes.UByteFile([Items, 2, 3], [.. Enumerable.Range(0, Items * 6).Select(v => (byte)v)]), gzip: true);
        IdxBytes.Write(folder, "labels", IdxBytes.UByteFile([Items], [.. Enumerable.Range(0, Items).Select(v => (byte)v)]));
    }

    [TearDown]
    public void RemoveFiles() => Directory.Delete(folder, recursive: true);

    private LayerParameter Param(int batch, bool shuffle = false, ulong? seed = null, bool prefetch = true, float scale = 1) => new()
    {
        Name = "mnist",
        Type = "IdxData",
        TransformParam = { Scale = scale },
        IdxDataParam =
        {
            Images = "images.gz",
            Labels = "labels",
            Root = folder,
            BatchSize = (uint)batch,
            Shuffle = shuffle,
            Seed = seed,
            Prefetch = prefetch,
        },
    };

    private IdxDataLayer<T> SetUp(LayerParameter param, out Blob<T> data, out Blob<T> label)
    {
        var layer = Track((IdxDataLayer<T>)LayerRegistry<T>.Create(param));
        data = MakeTop();
        label = MakeTop();
        layer.SetUp([], [data, label]);
        return layer;
    }

    /// <summary>Runs <paramref name="passes"/> forward passes; returns each batch's labels (the items it holds).</summary>
    private static List<int[]> Batches(IdxDataLayer<T> layer, Blob<T> data, Blob<T> label, int passes)
    {
        var batches = new List<int[]>();
        for (int n = 0; n < passes; n++)
        {
            layer.Forward([], [data, label]);
            var items = Data(label).Select(v => (int)v).ToArray();
            var pixels = Data(data);
            for (int i = 0; i < items.Length; i++)
            {
                for (int k = 0; k < 6; k++)
                {
                    double expected = double.CreateTruncating(T.CreateTruncating((items[i] * 6) + k) * T.CreateTruncating(layer.LayerParam.TransformParam.Scale));
                    if (pixels[(i * 6) + k] != expected)
                    {
                        Assert.Fail($"pass {n}, row {i} (item {items[i]}), pixel {k}: {pixels[(i * 6) + k]}, expected {expected}");
                    }
                }
            }

            batches.Add(items);
        }

        return batches;
    }

    [Test]
    public void Tops_AreBatchOneRowsCols_AndBatch()
    {
        var layer = SetUp(Param(batch: 4), out var data, out var label);

        Assert.That(data.Shape, Is.EqualTo(new[] { 4, 1, 2, 3 }));
        Assert.That(label.Shape, Is.EqualTo(new[] { 4 }));
        Assert.That((layer.Type, layer.ItemCount, layer.BatchSize, layer.Seed), Is.EqualTo(("IdxData", Items, 4, (ulong?)null)));
        Assert.That(layer.ImagesPath!.FullPath, Is.EqualTo(Path.Combine(folder, "images.gz")));
        Assert.That(layer.LabelsPath!.Source, Is.EqualTo(DataRootSource.Layer));
    }

    [Test]
    public void Tops_OfOtherRanks_AreBatchThenTheItemShape()
    {
        IdxBytes.Write(folder, "flat", IdxBytes.File(IdxElementType.Float32, [3, 5], new double[15]));
        IdxBytes.Write(folder, "cube", IdxBytes.File(IdxElementType.Int16, [3, 2, 2, 2], new double[24]));
        IdxBytes.Write(folder, "pairs", IdxBytes.File(IdxElementType.Int32, [3, 2], new double[6]));
        var (flat, cube, pairs, label) = (MakeTop(), MakeTop(), MakeTop(), MakeTop());

        var flatLayer = Track(LayerRegistry<T>.Create(new LayerParameter { Type = "IdxData", IdxDataParam = { Images = "flat", Root = folder, BatchSize = 2 } }));
        flatLayer.SetUp([], [flat]);
        var cubeLayer = Track(LayerRegistry<T>.Create(new LayerParameter { Type = "IdxData", IdxDataParam = { Images = "cube", Labels = "pairs", Root = folder, BatchSize = 3 } }));
        cubeLayer.SetUp([], [cube, label]);
        flatLayer.Forward([], [flat]);
        cubeLayer.Forward([], [cube, label]);

        Assert.That(flat.Shape, Is.EqualTo(new[] { 2, 5 }));
        Assert.That(cube.Shape, Is.EqualTo(new[] { 3, 2, 2, 2 }));
        Assert.That(label.Shape, Is.EqualTo(new[] { 3, 2 }));
    }

    [Test]
    public void Batches_AreTheItemsInOrder_WrappingIntoTheNextEpoch()
    {
        var layer = SetUp(Param(batch: 4), out var data, out var label);
        Assert.That((layer.Epoch, layer.Position), Is.EqualTo((0, 0)));

        var first = Batches(layer, data, label, 1);
        Assert.That((layer.Epoch, layer.Position), Is.EqualTo((0, 4)));
        var rest = Batches(layer, data, label, 3);

        Assert.That(first[0], Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(rest, Is.EqualTo(new[] { new[] { 4, 5, 6, 7 }, [8, 9, 0, 1], [2, 3, 4, 5] }));
        Assert.That((layer.Epoch, layer.Position), Is.EqualTo((1, 6)));
        Assert.That(layer.EpochProgress, Is.EqualTo(1.6).Within(1e-12));
    }

    [Test]
    public void Epoch_EndsExactly_WhenTheBatchDividesTheItems()
    {
        var layer = SetUp(Param(batch: 5), out var data, out var label);

        Batches(layer, data, label, 2);

        Assert.That((layer.Epoch, layer.Position), Is.EqualTo((1, 0)));
    }

    [Test]
    public void Scale_MultipliesThePixels_NotTheLabels()
    {
        var layer = SetUp(Param(batch: 3, scale: 0.00390625f), out var data, out var label);

        var batches = Batches(layer, data, label, 2); // checks pixel = value · scale

        Assert.That(batches[1], Is.EqualTo(new[] { 3, 4, 5 }));
        Assert.That(Data(data)[0], Is.EqualTo(18 * 0.00390625));
    }

    [Test]
    public void MeanValue_IsSubtractedBeforeScaling()
    {
        var param = Param(batch: 2, scale: 0.5f);
        param.TransformParam.MeanValue.Add(4);
        var layer = SetUp(param, out var data, out var label);

        layer.Forward([], [data, label]);

        Assert.That(Data(data), Is.EqualTo(Enumerable.Range(0, 12).Select(v => (v - 4) * 0.5)));
    }

    [Test]
    public void Shuffle_GivesAPermutationPerEpoch()
    {
        var layer = SetUp(Param(batch: 5, shuffle: true, seed: 7), out var data, out var label);

        var batches = Batches(layer, data, label, 8); // 4 epochs; pixels follow the labels

        var epochs = Enumerable.Range(0, 4).Select(e => batches[2 * e].Concat(batches[(2 * e) + 1]).ToArray()).ToList();
        foreach (var epoch in epochs)
        {
            Assert.That(epoch.Order(), Is.EqualTo(Enumerable.Range(0, Items)), string.Join(",", epoch));
        }

        Assert.That(epochs.Select(e => string.Join(",", e)).Distinct().Count(), Is.GreaterThan(1), "each epoch draws a new order");
        Assert.That(epochs.Any(e => !e.SequenceEqual(Enumerable.Range(0, Items))), Is.True, "not the identity");
        Assert.That(layer.Seed, Is.EqualTo(7UL));
    }

    [Test]
    public void Shuffle_IsFixedByTheSeed()
    {
        var a = SetUp(Param(batch: 3, shuffle: true, seed: 11), out var dataA, out var labelA);
        var b = SetUp(Param(batch: 3, shuffle: true, seed: 11), out var dataB, out var labelB);
        var c = SetUp(Param(batch: 3, shuffle: true, seed: 12), out var dataC, out var labelC);

        var fromA = Batches(a, dataA, labelA, 10).SelectMany(x => x).ToArray();
        var fromB = Batches(b, dataB, labelB, 10).SelectMany(x => x).ToArray();
        var fromC = Batches(c, dataC, labelC, 10).SelectMany(x => x).ToArray();

        Assert.That(fromB, Is.EqualTo(fromA));
        Assert.That(fromC, Is.Not.EqualTo(fromA));
    }

    [Test]
    public void Shuffle_WithoutASeed_DrawsOneFromTheGlobalGenerator()
    {
        SeededRandom.SetGlobalSeed(99);
        var a = SetUp(Param(batch: 5, shuffle: true), out var dataA, out var labelA);
        SeededRandom.SetGlobalSeed(99);
        var b = SetUp(Param(batch: 5, shuffle: true), out var dataB, out var labelB);
        var c = SetUp(Param(batch: 5, shuffle: true), out _, out _);

        Assert.That(a.Seed, Is.EqualTo(new SeededRandom(99).NextUInt64()));
        Assert.That(b.Seed, Is.EqualTo(a.Seed));
        Assert.That(c.Seed, Is.Not.EqualTo(a.Seed), "the global generator moved on");
        Assert.That(Batches(b, dataB, labelB, 6), Is.EqualTo(Batches(a, dataA, labelA, 6)));
    }

    [Test]
    public void Seek_ContinuesWhereAnotherLayerStood([Values] bool shuffle, [Values] bool prefetch)
    {
        // batch 3 over 10 items: after 7 passes the reference is in epoch 2 at position 1.
        var reference = SetUp(Param(batch: 3, shuffle: shuffle, seed: 21, prefetch: prefetch), out var dataR, out var labelR);
        Batches(reference, dataR, labelR, 7);
        Assert.That((reference.Epoch, reference.Position), Is.EqualTo((2, 1)));
        // A fresh layer with another seed (a resumed run sets up, then takes the snapshot's), read a batch ahead.
        var resumed = SetUp(Param(batch: 3, shuffle: shuffle, seed: shuffle ? 99 : null, prefetch: prefetch), out var dataS, out var labelS);
        Batches(resumed, dataS, labelS, 1);

        resumed.Seek(reference.Seed, reference.Epoch, reference.Position);

        Assert.That((resumed.Seed, resumed.Epoch, resumed.Position), Is.EqualTo((reference.Seed, 2, 1)));
        Assert.That(Batches(resumed, dataS, labelS, 8), Is.EqualTo(Batches(reference, dataR, labelR, 8)));
        Assert.That((resumed.Epoch, resumed.Position), Is.EqualTo((reference.Epoch, reference.Position)));
    }

    [Test]
    public void Seek_ToTheStart_RepeatsTheFirstBatches()
    {
        var layer = SetUp(Param(batch: 4, shuffle: true, seed: 3), out var data, out var label);
        var first = Batches(layer, data, label, 5);

        layer.Seek(layer.Seed, 0, 0);

        Assert.That(Batches(layer, data, label, 5), Is.EqualTo(first));
    }

    [Test]
    public void Seek_OutsideTheData_OrWithTheWrongShuffling_Throws_AndDoesNotMove()
    {
        var ordered = SetUp(Param(batch: 4), out var data, out var label);
        var shuffled = SetUp(Param(batch: 4, shuffle: true, seed: 8), out _, out _);
        Batches(ordered, data, label, 1);

        Assert.Multiple(() =>
        {
            Assert.That(() => ordered.Seek(null, 0, Items), Throws.InstanceOf<ArgumentOutOfRangeException>()
                .With.Message.Contains($"position {Items} is outside [0, {Items})"));
            Assert.That(() => ordered.Seek(null, 0, -1), Throws.InstanceOf<ArgumentOutOfRangeException>()
                .With.Message.Contains("position -1"));
            Assert.That(() => ordered.Seek(null, -2, 0), Throws.InstanceOf<ArgumentOutOfRangeException>()
                .With.Message.Contains("epoch -2 is negative"));
            Assert.That(() => ordered.Seek(5, 0, 0), Throws.ArgumentException
                .With.Message.Contains("a shuffle seed (5) was given, but this layer reads in file order"));
            Assert.That(() => shuffled.Seek(null, 0, 0), Throws.ArgumentException
                .With.Message.Contains("no shuffle seed was given, but this layer shuffles"));
            var unset = Track((IdxDataLayer<T>)LayerRegistry<T>.Create(Param(batch: 4)));
            Assert.That(() => unset.Seek(null, 0, 0), Throws.InvalidOperationException.With.Message.Contains("before the layer is set up"));
        });
        Assert.That((ordered.Epoch, ordered.Position), Is.EqualTo((0, 4)), "refused seeks leave the layer where it was");
        Assert.That(Batches(ordered, data, label, 1).Single(), Is.EqualTo(new[] { 4, 5, 6, 7 }));
    }

    [Test]
    public void Prefetch_OnAndOff_GiveTheSameBatches([Values] bool shuffle)
    {
        var on = SetUp(Param(batch: 3, shuffle: shuffle, seed: 5, prefetch: true, scale: 0.1f), out var dataOn, out var labelOn);
        var off = SetUp(Param(batch: 3, shuffle: shuffle, seed: 5, prefetch: false, scale: 0.1f), out var dataOff, out var labelOff);
        Assert.That((on.Prefetch, off.Prefetch), Is.EqualTo((true, false)));

        for (int n = 0; n < 12; n++)
        {
            on.Forward([], [dataOn, labelOn]);
            off.Forward([], [dataOff, labelOff]);
            Assert.That(Data(dataOn), Is.EqualTo(Data(dataOff)), $"data of pass {n}");
            Assert.That(Data(labelOn), Is.EqualTo(Data(labelOff)), $"labels of pass {n}");
            Assert.That((on.Epoch, on.Position), Is.EqualTo((off.Epoch, off.Position)), $"position after pass {n}");
        }
    }

    [Test]
    public void Prefetch_AssemblesTheNextBatchInTheBackground()
    {
        using var layer = new IdxDataLayer<T>(Param(batch: 2));
        var fills = new List<int>();
        layer.BeforeFill = () =>
        {
            lock (fills)
            {
                fills.Add(Environment.CurrentManagedThreadId);
            }
        };
        var (data, label) = (MakeTop(), MakeTop());
        layer.SetUp([], [data, label]);
        layer.Forward([], [data, label]);
        layer.Forward([], [data, label]);
        layer.Dispose(); // waits for the third fill

        Assert.That(fills, Has.Count.EqualTo(3), "one batch ahead: set-up starts the first, each forward the next");
        Assert.That(fills, Has.None.EqualTo(Environment.CurrentManagedThreadId), "assembled off the calling thread");
        Assert.That(Data(label), Is.EqualTo(new double[] { 2, 3 }));
    }

    [Test]
    public void Dispose_StopsAndAwaitsThePrefetch()
    {
        var layer = new IdxDataLayer<T>(Param(batch: 2));
        int running = 0;
        using var started = new ManualResetEventSlim();
        layer.BeforeFill = () =>
        {
            Interlocked.Increment(ref running);
            started.Set();
            Thread.Sleep(200);
            Interlocked.Decrement(ref running);
        };
        var (data, label) = (MakeTop(), MakeTop());
        layer.SetUp([], [data, label]);
        Assert.That(started.Wait(TimeSpan.FromSeconds(10)), Is.True);

        layer.Dispose();
        layer.Dispose();

        Assert.That(Volatile.Read(ref running), Is.Zero, "Dispose returned while a batch was being assembled");
        Assert.Throws<ObjectDisposedException>(() => layer.Forward([], [data, label]));
    }

    [Test]
    public void PrefetchFailure_IsThrownByForward([Values] bool prefetch)
    {
        using var layer = new IdxDataLayer<T>(Param(batch: 2, prefetch: prefetch));
        int fills = 0;
        layer.BeforeFill = () =>
        {
            if (Interlocked.Increment(ref fills) == 2)
            {
                throw new InvalidOperationException("disk on fire");
            }
        };
        var (data, label) = (MakeTop(), MakeTop());
        layer.SetUp([], [data, label]);

        layer.Forward([], [data, label]);
        var e = Assert.Throws<InvalidOperationException>(() => layer.Forward([], [data, label]));
        layer.Forward([], [data, label]); // the layer goes on after a failed batch

        Assert.That(e!.Message, Is.EqualTo("disk on fire"));
        Assert.That(Data(label).Length, Is.EqualTo(2));
    }

    [Test]
    public void MissingFile_SaysWhereItLookedAndHowToGetTheData()
    {
        var param = Param(batch: 2);
        param.IdxDataParam.Images = "train-images-idx3-ubyte.gz";
        var layer = Track(LayerRegistry<T>.Create(param));

        var e = Assert.Throws<FileNotFoundException>(() => layer.SetUp([], [MakeTop(), MakeTop()]));

        Assert.That(e!.Message, Does.StartWith("IdxData layer 'mnist': idx_data_param.images: "));
        Assert.That(e.Message, Does.Contain(Path.Combine(folder, "train-images-idx3-ubyte.gz") + " not found"));
        Assert.That(e.Message, Does.Contain($"under idx_data_param.root \"{folder}\""));
        Assert.That(e.Message, Does.Contain("sudo apt install dataset-fashion-mnist").And.Contain("CREMA_DATA"));
    }

    [Test]
    public void ItemCounts_MustAgree_NamingBothFiles()
    {
        IdxBytes.Write(folder, "short-labels", IdxBytes.UByteFile([7], new byte[7]));
        var param = Param(batch: 2);
        param.IdxDataParam.Labels = "short-labels";
        var layer = Track(LayerRegistry<T>.Create(param));

        var e = Assert.Throws<ArgumentException>(() => layer.SetUp([], [MakeTop(), MakeTop()]));

        Assert.That(e!.Message, Does.Contain(Path.Combine(folder, "images.gz") + " have 10 items"));
        Assert.That(e.Message, Does.Contain(Path.Combine(folder, "short-labels") + " have 7"));
    }

    [Test]
    public void BadFile_IsRefused_NamingIt()
    {
        File.WriteAllBytes(Path.Combine(folder, "labels"), [0, 0, 0x42, 1, 0, 0, 0, 10]);
        var layer = Track(LayerRegistry<T>.Create(Param(batch: 2)));

        var e = Assert.Throws<InvalidDataException>(() => layer.SetUp([], [MakeTop(), MakeTop()]));

        Assert.That(e!.Message, Does.Contain("idx_data_param.labels").And.Contain(Path.Combine(folder, "labels") + ": unknown element type 0x42"));
    }

    [TestCase(0, "batch_size must be at least 1")]
    [TestCase(11, "batch_size 11 is more than the 10 items")]
    public void BatchSize_OutOfRange_Throws(int batch, string mentions)
    {
        var layer = Track(LayerRegistry<T>.Create(Param(batch)));

        var e = Assert.Throws<ArgumentException>(() => layer.SetUp([], [MakeTop(), MakeTop()]));

        Assert.That(e!.Message, Does.Contain(mentions));
    }

    [Test]
    public void MissingSettings_Throw()
    {
        var noImages = Param(batch: 2);
        noImages.IdxDataParam.Images = "";
        var noLabels = Param(batch: 2);
        noLabels.IdxDataParam.Labels = "";
        var badMean = Param(batch: 2);
        badMean.TransformParam.MeanValue.AddRange([1, 2]);

        Assert.That(Assert.Throws<ArgumentException>(() => Track(LayerRegistry<T>.Create(noImages)).SetUp([], [MakeTop()]))!.Message,
            Does.Contain("idx_data_param.images is not set"));
        Assert.That(Assert.Throws<ArgumentException>(() => Track(LayerRegistry<T>.Create(noLabels)).SetUp([], [MakeTop(), MakeTop()]))!.Message,
            Does.Contain("needs idx_data_param.labels"));
        Assert.That(Assert.Throws<ArgumentException>(() => Track(LayerRegistry<T>.Create(badMean)).SetUp([], [MakeTop(), MakeTop()]))!.Message,
            Does.Contain("mean_value must be given once or once per channel (1); got 2"));
        Assert.Throws<ArgumentException>(() => Track(LayerRegistry<T>.Create(Param(batch: 2))).SetUp([], [MakeTop(), MakeTop(), MakeTop()]));
        Assert.Throws<ArgumentException>(() => Track(LayerRegistry<T>.Create(Param(batch: 2))).SetUp([MakeTop()], [MakeTop()]));
    }

    [Test]
    public void PropagateDown_ToTheDataLayer_IsAnError()
    {
        var net = NetParameter.Parse($$"""
            layer {
              name: "mnist" type: "IdxData" top: "data" top: "label" propagate_down: true
              idx_data_param { images: "images.gz" labels: "labels" root: "{{folder}}" batch_size: 2 }
            }
            """);

        var e = Assert.Throws<ArgumentException>(() => new Crema.Net.Net<T>(net, Phase.Train).Dispose());

        Assert.That(e!.Message, Does.Contain("'mnist'").And.Contain("propagate_down"));
    }

    [Test]
    public void OneTop_ReadsNoLabels()
    {
        var param = Param(batch: 4);
        param.IdxDataParam.Labels = "not-there";
        var layer = Track((IdxDataLayer<T>)LayerRegistry<T>.Create(param));
        var data = MakeTop();

        layer.SetUp([], [data]);
        layer.Forward([], [data]);

        Assert.That(layer.LabelsPath, Is.Null);
        Assert.That(Data(data)[..6], Is.EqualTo(new double[] { 0, 1, 2, 3, 4, 5 }));
    }
}

[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class IdxDataLayerCpuTests<T> : IdxDataLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Cpu;
}

[Category("GPU")]
[TestFixture(typeof(float))]
[TestFixture(typeof(double))]
public class IdxDataLayerGpuTests<T> : IdxDataLayerTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override ComputeEngine EngineKind => ComputeEngine.Gpu;
}
