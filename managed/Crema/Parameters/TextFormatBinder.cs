namespace Crema.Parameters;

/// <summary>
/// Caffe's messages and enums as text-format descriptors: which field names each message has, their types, and the
/// properties of the object model they map onto. To add a message, declare its descriptor here <em>after</em> the
/// descriptors it uses (static fields initialise in order), then reference it from its parent with
/// <see cref="MessageDescriptor{T}.Message"/> or <see cref="MessageDescriptor{T}.RepeatedMessage"/>.
/// </summary>
internal static class TextFormatBinder
{
    /// <summary>Caffe's <c>Phase</c>.</summary>
    public static readonly EnumDescriptor<Phase> PhaseEnum = new(
        ("TRAIN", Phase.Train),
        ("TEST", Phase.Test));

    /// <summary>Caffe's <c>LossParameter.NormalizationMode</c>.</summary>
    public static readonly EnumDescriptor<NormalizationMode> NormalizationModeEnum = new(
        ("FULL", NormalizationMode.Full),
        ("VALID", NormalizationMode.Valid),
        ("BATCH_SIZE", NormalizationMode.BatchSize),
        ("NONE", NormalizationMode.None));

    /// <summary>Caffe's <c>ParamSpec</c> (without <c>share_mode</c>).</summary>
    public static readonly MessageDescriptor<ParamSpec> ParamSpecMessage = new MessageDescriptor<ParamSpec>("ParamSpec", () => new())
        .Scalar("name", ScalarKinds.String, m => m.Name, (m, v) => m.Name = v)
        .Optional("lr_mult", ScalarKinds.Float, m => m.LrMultIfGiven, (m, v) => m.LrMult = v)
        .Optional("decay_mult", ScalarKinds.Float, m => m.DecayMultIfGiven, (m, v) => m.DecayMult = v);

    /// <summary>Caffe's <c>NetStateRule</c>.</summary>
    public static readonly MessageDescriptor<NetStateRule> NetStateRuleMessage = new MessageDescriptor<NetStateRule>("NetStateRule", () => new())
        .Optional("phase", PhaseEnum, m => m.Phase, (m, v) => m.Phase = v)
        .Optional("min_level", ScalarKinds.Int32, m => m.MinLevel, (m, v) => m.MinLevel = v)
        .Optional("max_level", ScalarKinds.Int32, m => m.MaxLevel, (m, v) => m.MaxLevel = v)
        .Repeated("stage", ScalarKinds.String, m => m.Stage)
        .Repeated("not_stage", ScalarKinds.String, m => m.NotStage);

    /// <summary>Caffe's <c>SoftmaxParameter</c> (without <c>engine</c>).</summary>
    public static readonly MessageDescriptor<SoftmaxParameter> SoftmaxParameterMessage = new MessageDescriptor<SoftmaxParameter>("SoftmaxParameter", () => new())
        .Scalar("axis", ScalarKinds.Int32, m => m.Axis, (m, v) => m.Axis = v);

    /// <summary>Caffe's <c>LossParameter</c>, plus PyTorch's <c>label_smoothing</c> and per-class <c>weight</c>.</summary>
    public static readonly MessageDescriptor<LossParameter> LossParameterMessage = new MessageDescriptor<LossParameter>("LossParameter", () => new())
        .Optional("ignore_label", ScalarKinds.Int32, m => m.IgnoreLabel, (m, v) => m.IgnoreLabel = v)
        .Optional("normalization", NormalizationModeEnum, m => m.Normalization, (m, v) => m.Normalization = v)
        .Optional("normalize", ScalarKinds.Bool, m => m.Normalize, (m, v) => m.Normalize = v)
        .Scalar("label_smoothing", ScalarKinds.Float, m => m.LabelSmoothing, (m, v) => m.LabelSmoothing = v)
        .Repeated("weight", ScalarKinds.Float, m => m.Weight);

    /// <summary>Caffe's <c>FillerParameter.VarianceNorm</c>.</summary>
    public static readonly EnumDescriptor<VarianceNorm> VarianceNormEnum = new(
        ("FAN_IN", VarianceNorm.FanIn),
        ("FAN_OUT", VarianceNorm.FanOut),
        ("AVERAGE", VarianceNorm.Average));

