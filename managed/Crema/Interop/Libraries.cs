namespace Crema.Interop;

/// <summary>Names shared by every binding: the native library and its loader override.</summary>
internal static class Libraries
{
    /// <summary>The name every <c>[LibraryImport]</c> uses; the resolver maps it to a file.</summary>
    internal const string Crema = "crema";

    /// <summary>Environment variable naming the native library file (or its folder) to load first.</summary>
    internal const string PathVariable = "CREMA_NATIVE_LIBRARY";
}
