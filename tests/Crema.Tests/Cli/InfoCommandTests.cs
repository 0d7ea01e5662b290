using System.Diagnostics;
using Crema.Cli;
using Crema.Cuda;

namespace Crema.Tests.Cli;

public class InfoCommandTests
{
    [TearDown]
    public void BackToCpu() => Engine.UseCpu();

    [Test]
    public void Info_PrintsVersionsAndTheCpuEngine()
    {
        var output = new StringWriter();

        int code = InfoCommand.Run(ComputeEngine.Cpu, output);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(output.ToString(), Does.StartWith("Crema 0.1.0").And.Contain("engine          Cpu"));
    }

    [Test]
    public void InfoWithTheGpuEngine_ExitsWith3_ExactlyWhenThereIsNoGpu()
    {
        var output = new StringWriter();
        bool available = CudaRuntime.Probe().IsAvailable;

        int code = InfoCommand.Run(ComputeEngine.Gpu, output);

        Assert.That(code, Is.EqualTo(available ? ExitCodes.Ok : ExitCodes.GpuUnavailable));
        Assert.That(output.ToString(), available ? Does.Contain("GPU devices") : Does.Contain("GPU             unavailable"));
    }
}

/// <summary>The CLI run as a separate process from a folder that lacks the native library.</summary>
public class CliWithoutNativeLibraryTests
{
    private static readonly string[] ManagedFiles =
    [
        "Crema.Cli.dll", "Crema.Cli.runtimeconfig.json", "Crema.Cli.deps.json", "Crema.dll",
        "System.CommandLine.dll", "System.Numerics.Tensors.dll",
    ];

    private string folder = "";
    private string dotnet = "";

    [OneTimeSetUp]
    public void Prepare()
    {
        dotnet = FindDotnetHost() ?? "";
        if (dotnet.Length == 0)
        {
            Assert.Ignore("no `dotnet` host to start the CLI with (a self-contained test publish has none)");
        }

        folder = Directory.CreateTempSubdirectory("crema-cli-").FullName;
        foreach (string file in ManagedFiles)
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, file), Path.Combine(folder, file));
        }
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        if (folder.Length > 0)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void Info_SaysTheLibraryIsMissing_AndTheCpuEngineStillWorks()
    {
        var (code, stdout, _) = RunCli("info");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(stdout, Does.Contain("native library  not loaded"));
        Assert.That(stdout, Does.Contain("unavailable (LibraryMissing)"));
        Assert.That(stdout, Does.Contain("engine          Cpu"));
    }

    [Test]
    public void InfoWithTheGpuEngine_ExitsWith3_ListingEveryPlaceTried()
    {
        var (code, stdout, stderr) = RunCli("info", "--engine", "gpu");

        Assert.That(code, Is.EqualTo(ExitCodes.GpuUnavailable));
        Assert.That(stderr, Does.StartWith("GPU unavailable: the native library libcrema.so could not be loaded; tried:"));
        Assert.That(stdout, Does.Contain($"1. assembly folder: {Path.Combine(folder, "libcrema.so")}: not found"));
        Assert.That(stdout, Does.Contain("default search for 'crema'"));
    }

    [Test]
    public void BadArgument_ExitsWith2_WithOneLineOnStderr()
    {
        var (code, _, stderr) = RunCli("info", "--engine", "tpu");

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.StartWith("crema: ").And.Contain("tpu"));
    }

    private (int Code, string Stdout, string Stderr) RunCli(params string[] arguments)
    {
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(folder, "Crema.Cli.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("CREMA_NATIVE_LIBRARY");
        start.Environment.Remove("LD_LIBRARY_PATH");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            Assert.Fail("the CLI did not finish within 60 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindDotnetHost()
    {
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
            Environment.GetEnvironmentVariable("DOTNET_ROOT") is { } root ? Path.Combine(root, "dotnet") : null,
        };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "dotnet")));
        candidates.Add("/usr/share/dotnet/dotnet");
        candidates.Add("/usr/lib/dotnet/dotnet");
        return candidates.FirstOrDefault(c => c is not null && File.Exists(c));
    }
}