    /// <summary>Caffe's <c>FillerParameter</c> (without <c>sparse</c>).</summary>
    public static readonly MessageDescriptor<FillerParameter> FillerParameterMessage = new MessageDescriptor<FillerParameter>("FillerParameter", () => new())
        .Scalar("type", ScalarKinds.String, m => m.Type, (m, v) => m.Type = v)
        .Scalar("value", ScalarKinds.Float, m => m.Value, (m, v) => m.Value = v)
        .Scalar("min", ScalarKinds.Float, m => m.Min, (m, v) => m.Min = v)
        .Scalar("max", ScalarKinds.Float, m => m.Max, (m, v) => m.Max = v)
        .Scalar("mean", ScalarKinds.Float, m => m.Mean, (m, v) => m.Mean = v)
        .Scalar("std", ScalarKinds.Float, m => m.Std, (m, v) => m.Std = v)
        .Scalar("variance_norm", VarianceNormEnum, m => m.VarianceNorm, (m, v) => m.VarianceNorm = v);

    /// <summary>Caffe's <c>BlobShape</c>.</summary>
    public static readonly MessageDescriptor<BlobShape> BlobShapeMessage = new MessageDescriptor<BlobShape>("BlobShape", () => new())
        .Repeated("dim", ScalarKinds.Int64, m => m.Dim);

    /// <summary>Caffe's <c>InputParameter</c>.</summary>
    public static readonly MessageDescriptor<InputParameter> InputParameterMessage = new MessageDescriptor<InputParameter>("InputParameter", () => new())
        .RepeatedMessage("shape", BlobShapeMessage, m => m.Shape);

    /// <summary>Caffe's <c>DummyDataParameter</c> (the <c>shape</c> form only).</summary>
    public static readonly MessageDescriptor<DummyDataParameter> DummyDataParameterMessage = new MessageDescriptor<DummyDataParameter>("DummyDataParameter", () => new())
        .RepeatedMessage("data_filler", FillerParameterMessage, m => m.DataFiller)
        .RepeatedMessage("shape", BlobShapeMessage, m => m.Shape);

    /// <summary>Caffe's <c>InnerProductParameter</c>.</summary>
    public static readonly MessageDescriptor<InnerProductParameter> InnerProductParameterMessage = new MessageDescriptor<InnerProductParameter>("InnerProductParameter", () => new())
        .Scalar("num_output", ScalarKinds.UInt32, m => m.NumOutput, (m, v) => m.NumOutput = v)
        .Scalar("bias_term", ScalarKinds.Bool, m => m.BiasTerm, (m, v) => m.BiasTerm = v)
        .Message("weight_filler", FillerParameterMessage, m => m.WeightFiller, (m, v) => m.WeightFiller = v)
        .Message("bias_filler", FillerParameterMessage, m => m.BiasFiller, (m, v) => m.BiasFiller = v)
        .Scalar("axis", ScalarKinds.Int32, m => m.Axis, (m, v) => m.Axis = v)
        .Scalar("transpose", ScalarKinds.Bool, m => m.Transpose, (m, v) => m.Transpose = v);

    /// <summary>Caffe's <c>ReLUParameter</c> (without <c>engine</c>).</summary>
    public static readonly MessageDescriptor<ReLUParameter> ReLUParameterMessage = new MessageDescriptor<ReLUParameter>("ReLUParameter", () => new())
        .Scalar("negative_slope", ScalarKinds.Float, m => m.NegativeSlope, (m, v) => m.NegativeSlope = v);

    /// <summary>Caffe's <c>AccuracyParameter</c>.</summary>
    public static readonly MessageDescriptor<AccuracyParameter> AccuracyParameterMessage = new MessageDescriptor<AccuracyParameter>("AccuracyParameter", () => new())
        .Scalar("top_k", ScalarKinds.UInt32, m => m.TopK, (m, v) => m.TopK = v)
        .Scalar("axis", ScalarKinds.Int32, m => m.Axis, (m, v) => m.Axis = v)
        .Optional("ignore_label", ScalarKinds.Int32, m => m.IgnoreLabel, (m, v) => m.IgnoreLabel = v);

    /// <summary>Caffe's <c>TransformationParameter</c> (<c>scale</c> and <c>mean_value</c> only).</summary>
    public static readonly MessageDescriptor<TransformationParameter> TransformationParameterMessage = new MessageDescriptor<TransformationParameter>("TransformationParameter", () => new())
        .Scalar("scale", ScalarKinds.Float, m => m.Scale, (m, v) => m.Scale = v)
        .Repeated("mean_value", ScalarKinds.Float, m => m.MeanValue);

