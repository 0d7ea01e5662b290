using BenchmarkDotNet.Attributes;
using Crema.Bench.Blas;
using Crema.Core;
using Crema.Cuda;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Bench.Softmax;

/// <summary>
/// What every softmax benchmark shares: the <see cref="Case"/> parameter (its shape depends on the engine, see
/// <see cref="SoftmaxCases"/>), the inputs and blobs, and the layer, all made in [GlobalSetup] on the engine the
/// method runs on. <c>Cpu</c> runs one op per invocation. <c>Gpu</c> queues <see cref="GpuOpsPerInvoke"/> ops and
/// then synchronises the context's stream once, so nothing inside an op waits for the device and BenchmarkDotNet
/// reports the time of one op. There is no baseline: a case's CPU and GPU shapes differ, so a Ratio would mean
/// nothing.
/// </summary>
public abstract class SoftmaxBenchmark
{
    /// <summary>Category of every softmax benchmark class.</summary>
    public const string SoftmaxCategory = "softmax";

    /// <summary>Name of every class's CPU method, which the CPU setups bind to.</summary>
    protected const string CpuMethod = "Cpu";

    /// <summary>Name of every class's GPU method, which the GPU setups bind to.</summary>
    protected const string GpuMethod = "Gpu";

    /// <summary>GPU ops queued between two synchronisations.</summary>
    protected const int GpuOpsPerInvoke = 10;

    private static readonly bool[] LogitsOnly = [true, false];
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(1.5);

    private Layer<float>? layer;
    private List<Blob<float>> bottom = [];
    private List<Blob<float>> top = [];
    private CudaContext? context;

    /// <summary>
    /// Whether the setup runs ops for a while so tiered JIT code is what BenchmarkDotNet measures (the default). A
    /// profiling run (<see cref="ProfileRun"/>) turns it off: a profiler's kernel metrics do not depend on the JIT.
    /// </summary>
    public static bool WarmUpInSetup { get; set; } = true;

    /// <summary>The named shape (<see cref="SoftmaxCases"/>).</summary>
    [Params("imagenet", "vocab32k", "seg21", "smallK10")]
    public string Case { get; set; } = "imagenet";

    /// <summary>The layer under test, set up on its bottoms and tops.</summary>
    protected Layer<float> Layer => layer ?? throw new InvalidOperationException("the setup has not run");

    /// <summary>The layer's bottoms: the logits, and for the loss layers the labels.</summary>
    protected IReadOnlyList<Blob<float>> Bottom => bottom;

    /// <summary>The layer's tops.</summary>
    protected IReadOnlyList<Blob<float>> Top => top;

    /// <summary>Back-propagate to the logits, not to the labels.</summary>
    protected static IReadOnlyList<bool> PropagateDown => LogitsOnly;

    /// <summary>Whether the layer takes labels (a second bottom).</summary>
    protected abstract bool TakesLabels { get; }

    /// <summary>CPU inputs and layer (CPU engine).</summary>
    [GlobalSetup(Target = CpuMethod)]
    public void SetupCpu()
    {
        Engine.UseCpu();
        Build(gpu: false);
    }

    /// <summary>GPU inputs and layer (GPU engine; the inputs are uploaded here, not in the timed op).</summary>
    [GlobalSetup(Target = GpuMethod)]
    public void SetupGpu()
    {
        Engine.UseGpu();
        context = Engine.GpuContext;
        Build(gpu: true);
    }

    /// <summary>Frees the layer and the blobs (on the device too).</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        layer?.Dispose();
        layer = null;
        foreach (var blob in bottom.Concat(top))
        {
            blob.Dispose();
        }

