using Crema.Core;
using Crema.IO;
using Crema.Layers;
using Crema.Parameters;

namespace Crema.Tests.IO;

/// <summary>
/// The real Fashion-MNIST files of the Debian package dataset-fashion-mnist, when installed: shapes and first labels.
/// Reported as skipped, with the reason, when the package is not installed.
/// </summary>
public class FashionMnistDataTests
{
    private static string File(string name) => Path.Combine(DataLocation.DefaultRoot, name);

    [OneTimeSetUp]
    public void RequireTheDataset()
    {
        string[] names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
        var missing = names.Where(n => !System.IO.File.Exists(File(n))).ToList();
        if (missing.Count > 0)
        {
            Assert.Ignore($"dataset-fashion-mnist is not installed (no {string.Join(", ", missing.Select(File))})");
        }
    }

    [Test]
    public void Files_HaveFashionMnistsShapes_AndFirstLabels()
    {
        var trainImages = Idx.Read(File("train-images-idx3-ubyte.gz"));
        var trainLabels = Idx.Read(File("train-labels-idx1-ubyte.gz"));
        var testImages = Idx.Read(File("t10k-images-idx3-ubyte.gz"));
        var testLabels = Idx.Read(File("t10k-labels-idx1-ubyte.gz"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(trainImages.Shape, Is.EqualTo(new[] { 60000, 28, 28 }));
            Assert.That(trainLabels.Shape, Is.EqualTo(new[] { 60000 }));
            Assert.That(testImages.Shape, Is.EqualTo(new[] { 10000, 28, 28 }));
            Assert.That(testLabels.Shape, Is.EqualTo(new[] { 10000 }));
            Assert.That(trainImages.ElementType, Is.EqualTo(IdxElementType.UByte));
            Assert.That(trainLabels[0], Is.EqualTo(9), "the first training item is an ankle boot");
            Assert.That(testLabels[0], Is.EqualTo(9), "so is the first test item");
            Assert.That(trainLabels.Values<byte>().ToArray().Distinct().Order(), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (byte)i)));
        }
    }

    [Test]
    public void Layer_ReadsThemFromTheDefaultFolder()
    {
        var param = new LayerParameter
        {
            Type = "IdxData",
            TransformParam = { Scale = 0.00390625f },
            IdxDataParam = { Images = "t10k-images-idx3-ubyte.gz", Labels = "t10k-labels-idx1-ubyte.gz", BatchSize = 100 },
        };
        string? savedEnvironment = Environment.GetEnvironmentVariable(DataLocation.EnvironmentVariable);
        string? savedRoot = DataLocation.Root;
        Environment.SetEnvironmentVariable(DataLocation.EnvironmentVariable, null);
        DataLocation.Root = null;
        try
        {
            using var layer = (IdxDataLayer<float>)LayerRegistry<float>.Create(param);
            using var data = new Blob<float>();
            using var label = new Blob<float>();
            layer.SetUp([], [data, label]);
            layer.Forward([], [data, label]);

            Assert.That(data.Shape, Is.EqualTo(new[] { 100, 1, 28, 28 }));
            Assert.That(label.Shape, Is.EqualTo(new[] { 100 }));
            Assert.That(label.CpuData[0], Is.EqualTo(9f));
            Assert.That(data.GetData().Max(), Is.InRange(0.5f, 255f / 256));
            Assert.That(layer.ItemCount, Is.EqualTo(10000));
            Assert.That(layer.ImagesPath!.Source, Is.EqualTo(DataRootSource.Default));
        }
        finally
        {
            Environment.SetEnvironmentVariable(DataLocation.EnvironmentVariable, savedEnvironment);
            DataLocation.Root = savedRoot;
        }
    }
}
