using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crema.Interop;

/// <summary>
/// Finds the native library: the <c>CREMA_NATIVE_LIBRARY</c> override, the assembly folder,
/// <c>runtimes/&lt;rid&gt;/native/</c>, then the system's default search. Every attempt is recorded, so a failure
/// says each place that was tried and why it did not work.
/// </summary>
internal static class NativeLibraryResolver
{
    private static readonly Lock Gate = new();
    private static bool attempted;
    private static nint handle;
    private static string? loadedFrom;
    private static string failureReport = "";

    // A library registering its own resolver is exactly the case a module initializer exists for: it must be in
    // place before the first [LibraryImport] call, whoever makes it.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    /// <summary>The file the library was loaded from, or null when it is not loaded.</summary>
    internal static string? LoadedFrom => TryLoad(out _) ? loadedFrom : null;

    /// <summary>The platform's file name of the library.</summary>
    internal static string FileName =>
        OperatingSystem.IsWindows() ? "crema.dll" : OperatingSystem.IsMacOS() ? "libcrema.dylib" : "libcrema.so";

    /// <summary>Loads the library once; on failure <paramref name="report"/> lists every place tried.</summary>
    internal static bool TryLoad(out string report)
    {
        lock (Gate)
        {
            if (!attempted)
            {
                attempted = true;
                Load();
            }

            report = failureReport;
            return handle != 0;
        }
    }

    /// <summary>
    /// Throws <see cref="GpuUnavailableException"/> with the full trace when the library cannot be loaded, so a
    /// CUDA wrapper created on a machine without it fails with the reason instead of a bare DllNotFoundException.
    /// </summary>
    internal static void EnsureLoaded()
    {
        if (!TryLoad(out string report))
        {
            throw new GpuUnavailableException(GpuUnavailableReason.LibraryMissing, $"GPU unavailable: {report}");
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Libraries.Crema && TryLoad(out _) ? handle : 0;

    private static void Load()
    {
        handle = TryLoadFrom(Candidates(), tryDefaultSearch: true, out loadedFrom, out failureReport);
    }

    /// <summary>
    /// Tries each candidate file in order, then (optionally) the default search; returns the handle or 0 with a
    /// report that lists every attempt and its reason. Separate from the cached state so tests can drive it.
    /// </summary>
    internal static nint TryLoadFrom(IEnumerable<(string Source, string Path)> candidates, bool tryDefaultSearch,
        out string? loadedPath, out string report)
    {
        var attempts = new List<string>();
        loadedPath = null;
        report = "";
        foreach (var candidate in candidates)
        {
            if (!File.Exists(candidate.Path))
            {
                attempts.Add($"{candidate.Source}: {candidate.Path}: not found");
                continue;
            }

            try
            {
                nint loaded = NativeLibrary.Load(candidate.Path);
                loadedPath = candidate.Path;
                return loaded;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                attempts.Add($"{candidate.Source}: {candidate.Path}: {FirstLine(e.Message)}");
            }
        }

        if (tryDefaultSearch)
        {
            try
            {
                nint loaded = NativeLibrary.Load(Libraries.Crema, typeof(NativeLibraryResolver).Assembly, null);
                loadedPath = $"(default search for '{Libraries.Crema}')";
                return loaded;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                attempts.Add($"default search for '{Libraries.Crema}': {FirstLine(e.Message)}");
            }
        }

        report = $"the native library {FileName} could not be loaded; tried:{Environment.NewLine}  " +
                 string.Join(Environment.NewLine + "  ", attempts.Select((a, i) => $"{i + 1}. {a}"));
        return 0;
    }

    internal static IEnumerable<(string Source, string Path)> Candidates()
    {
        var overridePath = Environment.GetEnvironmentVariable(Libraries.PathVariable);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            yield return ($"${Libraries.PathVariable}",
                Directory.Exists(overridePath) ? Path.Combine(overridePath, FileName) : overridePath);
        }

        // Location is empty in a single-file app; AppContext.BaseDirectory covers that case.
#pragma warning disable IL3000
        string assemblyLocation = typeof(NativeLibraryResolver).Assembly.Location;
#pragma warning restore IL3000
        var folders = new[] { AppContext.BaseDirectory, string.IsNullOrEmpty(assemblyLocation) ? null : Path.GetDirectoryName(assemblyLocation) }
            .Where(f => !string.IsNullOrEmpty(f))
            // AppContext.BaseDirectory ends with a separator and the assembly's folder does not: trim, so one folder
            // is tried (and reported) once.
            .Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f!)))
            .Distinct();
        foreach (var folder in folders)
        {
            yield return ("assembly folder", Path.Combine(folder, FileName));
            yield return ("runtimes folder",
                Path.Combine(folder, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", FileName));
        }
    }

    private static string FirstLine(string text)
    {
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        return (newline < 0 ? text : text[..newline]).Trim();
    }
}
