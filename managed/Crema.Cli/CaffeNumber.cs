using System.Globalization;

namespace Crema.Cli;

/// <summary>Numbers as Caffe's logs print them (C++ streams: six significant digits).</summary>
internal static class CaffeNumber
{
    internal static string Format(double value) =>
        value.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
