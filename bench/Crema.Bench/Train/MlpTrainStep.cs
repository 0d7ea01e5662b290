using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Crema.Bench.Blas;
using Crema.Cuda;
using Crema.Parameters;
using Crema.Solvers;

namespace Crema.Bench.Train;

/// <summary>
/// One SGD training step of the Fashion-MNIST MLP (examples/fashion_mnist: 784-512-256-10, InnerProduct + ReLU,
/// SoftmaxWithLoss, the example's solver settings) on synthetic data that stays where the engine computes: an
/// <c>Input</c> layer whose blobs are filled once in [GlobalSetup] (seeded pixels in [0, 1), labels 0..9) and, on the
/// GPU, uploaded once, so a step copies nothing from the host. <c>display: 0</c>, so no step reads the loss back.
/// An invocation is <see cref="StepsPerInvoke"/> steps (on the GPU then one wait for the stream), and
/// BenchmarkDotNet reports the time of one step. The PyTorch peer is bench/peer/torch_train_mlp.py --synthetic;
/// bench/report_train.py puts both side by side.
/// </summary>
[TrainStepTraffic, BenchmarkCategory(TrainCategory)]
public class MlpTrainStep
{
    /// <summary>Category of the training-step benchmarks.</summary>
    public const string TrainCategory = "train";

    /// <summary>Steps per invocation: the host waits for the device once per this many steps on the GPU.</summary>
    public const int StepsPerInvoke = 20;

    private const string CpuMethod = nameof(Cpu);
    private const string GpuMethod = nameof(Gpu);
    private const int InputWidth = 784;
    private const int Classes = 10;

    // At least this many steps before BenchmarkDotNet measures: the JIT's tiering has then promoted the step's
    // managed code, as MlpGemm's setup does for the gemm.
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(0.5);

    private SgdSolver<float>? solver;
    private CudaContext? context;

    /// <summary>The layer widths: input, the two hidden InnerProduct layers, the classes.</summary>
    public static IReadOnlyList<int> Widths { get; } = [InputWidth, 512, 256, Classes];

    /// <summary>Images per step.</summary>
    [Params(64, 256)]
    public int Batch { get; set; } = 64;

    private SgdSolver<float> Solver => solver ?? throw new InvalidOperationException("the setup has not run");

    /// <summary>
    /// Whether the GPU setup runs the warm-up (and writes its host-sync record); a profiling run (<see cref="ProfileRun"/>)
    /// turns it off and records steps with <see cref="ProfileSteps"/> instead.
    /// </summary>
    public static bool WarmUpInSetup { get; set; } = true;

    /// <summary>Net, solver and data on the CPU engine, then the warm-up.</summary>
    [GlobalSetup(Target = CpuMethod)]
    public void SetupCpu()
    {
        Engine.UseCpu();
        Build();
        WarmUp(CpuMethod);
    }

    /// <summary>Net, solver and data on the GPU engine (the data uploaded here, once), then the warm-up.</summary>
    [GlobalSetup(Target = GpuMethod)]
    public void SetupGpu()
    {
        Engine.UseGpu();
        context = Engine.GpuContext;
        Build();
        if (WarmUpInSetup)
        {
            WarmUp(GpuMethod);
        }
        else
        {
            Solver.Step(1); // allocations and the weights' upload stay out of a profile
            context.Synchronize();
        }
    }

    /// <summary>
    /// <paramref name="steps"/> training steps inside a <see cref="CudaProfiler.Range"/>, then one wait: what a profiler
    /// started with "profile from start off" records (every kernel and copy of a step, and any host wait inside it).
    /// </summary>
    public void ProfileSteps(int steps)
    {
        var gpu = context ?? throw new InvalidOperationException("the GPU setup has not run");
        using (CudaProfiler.Range())
        {
            Solver.Step(steps);
            gpu.Synchronize();
        }
    }

