using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Crema.Bench.Train;

/// <summary>
/// "syncs/step": host synchronisations per training step, measured by the row's setup over its warm-up steps
/// (<see cref="HostSyncRecord"/>). "-" on the CPU engine and where no record was written. The benchmark's own wait at
/// the end of an invocation is not counted. Shown only when the summary has rows that write records.
/// </summary>
public sealed class HostSyncsColumn : IColumn
{
    /// <summary>The one instance.</summary>
    public static HostSyncsColumn Instance { get; } = new();

    /// <inheritdoc/>
    public string Id => nameof(HostSyncsColumn);

    /// <inheritdoc/>
    public string ColumnName => "syncs/step";

    /// <inheritdoc/>
    public string Legend =>
        "Host waits for the device (CudaContext.Synchronize) per SgdSolver step over the setup's warm-up steps; - on the CPU";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 1;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(IsTrainStep);

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (!IsTrainStep(benchmarkCase)
            || benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == TrainStepTrafficAttribute.BatchParameter)?.Value is not int batch)
        {
            return "-";
        }

        var record = HostSyncRecord.Read(benchmarkCase.Descriptor.Type.Name, benchmarkCase.Descriptor.WorkloadMethod.Name, batch);
        return record?.PerStep is double perStep ? perStep.ToString("0.##", CultureInfo.InvariantCulture) : "-";
    }

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        GetValue(summary, benchmarkCase);

    /// <inheritdoc/>
    public override string ToString() => ColumnName;

    private static bool IsTrainStep(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.Type.GetCustomAttribute<TrainStepTrafficAttribute>() is not null;
}
