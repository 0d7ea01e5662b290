using System.Runtime.InteropServices;

namespace Crema.Interop;

#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

internal static partial class CremaNative
{
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ssgd_clip_scale(ContextHandle context, long count, nint sumsqs, double clip, int iterSize, nint norm, nint scale);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dsgd_clip_scale(ContextHandle context, long count, nint sumsqs, double clip, int iterSize, nint norm, nint scale);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ssgd_update(ContextHandle context, long n, float momentum, float localDecay, float localRate, nint scale, int applyUpdate, nint data, nint diff, nint history);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dsgd_update(ContextHandle context, long n, double momentum, double localDecay, double localRate, nint scale, int applyUpdate, nint data, nint diff, nint history);
}
