using Crema.Parameters;

namespace Crema.Tests.Solvers;

/// <summary>SolverParameter: Caffe's field names in text format, and the checks with line:column errors.</summary>
public class SolverParameterTests
{
    [Test]
    public void Parse_ReadsEveryField()
    {
        var p = SolverParameter.Parse("""
            net: "train.prototxt"
            test_iter: 100 test_iter: 5
            test_interval: 500
            base_lr: 0.01
            display: 20
            average_loss: 10
            max_iter: 4000
            iter_size: 2
            lr_policy: "multistep"
            gamma: 0.1
            power: 0.75
            stepsize: 1000
            stepvalue: 1000 stepvalue: 3000
            momentum: 0.9
            weight_decay: 0.0005
            regularization_type: "L2"
            clip_gradients: 35
            snapshot: 1000
            snapshot_prefix: "snapshots/lenet"
            random_seed: 42
            solver_mode: CPU
            type: "SGD"
            """);

        Assert.Multiple(() =>
        {
            Assert.That(p.Net, Is.EqualTo("train.prototxt"));
            Assert.That(p.TestIter, Is.EqualTo(new[] { 100, 5 }));
            Assert.That(p.TestInterval, Is.EqualTo(500));
            Assert.That(p.BaseLr, Is.EqualTo(0.01f));
            Assert.That(p.Display, Is.EqualTo(20));
            Assert.That(p.AverageLoss, Is.EqualTo(10));
            Assert.That(p.MaxIter, Is.EqualTo(4000));
            Assert.That(p.IterSize, Is.EqualTo(2));
            Assert.That(p.LrPolicy, Is.EqualTo("multistep"));
            Assert.That(p.Gamma, Is.EqualTo(0.1f));
            Assert.That(p.Power, Is.EqualTo(0.75f));
            Assert.That(p.Stepsize, Is.EqualTo(1000));
            Assert.That(p.Stepvalue, Is.EqualTo(new[] { 1000, 3000 }));
            Assert.That(p.Momentum, Is.EqualTo(0.9f));
            Assert.That(p.WeightDecay, Is.EqualTo(0.0005f));
            Assert.That(p.ClipGradients, Is.EqualTo(35f));
            Assert.That(p.Snapshot, Is.EqualTo(1000));
            Assert.That(p.SnapshotPrefix, Is.EqualTo("snapshots/lenet"));
            Assert.That(p.RandomSeed, Is.EqualTo(42L));
            Assert.That(p.SolverMode, Is.EqualTo(SolverMode.Cpu));
            Assert.That(p.Type, Is.EqualTo("SGD"));
        });

        var again = SolverParameter.Parse(p.ToText());
        Assert.That(again.ToText(), Is.EqualTo(p.ToText()));
    }

    [Test]
    public void Defaults_AreCaffes()
    {
        var p = SolverParameter.Parse("");
        Assert.Multiple(() =>
        {
            Assert.That(p.IterSize, Is.EqualTo(1));
            Assert.That(p.ClipGradients, Is.EqualTo(-1f));
            Assert.That(p.AverageLoss, Is.EqualTo(1));
            Assert.That(p.RandomSeed, Is.EqualTo(-1L));
            Assert.That(p.RegularizationType, Is.EqualTo("L2"));
            Assert.That(p.SolverMode, Is.EqualTo(SolverMode.Gpu));
            Assert.That(p.Type, Is.EqualTo("SGD"));
            Assert.That(p.NetParam, Is.Null);
        });
    }

    [Test]
    public void NetParam_IsReadInline()
    {
        var p = SolverParameter.Parse("""
            base_lr: 1
            net_param { name: "tiny" layer { name: "in" type: "Input" top: "x" } }
            """);
        Assert.That(p.NetParam, Is.Not.Null);
        Assert.That(p.NetParam!.Name, Is.EqualTo("tiny"));
        Assert.That(p.NetParam.Layer.Single().Type, Is.EqualTo("Input"));
    }

    [TestCase("base_lr: 1\nregularization_type: \"L1\"", 2, 1, "L1 regularization is not supported")]
    [TestCase("base_lr: 1\n  regularization_type: \"L3\"", 2, 3, "unknown regularization_type 'L3'")]
    [TestCase("lr_policy: \"cosine\"", 1, 1, "unknown lr_policy 'cosine'")]
    [TestCase("base_lr: 1 lr_policy: \"step\"", 1, 1, "stepsize > 0")]
    [TestCase("lr_policy: \"poly\" max_iter: 0", 1, 19, "max_iter > 0")]
    [TestCase("stepvalue: 5 stepvalue: 3", 1, 14, "stepvalue must increase")]
    [TestCase("iter_size: 0", 1, 1, "iter_size must be at least 1")]
    [TestCase("average_loss: 0", 1, 1, "average_loss must be at least 1")]
    [TestCase("type: \"Adam\"", 1, 1, "only SGD")]
    [TestCase("display: -1", 1, 1, "display must not be negative")]
    [TestCase("solver_mode: TPU", 1, 14, "TPU")]
    [TestCase("base_lr: \"fast\"", 1, 10, "base_lr")]
    [TestCase("momentum: 0.9\nmomentun: 0.9", 2, 1, "did you mean 'momentum'")]
    [TestCase("base_lr: 1 base_lr: 2", 1, 12, "given twice")]
    [TestCase("net_param { layer { name: \"x\" } ", 1, 33, "")]
    public void BadText_Throws_WithLineAndColumn(string text, int line, int column, string mentions)
    {
        var e = Assert.Throws<TextFormatException>(() => SolverParameter.Parse(text, "solver.prototxt"));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Message, Does.StartWith($"solver.prototxt:{line}:{column}: "));
            Assert.That(e.Message, Does.Contain(mentions));
        });
    }

    [Test]
    public void ParseFile_NamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"crema-solver-{Guid.NewGuid():N}.prototxt");
        try
        {
            File.WriteAllText(path, "base_lr: 0.5\nregularization_type: \"L1\"\n");
            var e = Assert.Throws<TextFormatException>(() => SolverParameter.ParseFile(path));
            Assert.That(e!.Message, Does.StartWith($"{path}:2:1: "));

            File.WriteAllText(path, "base_lr: 0.5\n");
            Assert.That(SolverParameter.ParseFile(path).BaseLr, Is.EqualTo(0.5f));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Validate_ThrowsArgumentException_NamingTheField()
    {
        var p = new SolverParameter { RegularizationType = "L1" };
        Assert.That(p.Validate, Throws.ArgumentException.With.Message.Contains("regularization_type"));
    }
}
