using System.Numerics;
using Crema.Net;

namespace Crema.Solvers;

/// <summary>What a test pass reports, shared by <see cref="SgdSolver{T}.Test"/> and <c>crema test</c>.</summary>
internal static class TestPasses
{
    /// <summary>
    /// Runs <paramref name="passes"/> forward passes of <paramref name="net"/> and averages, in double, the loss and
    /// each element of each output blob (in <see cref="Net{T}.OutputBlobs"/> order, elements in order), each with its
    /// blob's name and loss weight. Reads the outputs back on the GPU engine. No passes: loss 0 and no outputs.
    /// </summary>
    internal static (double Loss, List<SolverTestScore> Scores) Average<T>(Net<T> net, int passes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sums = new List<double>();
        double loss = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            loss += double.CreateChecked(net.Forward());
            int k = 0;
            for (int b = 0; b < net.OutputBlobs.Count; b++)
            {
                var values = net.OutputBlobs[b].CpuData;
                for (int e = 0; e < values.Length; e++, k++)
                {
                    if (pass == 0)
                    {
                        sums.Add(0);
                    }

                    sums[k] += double.CreateChecked(values[e]);
                }
            }
        }

        var scores = new List<SolverTestScore>(sums.Count);
        int index = 0;
        for (int b = 0; b < net.OutputBlobs.Count && index < sums.Count; b++)
        {
            int blob = net.OutputBlobIndices[b];
            double weight = double.CreateChecked(net.BlobLossWeights[blob]);
            for (int e = 0; e < net.OutputBlobs[b].Count; e++, index++)
            {
                scores.Add(new SolverTestScore(net.BlobNames[blob], e, sums[index] / passes, weight));
            }
        }

        return (passes == 0 ? 0 : loss / passes, scores);
    }
}
