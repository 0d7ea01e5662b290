namespace Crema.Blas;

/// <summary>Whether a gemm/gemv operand is used as stored or transposed (Caffe's CblasNoTrans/CblasTrans).</summary>
public enum Transpose
{
    /// <summary>op(A) = A.</summary>
    NoTrans = 0,
    /// <summary>op(A) = Aᵀ.</summary>
    Trans = 1,
}
