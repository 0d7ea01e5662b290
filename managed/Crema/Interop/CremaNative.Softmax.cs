using System.Runtime.InteropServices;

namespace Crema.Interop;

#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

internal static partial class CremaNative
{
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ssoftmax_forward(ContextHandle context, long outer, long channels, long inner, nint x, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dsoftmax_forward(ContextHandle context, long outer, long channels, long inner, nint x, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ssoftmax_backward(ContextHandle context, long outer, long channels, long inner, nint y, nint dy, nint dx);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dsoftmax_backward(ContextHandle context, long outer, long channels, long inner, nint y, nint dy, nint dx);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ssoftmax_loss_forward(ContextHandle context, long outer, long channels, long inner, nint logits, nint labels, int hasIgnoreLabel, int ignoreLabel, int normalization, double labelSmoothing, nint classWeights, nint lse, nint prob, nint loss, nint normalizer, nint badLabel, nint gradScale, nint grad);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dsoftmax_loss_forward(ContextHandle context, long outer, long channels, long inner, nint logits, nint labels, int hasIgnoreLabel, int ignoreLabel, int normalization, double labelSmoothing, nint classWeights, nint lse, nint prob, nint loss, nint normalizer, nint badLabel, nint gradScale, nint grad);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ssoftmax_loss_backward(ContextHandle context, long outer, long channels, long inner, nint logits, nint labels, nint lse, int hasIgnoreLabel, int ignoreLabel, double labelSmoothing, nint classWeights, nint topDiff, nint normalizer, nint grad);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dsoftmax_loss_backward(ContextHandle context, long outer, long channels, long inner, nint logits, nint labels, nint lse, int hasIgnoreLabel, int ignoreLabel, double labelSmoothing, nint classWeights, nint topDiff, nint normalizer, nint grad);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_slatch_bad_label(ContextHandle context, long positions, nint labels, nint badLabel, nint latched, nint latchedValue);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dlatch_bad_label(ContextHandle context, long positions, nint labels, nint badLabel, nint latched, nint latchedValue);
}
