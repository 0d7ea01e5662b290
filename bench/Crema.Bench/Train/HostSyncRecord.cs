using System.Text.Json;

namespace Crema.Bench.Train;

/// <summary>
/// What a training benchmark's setup measured over its warm-up steps: how many times the host waited for the device
/// inside <c>SgdSolver.Step</c> (<c>CudaContext.SynchronizeCount</c>; null on the CPU engine, which has no device to
/// wait for) and the smoothed loss read after them. Written as one JSON file per row into the run's artifacts folder,
/// because BenchmarkDotNet may run the setup in a child process (without <c>--inprocess</c>) and its JSON export has no
/// room for it: <see cref="HostSyncsColumn"/> and bench/report_train.py read the files.
/// </summary>
public sealed record HostSyncRecord(string Benchmark, string Method, int Batch, int Steps, long? HostSyncs, double Loss)
{
    /// <summary>
    /// The environment variable that names the artifacts folder; Program sets it before BenchmarkDotNet runs, so a
    /// child process inherits it.
    /// </summary>
    public const string ArtifactsVariable = "CREMA_BENCH_ARTIFACTS";

    /// <summary>The folder inside the artifacts folder that holds the records.</summary>
    public const string FolderName = "host-syncs";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Host synchronisations per step, or null on the CPU engine.</summary>
    public double? PerStep => HostSyncs / (double)Steps;

    /// <summary>Writes the record, replacing one from an earlier run of the same row.</summary>
    public void Write()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(PathOf(Benchmark, Method, Batch), JsonSerializer.Serialize(this, Options));
    }

    /// <summary>The record of a row, or null when its setup wrote none.</summary>
    public static HostSyncRecord? Read(string benchmark, string method, int batch)
    {
        string path = PathOf(benchmark, method, batch);
        return File.Exists(path) ? JsonSerializer.Deserialize<HostSyncRecord>(File.ReadAllText(path), Options) : null;
    }

    private static string Folder => Path.Combine(
        Environment.GetEnvironmentVariable(ArtifactsVariable) is { Length: > 0 } artifacts
            ? artifacts
            : BenchInfo.ArtifactsFolder([]),
        FolderName);

    private static string PathOf(string benchmark, string method, int batch) =>
        Path.Combine(Folder, $"{benchmark}.{method}.Batch{batch}.json");
}
