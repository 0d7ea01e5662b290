namespace Crema.Parameters;

/// <summary>Caffe's <c>Phase</c>: which pass a net is built for (text format: <c>TRAIN</c>, <c>TEST</c>).</summary>
public enum Phase
{
    /// <summary>Training (<c>TRAIN</c>).</summary>
    Train = 0,

    /// <summary>Testing (<c>TEST</c>).</summary>
    Test = 1,
}

/// <summary>
/// Caffe's <c>LossParameter.NormalizationMode</c> (text format: <c>FULL</c>, <c>VALID</c>, <c>BATCH_SIZE</c>,
/// <c>NONE</c>); the numbers are Caffe's and cross the C ABI as they are.
/// </summary>
public enum NormalizationMode
{
    /// <summary>Divide by every position, ignored ones included: outer · inner.</summary>
    Full = 0,

    /// <summary>Divide by the number of positions whose label is not ignored (Caffe's default).</summary>
    Valid = 1,

    /// <summary>Divide by the batch size: outer.</summary>
    BatchSize = 2,

    /// <summary>Do not normalize.</summary>
    None = 3,
}