        bottom = [];
        top = [];
        context = null;
        Engine.UseCpu();
    }

    /// <summary>Creates the layer under test (not yet set up).</summary>
    protected abstract Layer<float> CreateLayer();

    /// <summary>One op: what the benchmark times.</summary>
    protected abstract void RunOnce();

    /// <summary>Checks the layer's result once in the setup (after a first op), so a broken path is not timed.</summary>
    protected virtual void Check()
    {
    }

    /// <summary>One op on the CPU engine (the managed path).</summary>
    [Benchmark, BenchmarkCategory(BlasBenchmark.CpuCategory)]
    public void Cpu() => RunOnce();

    /// <summary><see cref="GpuOpsPerInvoke"/> ops on the GPU engine, then one wait for the stream.</summary>
    [Benchmark(OperationsPerInvoke = GpuOpsPerInvoke), BenchmarkCategory(BlasBenchmark.GpuCategory)]
    public void Gpu()
    {
        for (int i = 0; i < GpuOpsPerInvoke; i++)
        {
            RunOnce();
        }

        (context ?? throw new InvalidOperationException("the GPU setup has not run")).Synchronize();
    }

    /// <summary>
    /// One op inside a <see cref="CudaProfiler.Range"/>, waited for: what a profiler started with "profile from start
    /// off" records of this case (the GPU setup must have run).
    /// </summary>
    public void ProfileOnce()
    {
        var gpu = context ?? throw new InvalidOperationException("the GPU setup has not run");
        using (CudaProfiler.Range())
        {
            RunOnce();
            gpu.Synchronize();
        }
    }

    /// <summary>Forward then Backward to the logits, as two separate Caffe calls.</summary>
    protected void ForwardThenBackward()
    {
        Layer.ForwardDeferred(Bottom, Top);
        Layer.Backward(Top, PropagateDown, Bottom);
    }

    /// <summary>A SoftmaxWithLoss layer parameter: class axis 1, the benchmark's ignore label, VALID normalization.</summary>
    protected static LayerParameter LossParameter() => new()
    {
        Name = "loss",
        Type = "SoftmaxWithLoss",
        SoftmaxParam = { Axis = 1 },
        LossParam = { IgnoreLabel = SoftmaxCases.IgnoreLabel, Normalization = NormalizationMode.Valid },
    };

    /// <summary>The loss of the last forward pass, read back (only from <see cref="Check"/>, never in a timed op).</summary>
    protected void CheckLoss()
    {
        float loss = Layer.ReadLoss(Top);
        if (!float.IsFinite(loss) || loss <= 0)
        {
            throw new InvalidOperationException($"{GetType().Name} {Case}: the loss is {loss}, not a positive number");
        }
    }

    private void Build(bool gpu)
    {
        int[] shape = SoftmaxCases.ShapeOf(Case, gpu);
        var logits = new Blob<float>(shape);
        logits.SetData(RandomLogits(SoftmaxCases.ElementCount(shape), seed: 1));
        bottom = [logits];
        if (TakesLabels)
        {
            var labels = new Blob<float>(SoftmaxCases.LabelShapeOf(shape));
            labels.SetData(RandomLabels(labels.Count, shape[1], seed: 2));
            bottom.Add(labels);
        }

        top = [new Blob<float>()];
        layer = CreateLayer();
        layer.SetUp(bottom, top);

        RunOnce(); // first op: moves the inputs to the engine's memory, allocates the gradient, JIT-compiles
        context?.Synchronize();
        Check();
        if (WarmUpInSetup)
        {
            WarmUp();
        }
    }

    /// <summary>
    /// Runs ops for <see cref="WarmUpTime"/> (at least 3) so the JIT's tiering has promoted the hot paths before
    /// BenchmarkDotNet measures. Tier-0 code ran the CPU softmax of 4096×1000 at 25-80 ms against 3.5 ms after
    /// about 30 calls, and a short job's warm-up (3 iterations of a few ops each) is not enough for slow ops.
    /// </summary>
    private void WarmUp()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 3 || (System.Diagnostics.Stopwatch.GetElapsedTime(start) < WarmUpTime && i < 2000); i++)
        {
            RunOnce();
            if (context is not null && i % GpuOpsPerInvoke == GpuOpsPerInvoke - 1)
            {
                context.Synchronize(); // keep the queue short, so elapsed time is device time
            }
        }

        context?.Synchronize();
    }

    /// <summary>
    /// Uniform in [-1, -0.25] ∪ [0.25, 1] (as the BLAS benchmarks), made in parallel from one seed per slice so a
    /// billion logits take well under a second.
    /// </summary>
    private static float[] RandomLogits(long length, int seed)
    {
        var values = new float[length];
        const int Slice = 1 << 20;
        int slices = (int)((length + Slice - 1) / Slice);
        Parallel.For(0, slices, s =>
        {
            var random = new Random((seed * 1_000_003) + s); // HashCode.Combine is randomised per process
            long end = Math.Min(length, ((long)s + 1) * Slice);
            for (long i = (long)s * Slice; i < end; i++)
            {
                float magnitude = 0.25f + (0.75f * random.NextSingle());
                values[i] = random.Next(2) == 0 ? magnitude : -magnitude;
            }
        });
        return values;
    }

    /// <summary>Labels uniform in [0, classes), with <see cref="SoftmaxCases.IgnoredFraction"/> of them ignored.</summary>
    private static float[] RandomLabels(long length, int classes, int seed)
    {
        var random = new Random(seed);
        var labels = new float[length];
        for (long i = 0; i < labels.LongLength; i++)
        {
            labels[i] = random.NextDouble() < SoftmaxCases.IgnoredFraction ? SoftmaxCases.IgnoreLabel : random.Next(classes);
        }

        return labels;
    }
}
