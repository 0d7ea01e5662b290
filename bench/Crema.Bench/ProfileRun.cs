using System.Globalization;
using Crema.Bench.Softmax;
using Crema.Bench.Train;
using Crema.Cuda;

namespace Crema.Bench;

/// <summary>
/// <c>Crema.Bench --profile [softmax] [train] [--cases imagenet,seg21] [--batches 64,256] [--steps 5]</c>: the GPU
/// benchmarks' ops run once each
/// inside <see cref="CudaProfiler.Range"/>, for a profiler that waits for the program (<c>ncu --profile-from-start
/// off</c>, <c>nsys profile --capture-range=cudaProfilerApi</c>). Set-up, uploads and first calls stay outside the
/// ranges, so a profile holds only the kernels being tuned. No BenchmarkDotNet, no timing: the profiler measures.
/// Ranges, in order: each softmax op class (loss forward, forward + backward, fused, softmax forward) over the cases,
/// then <c>--steps</c> training steps (default <see cref="DefaultTrainSteps"/>) of the MLP at each of <c>--batches</c>
/// (default 64 and 256). Each range is announced on
/// standard output before it runs, so a profile's kernels can be matched to it by order.
/// </summary>
internal static class ProfileRun
{
    /// <summary>The flag that selects this mode (first argument).</summary>
    public const string Flag = "--profile";

    /// <summary>Training steps per recorded range by default: enough to see a steady step, few to profile quickly.</summary>
    public const int DefaultTrainSteps = 5;

    private const string Usage = "--profile [softmax] [train] [--cases a,b] [--batches 64,256] [--steps N]";

    private static readonly Type[] SoftmaxOps =
        [typeof(SoftmaxLossForward), typeof(SoftmaxLossForwardBackward), typeof(SoftmaxLossFused), typeof(SoftmaxForward)];

    /// <summary>Runs the mode; returns the process exit code (2: bad arguments, 3: no usable GPU).</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        var suites = new List<string>();
        IReadOnlyList<string> cases = SoftmaxCases.Names;
        int[] batches = [64, 256];
        int steps = DefaultTrainSteps;
        for (int i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "softmax" or "train":
                    suites.Add(args[i]);
                    break;
                case "--cases" when i + 1 < args.Count:
                    cases = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (cases.FirstOrDefault(c => !SoftmaxCases.Names.Contains(c)) is { } unknown)
                    {
                        Console.Error.WriteLine($"{Flag}: unknown case '{unknown}' (known: {string.Join(", ", SoftmaxCases.Names)})");
                        return 2;
                    }

                    break;
                case "--batches" when i + 1 < args.Count:
                    string given = args[++i];
                    batches = [.. given.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(b => int.TryParse(b, CultureInfo.InvariantCulture, out int v) ? v : 0)];
                    if (batches.Length == 0 || batches.Any(b => b < 1))
                    {
                        Console.Error.WriteLine($"{Flag}: --batches '{given}' is not a list of positive batch sizes");
                        return 2;
                    }

                    break;
                case "--steps" when i + 1 < args.Count:
                    if (!int.TryParse(args[++i], CultureInfo.InvariantCulture, out steps) || steps < 1)
                    {
                        Console.Error.WriteLine($"{Flag}: --steps '{args[i]}' is not a positive number");
                        return 2;
                    }

                    break;
                default:
                    Console.Error.WriteLine($"{Flag}: unexpected argument '{args[i]}' (usage: {Usage})");
                    return 2;
            }
        }

        if (suites.Count == 0)
        {
            suites.AddRange(["softmax", "train"]);
        }

        var gpu = CudaRuntime.Probe();
        if (!gpu.IsAvailable)
        {
            Console.Error.WriteLine($"{Flag}: GPU unavailable: {(gpu.Reason ?? "unknown reason").Split('\n')[0].Trim()}");
            return 3;
        }

        SoftmaxBenchmark.WarmUpInSetup = false;
        MlpTrainStep.WarmUpInSetup = false;
        int range = 0;
        if (suites.Contains("softmax"))
        {
            foreach (var op in SoftmaxOps)
            {
                foreach (string name in cases)
                {
                    var benchmark = (SoftmaxBenchmark)Activator.CreateInstance(op)!;
                    benchmark.Case = name;
                    benchmark.SetupGpu();
                    Announce(ref range, $"softmax {op.Name} {name} {SoftmaxCases.Format(SoftmaxCases.ShapeOf(name, gpu: true))}: one op");
                    benchmark.ProfileOnce();
                    benchmark.Cleanup();
                }
            }
        }

        if (suites.Contains("train"))
        {
            foreach (int batch in batches)
            {
                var step = new MlpTrainStep { Batch = batch };
                step.SetupGpu();
                Announce(ref range, $"train MlpTrainStep batch {batch}: {steps} steps");
                step.ProfileSteps(steps);
                step.Cleanup();
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"profile: {range} ranges recorded"));
        return 0;
    }

    private static void Announce(ref int range, string what)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"profile range {range}: {what}"));
        Console.Out.Flush();
        range++;
    }
}
