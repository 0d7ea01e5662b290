using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Net;

/// <summary>
/// Small layers the net tests are built from, registered once per element type under names no real layer uses:
/// <c>NetTestData</c> (fixed data (4, 5) and labels (4) in [0, 5)) and <c>NetTestScale</c> (y = x · w with one
/// learnable row w broadcast over the first axis).
/// </summary>
internal static class NetTestLayers<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static NetTestLayers()
    {
        LayerRegistry<T>.Register("NetTestData", p => new NetTestDataLayer<T>(p));
        LayerRegistry<T>.Register("NetTestScale", p => new NetTestScaleLayer<T>(p));
    }

    /// <summary>Makes sure the layers are registered (the static constructor runs once).</summary>
    public static void Register()
    {
    }
}

/// <summary>
/// A data layer without bottoms: top 0 holds fixed values of shape (4, 5), top 1 (if asked for) labels of shape (4)
/// in [0, 5). Nothing flows back.
/// </summary>
internal sealed class NetTestDataLayer<T>(LayerParameter param) : Layer<T>(param)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public const int Rows = 4;
    public const int Cols = 5;

    public override string Type => "NetTestData";

    public override int ExactNumBottomBlobs => 0;

    public override int MinTopBlobs => 1;

    public override int MaxTopBlobs => 2;

    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        top[0].Reshape(Rows, Cols);
        if (top.Count > 1)
        {
            top[1].Reshape(Rows);
        }
    }

    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var x = top[0].MutableCpuData;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = T.CreateChecked(Math.Sin((0.7 * i) + 0.3) * 2);
        }

        if (top.Count > 1)
        {
            var labels = top[1].MutableCpuData;
            for (int i = 0; i < labels.Length; i++)
            {
                labels[i] = T.CreateChecked((i * 3) % Cols);
            }
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
    }
}

/// <summary>
/// y[r, c] = x[r, c] · w[c], with w (one learnable blob of the bottom's trailing size) starting at 0.5 + 0.1 c. The
/// backward pass adds Σ_r dy · x to w's diff (summed first, then added, so that shared diffs are exact sums) when
/// the param's <c>lr_mult</c> is not 0, and writes dx = dy · w. Works in place in the forward pass only.
/// </summary>
internal sealed class NetTestScaleLayer<T>(LayerParameter param) : Layer<T>(param)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Type => "NetTestScale";

    public override int ExactNumBottomBlobs => 1;

    public override int ExactNumTopBlobs => 1;

    private bool LearnsWeights => LayerParam.Param.Count == 0 || LayerParam.Param[0].LrMult != 0;

    public override void LayerSetUp(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        int width = bottom[0].NumAxes == 0 ? 1 : (int)bottom[0].CountFrom(1);
        var w = new Blob<T>(width);
        var data = w.MutableCpuData;
        for (int c = 0; c < width; c++)
        {
            data[c] = T.CreateChecked(0.5 + (0.1 * c));
        }

        Blobs.Add(w);
    }

    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        if (!ReferenceEquals(top[0], bottom[0]))
        {
            top[0].ReshapeLike(bottom[0]);
        }
    }

    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var w = Blobs[0].CpuData;
        var x = bottom[0].CpuData.ToArray();
        var y = top[0].MutableCpuData;
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] * w[i % w.Length];
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        var w = Blobs[0].CpuData.ToArray();
        var x = bottom[0].CpuData.ToArray();
        var dy = top[0].CpuDiff.ToArray();
        if (LearnsWeights)
        {
            var dw = Blobs[0].MutableCpuDiff;
            for (int c = 0; c < w.Length; c++)
            {
                var sum = T.Zero;
                for (int i = c; i < x.Length; i += w.Length)
                {
                    sum += dy[i] * x[i];
                }

                dw[c] += sum;
            }
        }

        if (propagateDown[0])
        {
            var dx = bottom[0].MutableCpuDiff;
            for (int i = 0; i < x.Length; i++)
            {
                dx[i] = dy[i] * w[i % w.Length];
            }
        }
    }
}
