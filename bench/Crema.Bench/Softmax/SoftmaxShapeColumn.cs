using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Crema.Bench.Softmax;

/// <summary>
/// "Shape": the logits' shape a softmax row ran on. A case name means different shapes on the CPU and the GPU, so
/// the table says which. Shown only when the summary has softmax rows; other rows show "-".
/// </summary>
public sealed class SoftmaxShapeColumn : IColumn
{
    /// <summary>The one instance.</summary>
    public static SoftmaxShapeColumn Instance { get; } = new();

    /// <inheritdoc/>
    public string Id => nameof(SoftmaxShapeColumn);

    /// <inheritdoc/>
    public string ColumnName => "Shape";

    /// <inheritdoc/>
    public string Legend => "Logits' shape of the case on this row's engine (class axis 1)";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Params;

    /// <inheritdoc/>
    public int PriorityInCategory => 1;

    /// <inheritdoc/>
    public bool IsNumeric => false;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(IsSoftmax);

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        IsSoftmax(benchmarkCase) && SoftmaxTrafficAttribute.ShapeOf(benchmarkCase) is int[] shape
            ? SoftmaxCases.Format(shape)
            : "-";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        GetValue(summary, benchmarkCase);

    /// <inheritdoc/>
    public override string ToString() => ColumnName;

    private static bool IsSoftmax(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.Type.GetCustomAttribute<SoftmaxTrafficAttribute>() is not null;
}
