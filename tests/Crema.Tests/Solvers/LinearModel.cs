using System.Globalization;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Tests.Solvers;

/// <summary>
/// The solver tests' model: y = W x + b (W 2×3, b 2) with a Euclidean loss against a target, fed by an Input layer;
/// the bias learns at twice the rate without weight decay. Two fixed half batches, A and B.
/// </summary>
internal static class LinearModel
{
    public const string Text = """
        name: "linear"
        layer { name: "in" type: "Input" top: "data" top: "target"
                input_param { shape { dim: BATCH dim: 3 } shape { dim: BATCH dim: 2 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
                inner_product_param { num_output: 2 weight_filler { type: "constant" value: 0.1 }
                                      bias_filler { type: "constant" value: 0.2 } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "target" top: "loss" }
        """;

    public static readonly double[] BatchA = [1, -2, 0.5, 0.25, 3, -1];
    public static readonly double[] TargetA = [0.5, -1, 2, 0];
    public static readonly double[] BatchB = [-0.5, 1, 2, 1.5, -0.75, 0.25];
    public static readonly double[] TargetB = [1, 1, -0.5, 0.25];

    /// <summary>The model for batches of <paramref name="batch"/> items (the caller disposes it).</summary>
    public static Net<double> Create(int batch) =>
        new(NetParameter.Parse(Text.Replace("BATCH", batch.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)), Phase.Train);

    /// <summary>Sets the model's inputs.</summary>
    public static void Feed(Net<double> net, double[] data, double[] target)
    {
        net.BlobByName("data").SetData(data);
        net.BlobByName("target").SetData(target);
    }
}
