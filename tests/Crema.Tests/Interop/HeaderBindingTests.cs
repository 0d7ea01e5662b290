using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Crema.Interop;

namespace Crema.Tests.Interop;

/// <summary>crema.h is the whole ABI: the hand-written bindings must declare exactly its functions.</summary>
public partial class HeaderBindingTests
{
    internal static IReadOnlyDictionary<string, int> HeaderFunctions()
    {
        string header = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "crema.h"));
        header = CommentPattern().Replace(header, " ");
        var functions = new Dictionary<string, int>();
        foreach (Match match in DeclarationPattern().Matches(header))
        {
            string parameters = match.Groups[2].Value.Trim();
            int count = parameters is "" or "void" ? 0 : parameters.Split(',').Length;
            functions.Add(match.Groups[1].Value, count);
        }

        return functions;
    }

    internal static IReadOnlyDictionary<string, int> BoundFunctions() =>
        typeof(CremaNative)
            .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null)
            .ToDictionary(m => m.GetCustomAttribute<LibraryImportAttribute>()!.EntryPoint ?? m.Name, m => m.GetParameters().Length);

    [Test]
    public void Header_DeclaresTheAbi()
    {
        var header = HeaderFunctions();
        Assert.That(header, Has.Count.GreaterThan(50));
        Assert.That(header.Keys, Has.All.StartWith("crema_"));
        Assert.That(header["crema_sgemm"], Is.EqualTo(11));
        Assert.That(header["crema_get_version"], Is.EqualTo(3));
    }

    [Test]
    public void HeaderAndBindings_DeclareTheSameFunctions()
    {
        var header = HeaderFunctions();
        var bound = BoundFunctions();

        Assert.That(bound.Keys.Except(header.Keys), Is.Empty, "bound but not in crema.h");
        Assert.That(header.Keys.Except(bound.Keys), Is.Empty, "in crema.h but not bound");
    }

    [Test]
    public void HeaderAndBindings_AgreeOnParameterCounts()
    {
        var header = HeaderFunctions();
        var bound = BoundFunctions();

        var mismatches = header.Keys.Intersect(bound.Keys)
            .Where(name => header[name] != bound[name])
            .Select(name => $"{name}: header {header[name]}, binding {bound[name]}");
        Assert.That(mismatches, Is.Empty);
    }

    [Test]
    public void EveryBinding_ReturnsTheInt32Status()
    {
        var wrong = typeof(CremaNative)
            .GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null && m.ReturnType != typeof(int))
            .Select(m => m.Name);
        Assert.That(wrong, Is.Empty);
    }

    [Test]
    public void DevicePropertiesStruct_MatchesTheHeader_FieldByField()
    {
        string header = CommentPattern().Replace(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "crema.h")), " ");
        var body = DevicePropertiesPattern().Match(header);
        Assert.That(body.Success, Is.True, "typedef struct crema_device_properties { ... } in crema.h");
        var declared = FieldPattern().Matches(body.Groups[1].Value)
            .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}{(m.Groups[3].Success ? $"[{m.Groups[3].Value}]" : "")}")
            .ToList();

        var bound = typeof(crema_device_properties)
            .GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .OrderBy(f => Marshal.OffsetOf<crema_device_properties>(f.Name).ToInt64())
            .Select(f => f.GetCustomAttribute<System.Runtime.CompilerServices.FixedBufferAttribute>() is { } fixedBuffer
                ? $"{CName(fixedBuffer.ElementType)} {f.Name}[{fixedBuffer.Length}]"
                : $"{CName(f.FieldType)} {f.Name}")
            .ToList();

        Assert.That(bound, Is.EqualTo(declared));
        long size = 0;
        foreach (string field in declared)
        {
            int width = field.StartsWith("int64_t", StringComparison.Ordinal) ? 8 : field.StartsWith("int32_t", StringComparison.Ordinal) ? 4 : 1;
            int count = field.EndsWith(']') ? int.Parse(field[(field.IndexOf('[') + 1)..^1], System.Globalization.CultureInfo.InvariantCulture) : 1;
            size = ((size + width - 1) / width * width) + (width * count);
        }

        size = (size + 7) / 8 * 8;
        Assert.That(Marshal.SizeOf<crema_device_properties>(), Is.EqualTo(size), "the C layout's size (natural alignment)");

        static string CName(Type type) =>
            type == typeof(long) ? "int64_t" : type == typeof(int) ? "int32_t" : type == typeof(byte) ? "char" : type.Name;
    }

    [GeneratedRegex(@"typedef\s+struct\s+crema_device_properties\s*\{([^}]*)\}", RegexOptions.Singleline)]
    private static partial Regex DevicePropertiesPattern();

    [GeneratedRegex(@"(int64_t|int32_t|char)\s+(\w+)\s*(?:\[(\d+)\])?\s*;")]
    private static partial Regex FieldPattern();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"CREMA_API\s+int32_t\s+(crema_\w+)\s*\(([^)]*)\)\s*;", RegexOptions.Singleline)]
    private static partial Regex DeclarationPattern();
}
