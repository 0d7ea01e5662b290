namespace Crema.Blas;

/// <summary>Argument checks shared by the CPU and GPU backends, so both reject the same input the same way.</summary>
internal static class MathChecks
{
    internal static void Gemm(Transpose transA, Transpose transB, int m, int n, int k, long aLength, long bLength, long cLength)
    {
        CheckTranspose(transA, nameof(transA));
        CheckTranspose(transB, nameof(transB));
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckLength("a", aLength, (long)m * k, $"op(A) is {m} x {k}");
        CheckLength("b", bLength, (long)k * n, $"op(B) is {k} x {n}");
        CheckLength("c", cLength, (long)m * n, $"C is {m} x {n}");
    }

    internal static void Gemv(Transpose transA, int m, int n, long aLength, long xLength, long yLength)
    {
        CheckTranspose(transA, nameof(transA));
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        bool plain = transA == Transpose.NoTrans;
        CheckLength("a", aLength, (long)m * n, $"A is {m} x {n}");
        CheckLength("x", xLength, plain ? n : m, plain ? $"A is {m} x {n}" : $"Aᵀ is {n} x {m}");
        CheckLength("y", yLength, plain ? m : n, plain ? $"A is {m} x {n}" : $"Aᵀ is {n} x {m}");
    }

    private static void CheckTranspose(Transpose value, string name)
    {
        if (value is not (Transpose.NoTrans or Transpose.Trans))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be NoTrans or Trans");
        }
    }

    private static void CheckLength(string name, long actual, long needed, string why)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"{name} has {actual} elements but needs at least {needed} ({why})", name);
        }
    }
}
