using Crema.IO;

namespace Crema.Tests.IO;

/// <summary>
/// <see cref="DataLocation"/>: a relative path resolves against the layer's root, else <see cref="DataLocation.Root"/>
/// (--data), else CREMA_DATA, else the Debian package's folder; an absolute path is kept. Restores the process-wide
/// settings after each test.
/// </summary>
[NonParallelizable]
public class DataLocationTests
{
    private string? savedRoot;
    private string? savedEnvironment;

    [SetUp]
    public void Save()
    {
        savedRoot = DataLocation.Root;
        savedEnvironment = Environment.GetEnvironmentVariable(DataLocation.EnvironmentVariable);
        DataLocation.Root = null;
        Environment.SetEnvironmentVariable(DataLocation.EnvironmentVariable, null);
    }

    [TearDown]
    public void Restore()
    {
        DataLocation.Root = savedRoot;
        Environment.SetEnvironmentVariable(DataLocation.EnvironmentVariable, savedEnvironment);
    }

    [Test]
    public void Default_IsTheDebianPackagesFolder()
    {
        var path = DataLocation.Resolve("train-images-idx3-ubyte.gz");

        Assert.That(path.FullPath, Is.EqualTo("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"));
        Assert.That((path.Source, path.Root, path.Given), Is.EqualTo((DataRootSource.Default, DataLocation.DefaultRoot, "train-images-idx3-ubyte.gz")));
    }

    [Test]
    public void ResolutionOrder_IsLayerRoot_ThenDataFlag_ThenEnvironment_ThenDefault()
    {
        Environment.SetEnvironmentVariable("CREMA_DATA", "/env");
        Assert.That(DataLocation.Resolve("a.gz").FullPath, Is.EqualTo(Path.Combine("/env", "a.gz")));
        Assert.That(DataLocation.Resolve("a.gz").Source, Is.EqualTo(DataRootSource.Environment));

        DataLocation.Root = "/flag";
        Assert.That(DataLocation.Resolve("a.gz").FullPath, Is.EqualTo(Path.Combine("/flag", "a.gz")));
        Assert.That(DataLocation.Resolve("a.gz").Source, Is.EqualTo(DataRootSource.Process));

        var fromLayer = DataLocation.Resolve("sub/a.gz", "/layer");
        Assert.That(fromLayer.FullPath, Is.EqualTo(Path.Combine("/layer", "sub/a.gz")));
        Assert.That(fromLayer.Source, Is.EqualTo(DataRootSource.Layer));
    }

    [Test]
    public void BlankSettings_AreUnset()
    {
        DataLocation.Root = "  ";
        Environment.SetEnvironmentVariable("CREMA_DATA", " ");

        Assert.That(DataLocation.Root, Is.Null);
        Assert.That(DataLocation.Resolve("a.gz", layerRoot: "").Source, Is.EqualTo(DataRootSource.Default));
    }

    [Test]
    public void AbsolutePath_IsKept_WhateverTheRoots()
    {
        DataLocation.Root = "/flag";
        string absolute = Path.Combine(Path.GetTempPath(), "x.gz");

        var path = DataLocation.Resolve(absolute, "/layer");

        Assert.That((path.FullPath, path.Source, path.Root), Is.EqualTo((absolute, DataRootSource.AbsolutePath, (string?)null)));
    }

    [Test]
    public void RelativeRoot_IsRelativeToTheWorkingDirectory()
    {
        var path = DataLocation.Resolve("a.gz", "data");

        Assert.That(path.FullPath, Is.EqualTo(Path.Combine("data", "a.gz")));
    }

    [Test]
    public void MissingMessage_SaysWhereItLooked_AndHowToGetTheData()
    {
        Environment.SetEnvironmentVariable("CREMA_DATA", "/env");

        string message = DataLocation.MissingDataMessage(DataLocation.Resolve("t10k-labels-idx1-ubyte.gz"));

        Assert.That(message, Is.EqualTo(
            "/env/t10k-labels-idx1-ubyte.gz not found (\"t10k-labels-idx1-ubyte.gz\" under CREMA_DATA=\"/env\"). " +
            "Install the Debian package dataset-fashion-mnist (sudo apt install dataset-fashion-mnist), or point " +
            "--data / CREMA_DATA / idx_data_param.root at a folder holding the IDX files."));
    }

    [Test]
    public void Layer_FindsItsFiles_ThroughTheDataFlagAndTheEnvironment()
    {
        string folder = IdxBytes.NewTempFolder();
        try
        {
            IdxBytes.Write(folder, "img", IdxBytes.UByteFile([2, 1, 1], [5, 6]));
            var param = new Crema.Parameters.LayerParameter { Type = "IdxData", IdxDataParam = { Images = "img", BatchSize = 2 } };

            Environment.SetEnvironmentVariable("CREMA_DATA", folder);
            Assert.That(Load(param), Is.EqualTo(new float[] { 5, 6 }), "CREMA_DATA");

            Environment.SetEnvironmentVariable("CREMA_DATA", "/nowhere");
            DataLocation.Root = folder;
            Assert.That(Load(param), Is.EqualTo(new float[] { 5, 6 }), "DataLocation.Root");

            DataLocation.Root = "/nowhere";
            var e = Assert.Throws<FileNotFoundException>(() => Load(param));
            Assert.That(e!.Message, Does.Contain("/nowhere/img not found (\"img\" under the data folder \"/nowhere\" (--data / DataLocation.Root))"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static float[] Load(Crema.Parameters.LayerParameter param)
    {
        using var layer = Crema.Layers.LayerRegistry<float>.Create(param);
        using var top = new Crema.Core.Blob<float>();
        layer.SetUp([], [top]);
        layer.Forward([], [top]);
        return top.GetData();
    }
}
