using System.Text;

namespace Timebox.Tests;

/// <summary>Commands made of bytes (Command.FromBytes): POSIX arguments and program names that are not UTF-8 reach exec unchanged.</summary>
public sealed class ByteCommandTests : ChildTest
{
    private static readonly byte[] NotUtf8 = [0xFF, 0xFE, (byte)'A', 0xC3, 0x28, 0xED, 0xA0, 0x80, 0xE2, 0x82];

    [Fact]
    public async Task Arguments_that_are_not_utf8_reach_the_program_byte_for_byte()
    {
        using var result = await Command.FromBytes("printf"u8, "%s"u8.ToArray(), NotUtf8).RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(NotUtf8, result.Stdout.ToArray());
    }

    [Fact]
    public void The_same_arguments_as_text_arrive_as_replacement_characters()
    {
        // What a string command can carry: the reason the byte form exists.
        var text = Encoding.UTF8.GetString(NotUtf8);
        using var result = new Command("printf", "%s", text).Run();

        Assert.NotEqual(NotUtf8, result.Stdout.ToArray());
        Assert.Equal(Encoding.UTF8.GetBytes(text), result.Stdout.ToArray());
    }

    [Fact]
    public void A_program_whose_name_is_not_utf8_is_found_by_path_and_in_PATH()
    {
        var directory = Directory.CreateTempSubdirectory("timebox-bytes-");
        try
        {
            byte[] name = [.. "run-"u8, 0xFF, 0xFE];
            var directoryBytes = Encoding.UTF8.GetBytes(directory.FullName);
            // .NET cannot name such a file; the shell can.
            using (var created = new Command("sh", "-c", "f=\"$1/run-$(printf '\\377\\376')\"; printf '#!/bin/sh\\nprintf %s \"$*\"\\n' > \"$f\"; chmod +x \"$f\"", "sh", directory.FullName).Run())
                Assert.Equal(0, created.ExitCode);

            using var byPath = Command.FromBytes([.. directoryBytes, (byte)'/', .. name], "by"u8.ToArray(), "path"u8.ToArray()).Run();
            using var inPath = Command.FromBytes(name, "in"u8.ToArray(), "PATH"u8.ToArray()).WithEnvironment("PATH", $"/nonexistent:{directory.FullName}").Run();
            var relative = Command.FromBytes([.. "./"u8, .. name]).WithWorkingDirectory(directory.FullName);
            using var relativeResult = relative.Run();

            Assert.Equal("by path", byPath.Stdout.Text);
            Assert.Equal("in PATH", inPath.Stdout.Text);
            Assert.Equal(0, relativeResult.ExitCode);
            // Its UTF-8 text names no file.
            Assert.Throws<ProgramNotFoundException>(() => new Command(Encoding.UTF8.GetString(name)).WithEnvironment("PATH", directory.FullName).Run());
        }
        finally
        {
            // .NET cannot name the file to delete it either.
            using var removed = new Command("rm", "-rf", directory.FullName).Run();
        }
    }

    [Fact]
    public void A_missing_program_that_is_not_utf8_is_not_found_and_shown_with_replacement_characters()
    {
        var error = Assert.Throws<ProgramNotFoundException>(() =>
            Command.FromBytes([.. "timebox-missing-"u8, 0xFF]).WithEnvironment("PATH", "/nonexistent").Run());

        Assert.Equal("timebox-missing-\uFFFD", error.Program);
    }

    [Fact]
    public void The_command_shows_its_bytes_as_text_and_keeps_them_exact()
    {
        var command = Command.FromBytes([.. "tool"u8, 0xFF], NotUtf8, "plain"u8.ToArray());

        Assert.Equal("tool\uFFFD", command.Program);
        Assert.Equal(Encoding.UTF8.GetString(NotUtf8), command.Arguments[0]);
        Assert.Equal("plain", command.Arguments[1]);
        Assert.Equal([.. "tool"u8, 0xFF], command.ProgramBytes.ToArray());
        Assert.Equal(NotUtf8, command.ArgumentBytes[0].ToArray());

        var replaced = command.WithArguments("text");
        Assert.Equal(["text"], replaced.Arguments);
        Assert.Equal("text"u8.ToArray(), replaced.ArgumentBytes[0].ToArray());
        Assert.Equal([.. "tool"u8, 0xFF], replaced.ProgramBytes.ToArray());

        var bytesAgain = new Command("tool").WithArgumentBytes(NotUtf8);
        Assert.Equal(NotUtf8, bytesAgain.ArgumentBytes[0].ToArray());
        Assert.Equal("x\u00e9"u8.ToArray(), new Command("x\u00e9").ProgramBytes.ToArray());
    }

    [Fact]
    public void Nul_bytes_and_an_empty_program_are_rejected_when_the_command_is_built()
    {
        Assert.Throws<ArgumentException>(() => Command.FromBytes([]));
        Assert.Throws<ArgumentException>(() => Command.FromBytes("a\0b"u8));
        Assert.Throws<ArgumentException>(() => Command.FromBytes("printf"u8, [(byte)'a', 0]));
        Assert.Throws<ArgumentException>(() => new Command("printf").WithArgumentBytes([0]));
    }
}
