using System.Numerics;
using Crema.Core;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.Layers;

/// <summary>How <see cref="SquareLayer{T}"/> computes its backward pass.</summary>
internal enum SquareBackward
{
    /// <summary>dx = 2x · dy (right).</summary>
    Correct,

    /// <summary>dx = 2.1x · dy (a wrong factor).</summary>
    WrongFactor,

    /// <summary>dx += 2x · dy (adds to what the diff held).</summary>
    Accumulates,
}

/// <summary>
/// y = x² element-wise, with a loss weight when the parameter gives one: a layer the gradient checker is tested on,
/// with a correct and two broken backward passes.
/// </summary>
internal sealed class SquareLayer<T>(LayerParameter param, SquareBackward backward = SquareBackward.Correct) : Layer<T>(param)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Type => "TestSquare";

    public override int ExactNumBottomBlobs => 1;

    public override int ExactNumTopBlobs => 1;

    public override void Reshape(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top) => top[0].ReshapeLike(bottom[0]);

    protected override void ForwardCpu(IReadOnlyList<Blob<T>> bottom, IReadOnlyList<Blob<T>> top)
    {
        var x = bottom[0].CpuData;
        var y = top[0].MutableCpuData;
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] * x[i];
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob<T>> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob<T>> bottom)
    {
        if (!propagateDown[0])
        {
            return;
        }

        var factor = T.CreateTruncating(backward == SquareBackward.WrongFactor ? 2.1 : 2.0);
        var x = bottom[0].CpuData;
        var dy = top[0].CpuDiff;
        var dx = bottom[0].MutableCpuDiff;
        for (int i = 0; i < x.Length; i++)
        {
            var g = factor * x[i] * dy[i];
            dx[i] = backward == SquareBackward.Accumulates ? dx[i] + g : g;
        }
    }
}