    /// <summary>Frees the solver and its net (on the device too).</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        solver?.Dispose();
        solver = null;
        context = null;
        Engine.UseCpu();
    }

    /// <summary><see cref="StepsPerInvoke"/> steps on the CPU engine (the managed path).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StepsPerInvoke), BenchmarkCategory(BlasBenchmark.CpuCategory)]
    public void Cpu() => Solver.Step(StepsPerInvoke);

    /// <summary><see cref="StepsPerInvoke"/> steps on the GPU engine, then one wait, so the time is the device's.</summary>
    [Benchmark(OperationsPerInvoke = StepsPerInvoke), BenchmarkCategory(BlasBenchmark.GpuCategory)]
    public void Gpu()
    {
        Solver.Step(StepsPerInvoke);
        (context ?? throw new InvalidOperationException("the GPU setup has not run")).Synchronize();
    }

    /// <summary>
    /// The example's SGD settings (examples/fashion_mnist/solver.prototxt: lr 0.02, momentum 0.9, weight decay 5e-4,
    /// step policy) without test nets, snapshots or display, and its seed, over <see cref="NetText"/>.
    /// </summary>
    internal static SolverParameter SolverParam(int batch) => new()
    {
        NetParam = NetParameter.Parse(NetText(batch), "MlpTrainStep"),
        BaseLr = 0.02f,
        Momentum = 0.9f,
        WeightDecay = 0.0005f,
        LrPolicy = "step",
        Gamma = 0.1f,
        Stepsize = 7504,
        Display = 0,
        RandomSeed = 1701,
    };

    /// <summary>
    /// examples/fashion_mnist/train_test.prototxt's TRAIN net with an <c>Input</c> layer in place of IdxData (no test
    /// phase, so no Accuracy layer).
    /// </summary>
    internal static string NetText(int batch) => string.Create(CultureInfo.InvariantCulture, $$"""
        name: "fashion_mnist_mlp_synthetic"
        layer { name: "data" type: "Input" top: "data" top: "label"
                input_param { shape { dim: {{batch}} dim: {{Widths[0]}} } shape { dim: {{batch}} } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: {{Widths[1]}} weight_filler { type: "msra" } bias_filler { type: "constant" value: 0 } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                inner_product_param { num_output: {{Widths[2]}} weight_filler { type: "msra" } bias_filler { type: "constant" value: 0 } } }
        layer { name: "relu2" type: "ReLU" bottom: "ip2" top: "ip2" }
        layer { name: "ip3" type: "InnerProduct" bottom: "ip2" top: "ip3"
                inner_product_param { num_output: {{Widths[3]}} weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip3" bottom: "label" top: "loss" }
        """);

    private void Build()
    {
        solver = new SgdSolver<float>(SolverParam(Batch));
        var data = solver.Net.BlobByName("data");
        var label = solver.Net.BlobByName("label");
        var random = new Random(Batch);
        data.SetData(Enumerable.Range(0, Batch * InputWidth).Select(_ => random.NextSingle()).ToArray());
        label.SetData(Enumerable.Range(0, Batch).Select(_ => (float)random.Next(Classes)).ToArray());
        if (context is not null)
        {
            // The one host-to-device copy of the data: the Input layer never writes its tops, so the device copy
            // stays current and no step copies again.
            _ = data.GpuData;
            _ = label.GpuData;
            context.Synchronize();
        }
    }

    /// <summary>
    /// A first step (allocations, the weights' upload, JIT), then steps in invocations of <see cref="StepsPerInvoke"/>
    /// for at least <see cref="WarmUpTime"/>, counting the host's waits inside <see cref="SgdSolver{T}.Step"/> (not the
    /// wait after each invocation, which is the benchmark's own). Then one read of the loss, which must be finite,
    /// so a broken path is never timed. Writes a <see cref="HostSyncRecord"/> and prints the same as one line.
    /// </summary>
    private void WarmUp(string method)
    {
        Solver.Step(1);
        context?.Synchronize();
        long hostSyncs = 0;
        int steps = 0;
        long start = Stopwatch.GetTimestamp();
        while (steps < 2 * StepsPerInvoke || Stopwatch.GetElapsedTime(start) < WarmUpTime)
        {
            long before = context?.SynchronizeCount ?? 0;
            Solver.Step(StepsPerInvoke);
            hostSyncs += (context?.SynchronizeCount ?? 0) - before;
            steps += StepsPerInvoke;
            context?.Synchronize(); // keep the queue short, so elapsed time is device time
        }

        float loss = Solver.SmoothedLoss;
        if (!float.IsFinite(loss))
        {
            throw new InvalidOperationException($"{nameof(MlpTrainStep)}.{method} Batch={Batch}: the loss is {loss} after {steps} warm-up steps");
        }

        var record = new HostSyncRecord(nameof(MlpTrainStep), method, Batch, steps, context is null ? null : hostSyncs, loss);
        record.Write();
        string syncs = record.HostSyncs is long count
            ? string.Create(CultureInfo.InvariantCulture, $"{count} host syncs in {steps} steps ({record.PerStep:0.##} per step)")
            : $"{steps} steps (CPU engine: no device to wait for)";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// {nameof(MlpTrainStep)}.{method} Batch={Batch} warm-up: {syncs}; loss {loss:G4}"));
    }
}
