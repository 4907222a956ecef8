namespace Timebox.Tests.Support;

/// <summary>
/// An empty temporary directory to run system programs in (shells, sleeps, the samples): on disposal it proves that nothing
/// started with it as working directory is still alive (<see cref="Proc.KillSurvivorsIn"/>), then deletes it.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("timebox-scratch-").FullName;

    public void Dispose()
    {
        try
        {
            Assert.Empty(Proc.KillSurvivorsIn(Path));
        }
        finally
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
