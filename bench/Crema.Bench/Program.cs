using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Running;
using Crema;
using Crema.Bench;
using Crema.Bench.Blas;
using Crema.Bench.Columns;
using Crema.Bench.Softmax;
using Crema.Bench.Train;
using Crema.Cuda;

// `--profile …` runs the GPU ops once each for an attached profiler instead of benchmarking them (ProfileRun).
if (args.Length > 0 && args[0] == ProfileRun.Flag)
{
    return ProfileRun.Run(args);
}

// `--inprocess` runs every benchmark inside this process (InProcessEmitToolchain): the GPU machine has no .NET SDK
// to build BenchmarkDotNet's usual child project, only this self-contained executable. BenchmarkDotNet's own
// `--inProcess` option does exactly that and still honours `--job`, so the flag is passed on in its spelling.
string[] benchmarkArgs = [.. args.Select(a => string.Equals(a, "--inprocess", StringComparison.OrdinalIgnoreCase) ? "--inProcess" : a)];

var config = DefaultConfig.Instance
    .WithOrderer(new OpOrderer())
    .AddColumn(RateColumn.Bandwidth, RateColumn.Throughput, RateColumn.ImageRate, SoftmaxShapeColumn.Instance, HostSyncsColumn.Instance);

// The CPU rows' floor: a host copy with every core, as the managed path runs its rows on every core.
double cpuCopyGBps = HostBandwidth.MeasureCopyGBps();
Console.WriteLine($"CPU: {Environment.ProcessorCount} logical cores; host copy bandwidth {cpuCopyGBps:N1} GB/s (all cores)");
double? gpuCopyGBps = null;
string? gpuName = null;

// No GPU (library missing, no device, driver too old, context creation failed): the GPU benchmarks are filtered
// out with one line that says why, rather than each failing in its [GlobalSetup].
string? skipReason = null;
var gpu = CudaRuntime.Probe();
if (gpu.IsAvailable)
{
    try
    {
        var context = Engine.GpuContext;
        double copyGBps = DeviceBandwidth.MeasureCopyGBps(context);
        Console.WriteLine($"GPU: {gpu.Devices[context.Device]}; CUDA runtime {GpuStatus.FormatCudaVersion(gpu.RuntimeVersion)}, " +
            $"driver {GpuStatus.FormatCudaVersion(gpu.DriverVersion)}; device copy bandwidth {copyGBps:N0} GB/s");
        gpuCopyGBps = copyGBps;
        gpuName = gpu.Devices[context.Device].Name;
    }
    catch (GpuUnavailableException e)
    {
        skipReason = e.Message;
    }
}
else
{
    skipReason = $"GPU unavailable: {gpu.Reason ?? "unknown reason"}";
}

if (skipReason is not null)
{
    Console.WriteLine($"GPU benchmarks skipped: {skipReason.Split('\n')[0].Trim()}");
    config = config.AddFilter(new SimpleFilter(b => !b.Descriptor.HasCategory(BlasBenchmark.GpuCategory)));
}

config = config.AddColumn(new FloorColumn(gpuCopyGBps, cpuCopyGBps));

// What bench/report_softmax.py needs beside BenchmarkDotNet's exports: the bandwidths the floors use and the shapes.
BenchInfo.Write(benchmarkArgs, gpuName, gpuCopyGBps, cpuCopyGBps);

// Where the training benchmarks' setups write their host-sync counts; a child process inherits the variable.
Environment.SetEnvironmentVariable(HostSyncRecord.ArtifactsVariable, BenchInfo.ArtifactsFolder(benchmarkArgs));

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(benchmarkArgs, config);
return 0;
