using Crema.Parameters;
using Crema.Solvers;

namespace Crema.Tests.Solvers;

/// <summary>The example net and solver under examples/ parse, run and train (what the README shows).</summary>
public class ExampleTests
{
    [SetUp]
    public void UseCpu() => Engine.UseCpu();

    /// <summary>
    /// The repository root: the first folder above the test binaries that holds Crema.slnx; outside the tree (the
    /// self-contained publish on the GPU machine) the binaries' folder, which holds a copy of examples/.
    /// </summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crema.slnx")))
            {
                return dir.FullName;
            }
        }

        if (Directory.Exists(Path.Combine(AppContext.BaseDirectory, "examples")))
        {
            return AppContext.BaseDirectory;
        }

        throw new DirectoryNotFoundException($"no Crema.slnx above {AppContext.BaseDirectory}, and no examples/ beside it");
    }

    [Test]
    public void MlpExample_Trains_AndItsTestNetReachesFullAccuracy()
    {
        string root = RepositoryRoot();
        string snapshots = Directory.CreateTempSubdirectory("crema-example-").FullName;
        try
        {
            var param = SolverParameter.ParseFile(Path.Combine(root, "examples", "mlp", "solver.prototxt"));
            param.Net = Path.Combine(root, param.Net);
            param.SnapshotPrefix = Path.Combine(snapshots, "mlp");
            var logger = new ListLogger();
            using var solver = new SgdSolver<float>(param, logger);

            solver.Solve();

            var first = logger.Lines.First(l => l.StartsWith("Iteration 0, loss = ", StringComparison.Ordinal));
            Assert.That(solver.Iter, Is.EqualTo(param.MaxIter));
            Assert.That(solver.LastTestResults.Single()["accuracy"], Is.EqualTo(1.0), "every label is class 2");
            Assert.That(solver.LastTestResults.Single()["loss"], Is.LessThan(0.05), first);
            Assert.That(File.Exists(Path.Combine(snapshots, $"mlp_iter_{param.MaxIter}.solverstate")), Is.True);
        }
        finally
        {
            Directory.Delete(snapshots, recursive: true);
        }
    }
}
