using System.Text.Encodings.Web;
using System.Text.Json;
using Crema.Bench.Softmax;

namespace Crema.Bench;

/// <summary>
/// Writes <c>crema-bench-info.json</c> into BenchmarkDotNet's artifacts folder: the machine, the copy bandwidths the
/// "x floor" column uses and the softmax shapes, so bench/report_softmax.py can read one run's numbers without
/// parsing the console.
/// </summary>
public static class BenchInfo
{
    /// <summary>The file's name inside the artifacts folder.</summary>
    public const string FileName = "crema-bench-info.json";

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the file; <paramref name="args"/> are BenchmarkDotNet's (for <c>--artifacts</c>).</summary>
    public static void Write(IReadOnlyList<string> args, string? gpuName, double? gpuCopyGBps, double cpuCopyGBps)
    {
        string folder = ArtifactsFolder(args);
        Directory.CreateDirectory(folder);
        var info = new
        {
            written = DateTimeOffset.UtcNow.ToString("O"),
            cpu = new { model = CpuModel(), logicalCores = Environment.ProcessorCount, copyGBps = cpuCopyGBps },
            gpu = gpuName is null ? null : new { name = gpuName, copyGBps = gpuCopyGBps },
            softmax = new
            {
                ignoreLabel = SoftmaxCases.IgnoreLabel,
                ignoredFraction = SoftmaxCases.IgnoredFraction,
                cases = SoftmaxCases.Names.Select(name => new
                {
                    name,
                    cpu = SoftmaxCases.ShapeOf(name, gpu: false),
                    gpu = SoftmaxCases.ShapeOf(name, gpu: true),
                }),
            },
        };
        File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(info, Options));
    }

    /// <summary>
    /// The artifacts folder BenchmarkDotNet writes to for <paramref name="args"/>: ./BenchmarkDotNet.Artifacts unless
    /// <c>--artifacts PATH</c> (or <c>-a PATH</c>) moves it.
    /// </summary>
    public static string ArtifactsFolder(IReadOnlyList<string> args)
    {
        for (int i = 0; i + 1 < args.Count; i++)
        {
            if (string.Equals(args[i], "--artifacts", StringComparison.OrdinalIgnoreCase) || args[i] == "-a")
            {
                return Path.GetFullPath(args[i + 1]);
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
    }

    private static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
