using System.Collections.Immutable;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Crema.Bench;

/// <summary>
/// BenchmarkDotNet's default order, but each class's rows form their own logical group, also in a joined table
/// (<c>--join</c>). Otherwise joined rows are grouped by parameters alone and, say, Axpy.Cpu's Ratio would be
/// computed against Asum.Cpu; with the class in the key every op's Ratio is against its own CPU baseline.
/// </summary>
public sealed class OpOrderer : IOrderer
{
    private readonly IOrderer inner = DefaultOrderer.Instance;

    /// <inheritdoc/>
    public bool SeparateLogicalGroups => inner.SeparateLogicalGroups;

    /// <inheritdoc/>
    public string GetLogicalGroupKey(ImmutableArray<BenchmarkCase> allBenchmarksCases, BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.Type.FullName + "/" + inner.GetLogicalGroupKey(allBenchmarksCases, benchmarkCase);

    /// <inheritdoc/>
    public IEnumerable<BenchmarkCase> GetExecutionOrder(ImmutableArray<BenchmarkCase> benchmarksCase, IEnumerable<BenchmarkLogicalGroupRule>? order = null) =>
        inner.GetExecutionOrder(benchmarksCase, order);

    /// <inheritdoc/>
    public IEnumerable<BenchmarkCase> GetSummaryOrder(ImmutableArray<BenchmarkCase> benchmarksCases, Summary summary) =>
        inner.GetSummaryOrder(benchmarksCases, summary);

    /// <inheritdoc/>
    public string? GetHighlightGroupKey(BenchmarkCase benchmarkCase) => inner.GetHighlightGroupKey(benchmarkCase);

    /// <inheritdoc/>
    public IEnumerable<IGrouping<string, BenchmarkCase>> GetLogicalGroupOrder(IEnumerable<IGrouping<string, BenchmarkCase>> logicalGroups,
        IEnumerable<BenchmarkLogicalGroupRule>? order = null) =>
        inner.GetLogicalGroupOrder(logicalGroups, order);
}
