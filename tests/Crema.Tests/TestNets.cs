namespace Crema.Tests;

/// <summary>Nets several test classes build from text.</summary>
internal static class TestNets
{
    /// <summary>
    /// The small MLP of examples/mlp: DummyData (gaussian data 4×6, every label 2) → InnerProduct (5, xavier, uniform
    /// bias) → ReLU in place → InnerProduct (3) → SoftmaxWithLoss.
    /// </summary>
    public const string Mlp = """
        name: "mlp"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { data_filler { type: "gaussian" std: 1 } shape { dim: 4 dim: 6 }
                                   data_filler { type: "constant" value: 2 } shape { dim: 4 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 5 weight_filler { type: "xavier" }
                                      bias_filler { type: "uniform" min: -0.5 max: 0.5 } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    /// <summary><see cref="Mlp"/> with an Accuracy of ip2 against the labels in the TEST phase.</summary>
    public const string MlpWithTestAccuracy = Mlp + """

        layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy" include { phase: TEST } }
        """;
}
