using System.Numerics;
using Crema.Blas;
using Crema.Core;
using Crema.Fillers;
using Crema.Parameters;

namespace Crema.Layers;

/// <summary>
/// Caffe's <c>InnerProduct</c> (fully connected). The bottom is viewed as M × K with M the product of the axes before
/// <c>axis</c> and K the product of the rest; the top is the first <c>axis</c> dimensions followed by N =
/// <c>num_output</c>. Weights (blobs[0]) are N × K, or K × N with <c>transpose</c>; the bias (blobs[1], when
/// <c>bias_term</c>) has N elements. Forward: y = x·Wᵀ + 1·bᵀ (y = x·W when transposed). Backward adds to the param
/// diffs, as Caffe does (dW += dyᵀ·x, db += Σ_rows dy), and writes dx = dy·W. Gemm on the CPU, cuBLAS on the GPU.
/// </summary>
public sealed class InnerProductLayer<T> : Layer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Blob<T> biasMultiplier = new();
    private int m;
    private int n;
    private int k;
    private int axis;

    /// <summary>Creates the layer.</summary>
    public InnerProductLayer(LayerParameter param)
        : base(param)
    {
    }

    /// <inheritdoc/>
    public override string Type => "InnerProduct";

    /// <inheritdoc/>
    public override int ExactNumBottomBlobs => 1;

    /// <inheritdoc/>
    public override int ExactNumTopBlobs => 1;

    /// <summary>
    /// Reads the settings and, unless the blobs are already there (shared or loaded), creates and fills the weights
    /// and the bias with their fillers.
    /// </summary>
    /// <exception cref="ArgumentException"><c>num_output</c> is 0, the axis is out of range, or an unknown filler type.</exception>
    public override void LayerSetUp(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var p = LayerParam.InnerProductParam;
        if (p.NumOutput == 0)
        {
            throw new ArgumentException($"{this}: inner_product_param.num_output must be positive, got 0");
        }

        n = LayerShapes.ToInt(p.NumOutput, "num_output", this);
        axis = LayerShapes.CanonicalAxis(bottom[0], p.Axis, "inner_product_param.axis", this);
        k = LayerShapes.ToInt(bottom[0].CountFrom(axis), $"K (the count from axis {axis} of {LayerShapes.Text(bottom[0].Shape)})", this);
        if (Blobs.Count > 0)
        {
            return;
        }

        var weights = new Blob<T>(p.Transpose ? [k, n] : [n, k]);
        Blobs.Add(weights);
        Filler.Create(p.WeightFiller).Fill(weights);
        if (p.BiasTerm)
        {
            var bias = new Blob<T>(n);
            Blobs.Add(bias);
            Filler.Create(p.BiasFiller).Fill(bias);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The bottom's size from the axis no longer matches the weights' K.</exception>
    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var x = bottom[0];
        axis = LayerShapes.CanonicalAxis(x, LayerParam.InnerProductParam.Axis, "inner_product_param.axis", this);
        long newK = x.CountFrom(axis);
        if (newK != k)
        {
            throw new ArgumentException(
                $"{this}: the bottom of shape {LayerShapes.Text(x.Shape)} has {newK} elements from axis {axis}, but the " +
                $"weights of shape {LayerShapes.Text(Blobs[0].Shape)} take K = {k}");
        }

        CheckParamShapes();
        // Every forward pass comes here: the message is built only when it is thrown, and the top's shape is on the stack.
        long rows = x.CountBetween(0, axis);
        m = rows <= int.MaxValue
            ? (int)rows
            : LayerShapes.ToInt(rows, $"M (the count before axis {axis} of {LayerShapes.Text(x.Shape)})", this);
        Span<int> shape = stackalloc int[axis + 1];
        for (int i = 0; i < axis; i++)
        {
            shape[i] = x.Shape[i];
        }

        shape[axis] = n;
        top[0].Reshape(shape);
        if (HasBias && biasMultiplier.Count != m)
        {
            biasMultiplier.Reshape(m);
            biasMultiplier.MutableCpuData.Fill(T.One);
        }
    }

    private bool HasBias => LayerParam.InnerProductParam.BiasTerm;

    private Transpose WeightOp => LayerParam.InnerProductParam.Transpose ? Transpose.NoTrans : Transpose.Trans;

    /// <inheritdoc/>
    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var y = top[0].MutableCpuData;
        CpuMath.Gemm(Transpose.NoTrans, WeightOp, m, n, k, T.One, bottom[0].CpuData, Blobs[0].CpuData, T.Zero, y);
        if (HasBias)
        {
            CpuMath.Gemm(Transpose.NoTrans, Transpose.NoTrans, m, n, 1, T.One, biasMultiplier.CpuData, Blobs[1].CpuData, T.One, y);
        }
    }

    /// <inheritdoc/>
    protected override void ForwardGpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        if (top[0].Count == 0)
        {
            return;
        }

        var y = top[0].MutableGpuData;
        GpuMath.Gemm(Transpose.NoTrans, WeightOp, m, n, k, T.One, bottom[0].GpuData, Blobs[0].GpuData, T.Zero, y);
        if (HasBias)
        {
            GpuMath.Gemm(Transpose.NoTrans, Transpose.NoTrans, m, n, 1, T.One, biasMultiplier.GpuData, Blobs[1].GpuData, T.One, y);
        }
    }

    /// <inheritdoc/>
    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        var dy = top[0].CpuDiff;
        if (ParamPropagateDown(0))
        {
            // dW (N × K) += dyᵀ·x, or (K × N) += xᵀ·dy when transposed.
            if (LayerParam.InnerProductParam.Transpose)
            {
                CpuMath.Gemm(Transpose.Trans, Transpose.NoTrans, k, n, m, T.One, bottom[0].CpuData, dy, T.One, Blobs[0].MutableCpuDiff);
            }
            else
            {
                CpuMath.Gemm(Transpose.Trans, Transpose.NoTrans, n, k, m, T.One, dy, bottom[0].CpuData, T.One, Blobs[0].MutableCpuDiff);
            }
        }

        if (HasBias && ParamPropagateDown(1))
        {
            CpuMath.Gemv(Transpose.Trans, m, n, T.One, dy, biasMultiplier.CpuData, T.One, Blobs[1].MutableCpuDiff);
        }

        if (propagateDown[0])
        {
            // dx (M × K) = dy·W, or dy·Wᵀ when W is stored K × N.
            var op = LayerParam.InnerProductParam.Transpose ? Transpose.Trans : Transpose.NoTrans;
            CpuMath.Gemm(Transpose.NoTrans, op, m, k, n, T.One, dy, Blobs[0].CpuData, T.Zero, bottom[0].MutableCpuDiff);
        }
    }

    /// <inheritdoc/>
    protected override void BackwardGpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (top[0].Count == 0 && bottom[0].Count == 0)
        {
            return;
        }

        var dy = top[0].GpuDiff;
        if (ParamPropagateDown(0) && m > 0)
        {
            if (LayerParam.InnerProductParam.Transpose)
            {
                GpuMath.Gemm(Transpose.Trans, Transpose.NoTrans, k, n, m, T.One, bottom[0].GpuData, dy, T.One, Blobs[0].MutableGpuDiff);
            }
            else
            {
                GpuMath.Gemm(Transpose.Trans, Transpose.NoTrans, n, k, m, T.One, dy, bottom[0].GpuData, T.One, Blobs[0].MutableGpuDiff);
            }
        }

        if (HasBias && ParamPropagateDown(1) && m > 0)
        {
            GpuMath.Gemv(Transpose.Trans, m, n, T.One, dy, biasMultiplier.GpuData, T.One, Blobs[1].MutableGpuDiff);
        }

        if (propagateDown[0] && bottom[0].Count > 0)
        {
            var op = LayerParam.InnerProductParam.Transpose ? Transpose.Trans : Transpose.NoTrans;
            GpuMath.Gemm(Transpose.NoTrans, op, m, k, n, T.One, dy, Blobs[0].GpuData, T.Zero, bottom[0].MutableGpuDiff);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            biasMultiplier.Dispose();
        }

        base.Dispose(disposing);
    }

    private void CheckParamShapes()
    {
        var p = LayerParam.InnerProductParam;
        var (rows, columns) = p.Transpose ? (k, n) : (n, k);
        var weights = Blobs[0].Shape;
        if (weights.Count != 2 || weights[0] != rows || weights[1] != columns)
        {
            throw new ArgumentException(
                $"{this}: the weights have shape {LayerShapes.Text(weights)}, expected {LayerShapes.Text([rows, columns])}");
        }

        if (p.BiasTerm && (Blobs.Count < 2 || Blobs[1].Count != n))
        {
            throw new ArgumentException($"{this}: the bias must have {n} elements (num_output)");
        }
    }
}
