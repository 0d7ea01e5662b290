using System.Runtime.InteropServices;

namespace Crema.Interop;

#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

internal static partial class CremaNative
{
    [LibraryImport(Libraries.Crema)] internal static partial int crema_srelu_forward(ContextHandle context, long n, float negativeSlope, nint x, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_drelu_forward(ContextHandle context, long n, double negativeSlope, nint x, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_srelu_backward(ContextHandle context, long n, float negativeSlope, nint x, nint dy, nint dx);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_drelu_backward(ContextHandle context, long n, double negativeSlope, nint x, nint dy, nint dx);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_seuclidean_loss_forward(ContextHandle context, long n, long num, nint a, nint b, nint diff, nint loss);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_deuclidean_loss_forward(ContextHandle context, long n, long num, nint a, nint b, nint diff, nint loss);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_seuclidean_loss_backward(ContextHandle context, long n, long num, nint diff, nint topDiff, nint gradA, nint gradB);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_deuclidean_loss_backward(ContextHandle context, long n, long num, nint diff, nint topDiff, nint gradA, nint gradB);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_saccuracy_forward(ContextHandle context, long outer, long channels, long inner, nint scores, nint labels, int topK, int hasIgnoreLabel, int ignoreLabel, nint accuracy, nint perClass, nint classCounts, nint badLabel);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_daccuracy_forward(ContextHandle context, long outer, long channels, long inner, nint scores, nint labels, int topK, int hasIgnoreLabel, int ignoreLabel, nint accuracy, nint perClass, nint classCounts, nint badLabel);
}
