using System.Globalization;
using Crema.Net;
using Crema.Parameters;

namespace Crema.Solvers;

/// <summary>One output element of a test net, averaged over the test's forward passes.</summary>
/// <param name="BlobName">The output blob's name.</param>
/// <param name="Index">The element's index in the blob (Caffe numbers outputs across blobs; see <see cref="SolverTestResult"/>).</param>
/// <param name="Value">The mean over the <c>test_iter</c> passes.</param>
/// <param name="LossWeight">The blob's loss weight in the test net (0 for outputs that are not losses).</param>
public sealed record SolverTestScore(string BlobName, int Index, double Value, double LossWeight);

/// <summary>What one test of one test net gave.</summary>
/// <param name="NetIndex">Which test net (0 is the first).</param>
/// <param name="Iteration">The solver's <see cref="SgdSolver{T}.Iter"/> when it ran.</param>
/// <param name="Passes">The forward passes averaged (<c>test_iter</c>).</param>
/// <param name="Loss">The net's weighted loss averaged over the passes, when <c>test_compute_loss</c> is on; else null.</param>
/// <param name="Scores">Every element of every output blob, in Caffe's order ("Test net output #k").</param>
public sealed record SolverTestResult(int NetIndex, int Iteration, int Passes, double? Loss, IReadOnlyList<SolverTestScore> Scores)
{
    /// <summary>The mean of output <paramref name="blobName"/> (its first element), e.g. "accuracy".</summary>
    /// <exception cref="KeyNotFoundException">No such output.</exception>
    public double this[string blobName] =>
        Scores.FirstOrDefault(s => s.BlobName == blobName)?.Value
        ?? throw new KeyNotFoundException($"test net #{NetIndex} has no output '{blobName}'; its outputs are {string.Join(", ", Scores.Select(s => s.BlobName).Distinct())}");
}

/// <summary>The test nets: built in the TEST phase, sharing the trained layers' weights, run every <c>test_interval</c>.</summary>
public sealed partial class SgdSolver<T>
{
    private readonly List<Net<T>> testNets = [];

    /// <summary>
    /// The test nets, in Caffe's order: those of <c>test_net_param</c>, then of <c>test_net</c> (files), then as many
    /// built from the training net's definition (<c>net_param</c> or <c>net</c>) in the TEST phase as <c>test_iter</c>
    /// has entries left. Each shares the weights of the layers of the same name in <see cref="Net"/>.
    /// </summary>
    public IReadOnlyList<Net<T>> TestNets => testNets;

    /// <summary>The results of the last <see cref="TestAll"/>, one per test net (empty before the first test).</summary>
    public IReadOnlyList<SolverTestResult> LastTestResults { get; private set; } = [];

    /// <summary>Tests every test net (<see cref="Test"/>) and logs the results in Caffe's format.</summary>
    public IReadOnlyList<SolverTestResult> TestAll()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var results = new List<SolverTestResult>(testNets.Count);
        for (int i = 0; i < testNets.Count; i++)
        {
            results.Add(Test(i));
        }

        LastTestResults = results;
        return results;
    }

    /// <summary>
    /// Runs test net <paramref name="netIndex"/> forward <c>test_iter</c> times and averages each element of each
    /// output blob (and, with <c>test_compute_loss</c>, the loss) over the passes, in double. Logs
    /// <c>Iteration N, Testing net (#i)</c> and one <c>Test net output #k: name = value</c> line per element, with
    /// <c>(* weight = loss)</c> after loss outputs, as Caffe does. Reads the outputs back on the GPU engine.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="netIndex"/> is not a test net.</exception>
    public SolverTestResult Test(int netIndex)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(netIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(netIndex, testNets.Count);
        Log(string.Create(CultureInfo.InvariantCulture, $"Iteration {Iter}, Testing net (#{netIndex})"));
        var net = testNets[netIndex];
        int passes = Param.TestIter[netIndex];
        var (loss, scores) = TestPasses.Average(net, passes);
        double? meanLoss = null;
        if (Param.TestComputeLoss)
        {
            meanLoss = loss;
            Log($"Test loss: {Net<T>.Number(T.CreateChecked(loss))}");
        }

        for (int k = 0; k < scores.Count; k++)
        {
            var (name, _, mean, weight) = scores[k];
            string lossText = weight == 0
                ? ""
                : $" (* {Net<T>.Number(T.CreateChecked(weight))} = {Net<T>.Number(T.CreateChecked(weight * mean))} loss)";
            Log(string.Create(CultureInfo.InvariantCulture, $"    Test net output #{k}: {name} = {Net<T>.Number(T.CreateChecked(mean))}{lossText}"));
        }

        return new SolverTestResult(netIndex, Iter, passes, meanLoss, scores);
    }

    // Whether iteration Iter starts with a test (Caffe: every test_interval, and at 0 only with test_initialization).
    private bool TestDue() =>
        Param.TestInterval > 0 && testNets.Count > 0 && Iter % Param.TestInterval == 0 && (Iter > 0 || Param.TestInitialization);

    // Builds the test nets (see TestNets) and shares the trained weights with them; disposes what it built on failure.
    // The training net's definition is asked for (a file parse, when the solver names a file) only when a test net is
    // built from it.
    private void CreateTestNets(Func<NetParameter?> trainDefinition)
    {
        var definitions = new List<NetParameter>(Param.TestNetParam);
        foreach (string file in Param.TestNet)
        {
            definitions.Add(NetParameter.ParseFile(file));
        }

        if (Param.TestIter.Count > definitions.Count)
        {
            var generic = trainDefinition()
                ?? throw new ArgumentException(
                    $"test_iter has {Param.TestIter.Count} entries but only {definitions.Count} test nets are given and the solver names no net to build the others from");
            while (definitions.Count < Param.TestIter.Count)
            {
                definitions.Add(generic);
            }
        }

        foreach (var definition in definitions)
        {
            var net = new Net<T>(definition, Phase.Test, logger);
            testNets.Add(net);
            net.ShareTrainedLayersWith(Net);
        }
    }

    // The training net's definition as the solver names it (net_param, else the net file), or null.
    private NetParameter? TrainDefinition() =>
        Param.NetParam ?? (Param.Net.Length > 0 ? NetParameter.ParseFile(Param.Net) : null);
}