    /// <summary>Crema's <c>IdxDataParameter</c>.</summary>
    public static readonly MessageDescriptor<IdxDataParameter> IdxDataParameterMessage = new MessageDescriptor<IdxDataParameter>("IdxDataParameter", () => new())
        .Scalar("images", ScalarKinds.String, m => m.Images, (m, v) => m.Images = v)
        .Scalar("labels", ScalarKinds.String, m => m.Labels, (m, v) => m.Labels = v)
        .Scalar("batch_size", ScalarKinds.UInt32, m => m.BatchSize, (m, v) => m.BatchSize = v)
        .Scalar("shuffle", ScalarKinds.Bool, m => m.Shuffle, (m, v) => m.Shuffle = v)
        .Optional("seed", ScalarKinds.UInt64, m => m.Seed, (m, v) => m.Seed = v)
        .Scalar("root", ScalarKinds.String, m => m.Root, (m, v) => m.Root = v)
        .Scalar("prefetch", ScalarKinds.Bool, m => m.Prefetch, (m, v) => m.Prefetch = v);

    /// <summary>Caffe's <c>LayerParameter</c>: the fields the object model has.</summary>
    public static readonly MessageDescriptor<LayerParameter> LayerParameterMessage = new MessageDescriptor<LayerParameter>("LayerParameter", () => new())
        .Scalar("name", ScalarKinds.String, m => m.Name, (m, v) => m.Name = v)
        .Scalar("type", ScalarKinds.String, m => m.Type, (m, v) => m.Type = v)
        .Repeated("bottom", ScalarKinds.String, m => m.Bottom)
        .Repeated("top", ScalarKinds.String, m => m.Top)
        .Optional("phase", PhaseEnum, m => m.Phase, (m, v) => m.Phase = v)
        .Repeated("loss_weight", ScalarKinds.Float, m => m.LossWeight)
        .RepeatedMessage("param", ParamSpecMessage, m => m.Param)
        .Repeated("propagate_down", ScalarKinds.Bool, m => m.PropagateDown)
        .RepeatedMessage("include", NetStateRuleMessage, m => m.Include)
        .RepeatedMessage("exclude", NetStateRuleMessage, m => m.Exclude)
        .Message("softmax_param", SoftmaxParameterMessage, m => m.SoftmaxParam, (m, v) => m.SoftmaxParam = v)
        .Message("loss_param", LossParameterMessage, m => m.LossParam, (m, v) => m.LossParam = v)
        .Message("input_param", InputParameterMessage, m => m.InputParam, (m, v) => m.InputParam = v)
        .Message("dummy_data_param", DummyDataParameterMessage, m => m.DummyDataParam, (m, v) => m.DummyDataParam = v)
        .Message("inner_product_param", InnerProductParameterMessage, m => m.InnerProductParam, (m, v) => m.InnerProductParam = v)
        .Message("relu_param", ReLUParameterMessage, m => m.ReLUParam, (m, v) => m.ReLUParam = v)
        .Message("accuracy_param", AccuracyParameterMessage, m => m.AccuracyParam, (m, v) => m.AccuracyParam = v)
        .Message("transform_param", TransformationParameterMessage, m => m.TransformParam, (m, v) => m.TransformParam = v)
        .Message("idx_data_param", IdxDataParameterMessage, m => m.IdxDataParam, (m, v) => m.IdxDataParam = v);

    /// <summary>Caffe's <c>NetState</c>.</summary>
    public static readonly MessageDescriptor<NetState> NetStateMessage = new MessageDescriptor<NetState>("NetState", () => new())
        .Scalar("phase", PhaseEnum, m => m.Phase, (m, v) => m.Phase = v)
        .Scalar("level", ScalarKinds.Int32, m => m.Level, (m, v) => m.Level = v)
        .Repeated("stage", ScalarKinds.String, m => m.Stage);

    /// <summary>Caffe's <c>NetParameter</c> (without the V1 <c>layers</c> field).</summary>
    public static readonly MessageDescriptor<NetParameter> NetParameterMessage = new MessageDescriptor<NetParameter>("NetParameter", () => new())
        .Scalar("name", ScalarKinds.String, m => m.Name, (m, v) => m.Name = v)
        .Repeated("input", ScalarKinds.String, m => m.Input)
        .RepeatedMessage("input_shape", BlobShapeMessage, m => m.InputShape)
        .Repeated("input_dim", ScalarKinds.Int32, m => m.InputDim)
        .Scalar("force_backward", ScalarKinds.Bool, m => m.ForceBackward, (m, v) => m.ForceBackward = v)
        .Message("state", NetStateMessage, m => m.State, (m, v) => m.State = v)
        .Scalar("debug_info", ScalarKinds.Bool, m => m.DebugInfo, (m, v) => m.DebugInfo = v)
        .RepeatedMessage("layer", LayerParameterMessage, m => m.Layer);

