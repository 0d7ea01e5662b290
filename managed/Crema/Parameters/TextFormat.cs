namespace Crema.Parameters;

// PLACEHOLDER: replaced by the text-format parser (helper P).
internal static class TextFormat
{
    internal static object Parse(string text, string? sourceName) => throw new NotImplementedException();
}

internal static class TextFormatBinder
{
    internal static LayerParameter ReadLayerParameter(object message) => throw new NotImplementedException();
}
