namespace Timebox.Tests;

/// <summary>A token canceled before the call: every way in throws OperationCanceledException and spawns nothing, as .NET's own APIs do.</summary>
public sealed class CancelBeforeStartTests : ChildTest, IDisposable
{
    private const int SignalThatDoesNotEndIt = 28; // SIGWINCH: ignored by default

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("timebox-cancel-before-start-");

    [Theory]
    [InlineData("RunAsync")]
    [InlineData("Run")]
    [InlineData("CheckOutputAsync")]
    [InlineData("CheckOutput")]
    [InlineData("Start")]
    public async Task A_token_canceled_before_the_call_throws_and_starts_nothing(string way)
    {
        var marker = Path.Combine(_scratch.FullName, "started");
        // Were it spawned, the termination signal would not stop it: it would log its pid and write the marker.
        var command = Child("write-file", marker, "1").WithTerminationSignal(SignalThatDoesNotEndIt);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        var token = cancel.Token;
        Func<Task> call = way switch
        {
            "RunAsync" => () => command.RunAsync(token),
            "Run" => () => Task.FromResult(command.Run(token)),
            "CheckOutputAsync" => () => command.CheckOutputAsync(token),
            "CheckOutput" => () => Task.FromResult(command.CheckOutput(token)),
            _ => () => Task.FromResult(command.Start(token)),
        };

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(call);

        Assert.IsNotType<CommandCanceledException>(error);
        Assert.Equal(token, error.CancellationToken);
        Assert.Empty(LoggedProcesses);
        Assert.False(File.Exists(marker));
    }

    void IDisposable.Dispose()
    {
        _scratch.Delete(recursive: true);
        Dispose();
    }
}