    /// <summary>Caffe's <c>SolverParameter.SolverMode</c>.</summary>
    public static readonly EnumDescriptor<SolverMode> SolverModeEnum = new(
        ("CPU", SolverMode.Cpu),
        ("GPU", SolverMode.Gpu));

    /// <summary>Caffe's <c>SolverParameter</c>: the fields of the SGD solver.</summary>
    public static readonly MessageDescriptor<SolverParameter> SolverParameterMessage = new MessageDescriptor<SolverParameter>("SolverParameter", () => new())
        .Scalar("net", ScalarKinds.String, m => m.Net, (m, v) => m.Net = v)
        .Message("net_param", NetParameterMessage, m => m.NetParam, (m, v) => m.NetParam = v)
        .Repeated("test_net", ScalarKinds.String, m => m.TestNet)
        .RepeatedMessage("test_net_param", NetParameterMessage, m => m.TestNetParam)
        .Repeated("test_iter", ScalarKinds.Int32, m => m.TestIter)
        .Scalar("test_interval", ScalarKinds.Int32, m => m.TestInterval, (m, v) => m.TestInterval = v)
        .Scalar("test_compute_loss", ScalarKinds.Bool, m => m.TestComputeLoss, (m, v) => m.TestComputeLoss = v)
        .Scalar("test_initialization", ScalarKinds.Bool, m => m.TestInitialization, (m, v) => m.TestInitialization = v)
        .Scalar("base_lr", ScalarKinds.Float, m => m.BaseLr, (m, v) => m.BaseLr = v)
        .Scalar("display", ScalarKinds.Int32, m => m.Display, (m, v) => m.Display = v)
        .Scalar("average_loss", ScalarKinds.Int32, m => m.AverageLoss, (m, v) => m.AverageLoss = v)
        .Scalar("max_iter", ScalarKinds.Int32, m => m.MaxIter, (m, v) => m.MaxIter = v)
        .Scalar("iter_size", ScalarKinds.Int32, m => m.IterSize, (m, v) => m.IterSize = v)
        .Scalar("lr_policy", ScalarKinds.String, m => m.LrPolicy, (m, v) => m.LrPolicy = v)
        .Scalar("gamma", ScalarKinds.Float, m => m.Gamma, (m, v) => m.Gamma = v)
        .Scalar("power", ScalarKinds.Float, m => m.Power, (m, v) => m.Power = v)
        .Scalar("momentum", ScalarKinds.Float, m => m.Momentum, (m, v) => m.Momentum = v)
        .Scalar("weight_decay", ScalarKinds.Float, m => m.WeightDecay, (m, v) => m.WeightDecay = v)
        .Scalar("regularization_type", ScalarKinds.String, m => m.RegularizationType, (m, v) => m.RegularizationType = v)
        .Scalar("stepsize", ScalarKinds.Int32, m => m.Stepsize, (m, v) => m.Stepsize = v)
        .Repeated("stepvalue", ScalarKinds.Int32, m => m.Stepvalue)
        .Scalar("clip_gradients", ScalarKinds.Float, m => m.ClipGradients, (m, v) => m.ClipGradients = v)
        .Scalar("snapshot", ScalarKinds.Int32, m => m.Snapshot, (m, v) => m.Snapshot = v)
        .Scalar("snapshot_prefix", ScalarKinds.String, m => m.SnapshotPrefix, (m, v) => m.SnapshotPrefix = v)
        .Scalar("snapshot_after_train", ScalarKinds.Bool, m => m.SnapshotAfterTrain, (m, v) => m.SnapshotAfterTrain = v)
        .Scalar("solver_mode", SolverModeEnum, m => m.SolverMode, (m, v) => m.SolverMode = v)
        .Scalar("random_seed", ScalarKinds.Int64, m => m.RandomSeed, (m, v) => m.RandomSeed = v)
        .Scalar("type", ScalarKinds.String, m => m.Type, (m, v) => m.Type = v);

    /// <summary>Reads a parsed LayerParameter body.</summary>
    /// <exception cref="TextFormatException">An unknown field, a non-repeated field given twice, or a bad value.</exception>
    public static LayerParameter ReadLayerParameter(TextMessage message) => LayerParameterMessage.Read(message);
}
