using System.Runtime.InteropServices;

namespace Crema.Interop;

#pragma warning disable SA1300, IDE1006 // names follow the C ABI on purpose

internal static partial class CremaNative
{
    [LibraryImport(Libraries.Crema)] internal static partial int crema_sset(ContextHandle context, long n, float alpha, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dset(ContextHandle context, long n, double alpha, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_scopy(ContextHandle context, long n, nint x, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dcopy(ContextHandle context, long n, nint x, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_saxpy(ContextHandle context, long n, float alpha, nint x, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_daxpy(ContextHandle context, long n, double alpha, nint x, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_saxpby(ContextHandle context, long n, float alpha, nint x, float beta, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_daxpby(ContextHandle context, long n, double alpha, nint x, double beta, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_sscal(ContextHandle context, long n, float alpha, nint x);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dscal(ContextHandle context, long n, double alpha, nint x);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_sasum(ContextHandle context, long n, nint x, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dasum(ContextHandle context, long n, nint x, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_sdot(ContextHandle context, long n, nint x, nint y, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ddot(ContextHandle context, long n, nint x, nint y, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ssumsq(ContextHandle context, long n, nint x, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dsumsq(ContextHandle context, long n, nint x, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_sdot_accumulate(ContextHandle context, long n, nint x, nint y, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ddot_accumulate(ContextHandle context, long n, nint x, nint y, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_ssumsq_double(ContextHandle context, long n, nint x, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dsumsq_double(ContextHandle context, long n, nint x, nint result);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_sgemm(ContextHandle context, int transA, int transB, long m, long n, long k, float alpha, nint a, nint b, float beta, nint c);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dgemm(ContextHandle context, int transA, int transB, long m, long n, long k, double alpha, nint a, nint b, double beta, nint c);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_sgemv(ContextHandle context, int transA, long m, long n, float alpha, nint a, nint x, float beta, nint y);
    [LibraryImport(Libraries.Crema)] internal static partial int crema_dgemv(ContextHandle context, int transA, long m, long n, double alpha, nint a, nint x, double beta, nint y);
}
