using System.Globalization;
using Timebox.Tests.Support;

namespace Timebox.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: build/pack.sh makes the library and the .NET tool (its pointer package, the
/// NativeAOT linux-x64 package and the framework-dependent fallback) into a folder, which is the only NuGet source of a
/// fresh console project and of a fresh tool path (offline, and with a packages folder of their own, so nothing cached
/// from an earlier run is taken instead). Slow (it builds everything from scratch, NativeAOT included): filter it out
/// with --filter "Category!=Slow". It runs alone, as the builds take both cores.
/// </summary>
[Collection(SerialCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PackageTests : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(0.5);

    private readonly string _root = Directory.CreateTempSubdirectory("timebox-packages-").FullName;
    private readonly string _feed;
    private readonly string _nugetConfig;
    private readonly string _packages;

    // The program each run starts: a shell and two sleeps, one in the background. The duration is unique to this test,
    // so that a survivor can be recognised by its command line among other tests' processes.
    private readonly string _sleep = string.Create(CultureInfo.InvariantCulture, $"30.{Random.Shared.Next(100_000, 999_999)}");

    public PackageTests()
    {
        _feed = Path.Combine(_root, "feed");
        _nugetConfig = Path.Combine(_root, "nuget.config");
        _packages = Path.Combine(_root, "packages");
        File.WriteAllText(_nugetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{_packages}" /></config>
              <packageSources><clear /><add key="local" value="{_feed}" /></packageSources>
            </configuration>
            """);
    }

    private string SleepTwice => $"sleep {_sleep} & sleep {_sleep}";

    [Fact]
    public async Task The_library_and_the_tool_install_from_a_folder_and_kill_the_whole_tree()
    {
        var pack = await Run(new Command("bash", RepositoryFiles.PathOf("build/pack.sh"), _feed, "linux-x64", "any")
            .WithTimeout(BuildTimeout));
        Assert.True(pack.ExitCode == 0, $"build/pack.sh failed:\n{pack.Stdout.Text}\n{pack.Stderr.Text}");
        var version = Path.GetFileName(Directory.GetFiles(_feed, "Timebox.Cli.any.*.nupkg").Single())["Timebox.Cli.any.".Length..^".nupkg".Length];

        await The_library_times_out_a_tree_in_a_new_console_project(version);
        await The_tool_is_the_native_binary_and_times_out_a_tree(version);
    }

    private async Task The_library_times_out_a_tree_in_a_new_console_project(string version)
    {
        var app = Directory.CreateDirectory(Path.Combine(_root, "app")).FullName;
        File.Copy(_nugetConfig, Path.Combine(app, "nuget.config"));
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup><PackageReference Include="Timebox" Version="{version}" /></ItemGroup>
            </Project>
            """);
        // Kill-on-parent-exit needs the package's native spawn shim (without it Start throws UnsupportedOptionException):
        // its use proves the host found runtimes/linux-x64/native/libtimebox_spawn.so.
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Timebox;
            var result = await new Command("sh", "-c", args[0]).WithTimeout(TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture))).WithKillOnParentExit().RunAsync();
            Console.WriteLine(result.Outcome);
            """);

        var build = await Run(new Command("dotnet", "build", "-c", "Release", "-nologo").WithWorkingDirectory(app)
            .WithEnvironment("NUGET_PACKAGES", _packages).WithTimeout(BuildTimeout));
        Assert.True(build.ExitCode == 0, $"the console project did not build:\n{build.Stdout.Text}\n{build.Stderr.Text}");
        var result = await Run(new Command("dotnet", Path.Combine(app, "bin", "Release", "net10.0", "App.dll"), SleepTwice, Deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture))
            .WithTimeout(TimeSpan.FromMinutes(1)));

        Assert.True(result.ExitCode == 0, $"the console app failed:\n{result.Stdout.Text}\n{result.Stderr.Text}");
        Assert.Equal($"{Outcome.TimedOut}\n", result.Stdout.Text);
        AssertNoSleepSurvives();
    }

    private async Task The_tool_is_the_native_binary_and_times_out_a_tree(string version)
    {
        var tools = Path.Combine(_root, "tools");
        var install = await Run(new Command("dotnet", "tool", "install", "Timebox.Cli", "--version", version, "--tool-path", tools, "--configfile", _nugetConfig)
            .WithEnvironment("NUGET_PACKAGES", _packages).WithTimeout(TimeSpan.FromMinutes(5)));
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed:\n{install.Stdout.Text}\n{install.Stderr.Text}");
        var timebox = Path.Combine(tools, "timebox");
        var target = File.ResolveLinkTarget(timebox, returnFinalTarget: true)?.FullName ?? timebox;
        Assert.EndsWith(Path.Combine("linux-x64", "timebox"), target, StringComparison.Ordinal);

        var versionRun = await Run(new Command(timebox, "--version").WithTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, versionRun.ExitCode);
        Assert.StartsWith($"timebox (Timebox) {version}\n", versionRun.Stdout.Text, StringComparison.Ordinal);

        var started = DateTime.UtcNow;
        var timedOut = await Run(new Command(timebox, Deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture), "sh", "-c", SleepTwice)
            .WithTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal(124, timedOut.ExitCode);
        Assert.InRange(DateTime.UtcNow - started, Deadline, TimeSpan.FromSeconds(10));
        AssertNoSleepSurvives();

        // `timebox batch` execs timebox-batch from the directory of the real binary, in the tool's store.
        var batch = await Run(new Command(timebox, "batch", "--help").WithTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, batch.ExitCode);
        Assert.StartsWith("Usage: timebox batch", batch.Stdout.Text, StringComparison.Ordinal);

        // `timebox worker` execs distributed/timebox-distributed, a framework-dependent program the package carries too.
        var worker = await Run(new Command(timebox, "worker", "--help").WithTimeout(TimeSpan.FromSeconds(60)));
        Assert.True(worker.ExitCode == 0, $"timebox worker --help: {worker.Stderr.Text}");
        Assert.StartsWith("Usage: timebox worker", worker.Stdout.Text, StringComparison.Ordinal);
    }

    private static async Task<RunResult> Run(Command command) =>
        await command.WithEnvironment("DOTNET_CLI_TELEMETRY_OPTOUT", "1").WithEnvironment("DOTNET_NOLOGO", "1").RunAsync();

    /// <summary>Fails if a process of this test's sleeps is alive (not a zombie) 2 s after the run, SIGKILLing it first.</summary>
    private void AssertNoSleepSurvives()
    {
        var settled = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        List<int> survivors;
        do
        {
            survivors = Directory.EnumerateDirectories("/proc")
                .Select(directory => int.TryParse(Path.GetFileName(directory), out var pid) ? pid : 0)
                .Where(pid => pid > 0 && IsOurLiveSleep(pid))
                .ToList();
            if (survivors.Count == 0) return;
            Thread.Sleep(50);
        }
        while (DateTime.UtcNow < settled);
        foreach (var pid in survivors) new Command("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture)).Run();
        Assert.Fail($"still alive after the run: {string.Join(", ", survivors)} (sleep {_sleep})");
    }

    private bool IsOurLiveSleep(int pid)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            if (!commandLine.Contains(_sleep, StringComparison.Ordinal)) return false;
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false; // gone meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
