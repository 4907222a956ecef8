using Microsoft.Win32.SafeHandles;

namespace Timebox.Tests;

/// <summary>Command.WithInheritedDescriptors: the descriptors named reach the program at their numbers; every other stays closed.</summary>
public sealed class InheritedDescriptorTests : ChildTest
{

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_passed_descriptor_is_open_in_the_program_at_its_number(bool blocking)
    {
        // .NET opens it close-on-exec, like every descriptor it opens.
        using var file = Scratch(out var path);
        try
        {
            var fd = Fd(file);
            var command = Program("bash", "-c", $"echo hi >&{fd}").WithInheritedDescriptors(fd);

            using var result = blocking ? command.Run() : await command.RunAsync();

            Assert.Equal("", result.Stderr.Text);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal("hi\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Without_the_option_the_descriptor_is_closed()
    {
        using var file = Scratch(out var path);
        File.Delete(path);

        using var result = Program("bash", "-c", $"echo hi >&{Fd(file)}").Run();

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Bad file descriptor", result.Stderr.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_passed_descriptors_are_open_besides_the_standard_streams()
    {
        using var first = Scratch(out var firstPath);
        using var second = Scratch(out var secondPath);
        using var third = Scratch(out var thirdPath);
        foreach (var path in new[] { firstPath, secondPath, thirdPath }) File.Delete(path);

        // ls opens one descriptor of its own (the lowest free one) to read the directory.
        using var result = Program("ls", "/proc/self/fd").WithInheritedDescriptors(Fd(third), Fd(first)).Run();
        var fds = result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();

        Assert.Contains(Fd(first), fds);
        Assert.Contains(Fd(third), fds);
        Assert.DoesNotContain(Fd(second), fds);
        Assert.Subset(new HashSet<int> { 0, 1, 2, 3, Fd(first), Fd(third) }, fds);
    }

    [Fact]
    public void A_descriptor_that_is_not_open_fails_the_start_in_words()
    {
        // Far above any the host has open (a number just closed could be reused at once by a test running alongside).
        const int fd = 999_999;

        var error = Assert.Throws<CommandStartException>(() => Child("print", "ran").WithInheritedDescriptors(fd).Run());

        Assert.Contains($"Descriptor {fd} cannot be passed on: Bad file descriptor", error.Message, StringComparison.Ordinal);
        Assert.Empty(LoggedProcesses);
    }

    [Fact]
    public void The_standard_streams_and_negative_values_are_rejected_when_the_command_is_built()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Command("true").WithInheritedDescriptors(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Command("true").WithInheritedDescriptors(5, -1));
        Assert.Equal([4, 9], new Command("true").WithInheritedDescriptors(9, 4, 9).InheritedDescriptors);
        Assert.Empty(new Command("true").InheritedDescriptors);
    }

    private static int Fd(SafeFileHandle handle) => checked((int)handle.DangerousGetHandle());

    // Deleted while still open: the descriptor keeps the file, and nothing is left behind.
    private static SafeFileHandle Scratch(out string path)
    {
        path = Path.Combine(Path.GetTempPath(), $"timebox-fds-{Guid.NewGuid():N}");
        return File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }
}
