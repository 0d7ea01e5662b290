namespace Crema.Tests.Cli;

/// <summary>
/// Base of the CPU command-line fixtures: a fresh <see cref="LayerCommandWorkspace"/> per test, deleted after it, and
/// the CPU engine selected again (a command may have switched to the GPU).
/// </summary>
public abstract class CliWorkspaceTests
{
    private protected LayerCommandWorkspace W { get; private set; } = null!;

    [SetUp]
    public void CreateWorkspace() => W = new LayerCommandWorkspace();

    [TearDown]
    public void CleanUp()
    {
        Engine.UseCpu();
        W.Dispose();
    }
}
