using System.Globalization;

namespace Crema;

/// <summary>How Caffe's logs print numbers, shared by the library's log lines and the CLI's tables.</summary>
internal static class CaffeFormat
{
    /// <summary>C++ iostream's default: 6 significant digits, an exponent with a sign and at least two digits.</summary>
    internal static string Number(double value) =>
        value.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
