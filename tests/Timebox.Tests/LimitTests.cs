using System.Globalization;
using Timebox.Tests.Support;

namespace Timebox.Tests;

[Collection(RunCgroups.Collection)]
public sealed class LimitTests : ChildTest
{
    // The .NET runtime maps its code twice through a memory file (W^X) whose size counts against RLIMIT_FSIZE and
    // whose reservations count against RLIMIT_AS; without this a TestChild does not start under a small file size limit.
    private const string NoDoubleMapping = "DOTNET_EnableWriteXorExecute";

    [Fact]
    public async Task A_cpu_spinner_is_stopped_by_its_cpu_limit_with_its_own_outcome()
    {
        var result = await Child("burn-cpu", "60000")
            .WithLimits(new ResourceLimits { MaxCpuTime = TimeSpan.FromSeconds(1), DisableCoreDumps = true })
            .WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.Equal(Outcome.CpuLimitExceeded, result.Outcome);
        Assert.Equal(24, result.Signal); // SIGXCPU
        // rusage splits the scheduler's exact runtime by tick samples: a few ms either side of the limit.
        Assert.InRange(result.Usage!.TotalCpuTime, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_spinner_that_ignores_sigxcpu_is_killed_at_the_hard_limit_and_still_reported_as_cpu_limit()
    {
        var result = await Child("ignore-xcpu", "burn-cpu", "60000")
            .WithLimits(new ResourceLimits { MaxCpuTime = TimeSpan.FromSeconds(1) })
            .WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.Equal(Outcome.CpuLimitExceeded, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
        Assert.False(result.ForcefullyKilled);
        Assert.InRange(result.Usage!.TotalCpuTime, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Check_output_throws_a_resource_limit_exception_carrying_the_result()
    {
        var error = await Assert.ThrowsAsync<ResourceLimitExceededException>(() => Child("print", "partial", "burn-cpu", "60000")
            .WithLimits(new ResourceLimits { MaxCpuTime = TimeSpan.FromSeconds(1), DisableCoreDumps = true })
            .WithTimeout(TimeSpan.FromSeconds(60)).CheckOutputAsync());

        Assert.IsAssignableFrom<CommandFailedException>(error);
        Assert.Equal(Outcome.CpuLimitExceeded, error.Limit);
        Assert.Equal("partial\n", error.StandardOutput);
    }

    [Fact]
    public async Task Writing_past_the_file_size_limit_ends_with_its_own_outcome()
    {
        var path = Path.Combine(Path.GetTempPath(), $"timebox-fsize-{Guid.NewGuid():N}");
        try
        {
            var result = await Child("write-file", path, (2 * 1024 * 1024).ToString(CultureInfo.InvariantCulture))
                .WithEnvironment(NoDoubleMapping, "0")
                .WithLimits(new ResourceLimits { MaxFileSizeBytes = 1024 * 1024, DisableCoreDumps = true })
                .WithTimeout(Generous).RunAsync();

            Assert.Equal(Outcome.FileSizeLimitExceeded, result.Outcome);
            Assert.Equal(25, result.Signal); // SIGXFSZ
            Assert.Equal(1024 * 1024, new FileInfo(path).Length);
            await Assert.ThrowsAsync<ResourceLimitExceededException>(() => Child("write-file", path, "2097152")
                .WithEnvironment(NoDoubleMapping, "0").WithLimits(new ResourceLimits { MaxFileSizeBytes = 1024 * 1024, DisableCoreDumps = true })
                .WithTimeout(Generous).CheckOutputAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_memory_hog_fails_to_allocate_past_its_address_space_limit_and_reports_it()
    {
        // The runtime alone reserves well over a GiB of address space: the limit sits above that, the hog above the limit.
        var limits = new ResourceLimits { MaxAddressSpaceBytes = 3L * 1024 * 1024 * 1024 };
        var hog = await Child("touch-mib", "4096", "print", "survived").WithLimits(limits).WithTimeout(Generous).RunAsync();
        var modest = await Child("touch-mib", "64", "print", "fine").WithLimits(limits).WithTimeout(Generous).RunAsync();

        // RLIMIT_AS leaves no trace the kernel reports: the program says it, and the outcome is its exit.
        Assert.Equal(Outcome.Exited, hog.Outcome);
        Assert.Equal(3, hog.ExitCode);
        Assert.Equal("allocation failed\n", hog.Stderr.Text);
        Assert.True(modest.Succeeded, modest.Stderr.Text);
        Assert.Equal("fine\n", modest.Stdout.Text);
    }

    [Fact]
    public async Task A_memory_hog_is_killed_at_its_memory_limit_and_reports_it()
    {
        Assert.Equal(MemoryLimitMechanism.MemoryCgroup, ResourceLimits.MemoryLimitMechanism);
        // Memory in use, not address space: the runtime's reservations do not count, so a small limit works.
        var limits = new ResourceLimits { MaxMemoryBytes = 128L * 1024 * 1024 };
        var hog = await Child("print", "started", "touch-mib", "1024", "print", "survived").WithLimits(limits).WithTimeout(Generous).RunAsync();
        var error = await Assert.ThrowsAsync<ResourceLimitExceededException>(() => Child("touch-mib", "1024").WithLimits(limits).WithTimeout(Generous).CheckOutputAsync());
        var modest = await Child("touch-mib", "32", "print", "fine").WithLimits(limits).WithTimeout(Generous).RunAsync();

        Assert.Equal(Outcome.MemoryLimitExceeded, hog.Outcome);
        Assert.Equal(Signals.Kill, hog.Signal);
        Assert.False(hog.ForcefullyKilled);
        Assert.Equal("started\n", hog.Stdout.Text);
        Assert.Equal(Outcome.MemoryLimitExceeded, error.Limit);
        Assert.True(modest.Succeeded, modest.Stderr.Text);
        await RunCgroups.AssertNoneLeft();
    }

    [Fact]
    public async Task A_descendant_killed_at_the_memory_limit_gives_the_memory_outcome_even_if_the_main_process_exits_0()
    {
        var result = await Child("spawn", "same-group", "[", "touch-mib", "1024", "]", "sleep", "3000", "print", "main done")
            .WithLimits(new ResourceLimits { MaxMemoryBytes = 128L * 1024 * 1024 }).WithTimeout(Generous).RunAsync();

        Assert.Equal(Outcome.MemoryLimitExceeded, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("main done\n", result.Stdout.Text);
        await RunCgroups.AssertNoneLeft();
    }

    [Fact]
    public async Task A_timeout_wins_over_the_memory_limit()
    {
        var result = await Child("hold").WithLimits(new ResourceLimits { MaxMemoryBytes = 256L * 1024 * 1024 })
            .WithTimeout(TimeSpan.FromMilliseconds(500)).RunAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        await RunCgroups.AssertNoneLeft();
    }

    [Fact]
    public async Task Limits_are_in_force_from_the_first_instruction_and_core_dumps_can_be_turned_off()
    {
        var limits = new ResourceLimits
        {
            MaxOpenFiles = 40,
            MaxFileSizeBytes = 512L * 1024 * 1024,
            MaxAddressSpaceBytes = 8L * 1024 * 1024 * 1024,
            MaxCpuTime = TimeSpan.FromSeconds(30),
            DisableCoreDumps = true,
        };
        var text = await Child("cat", "/proc/self/limits", "open-files", "100").WithLimits(limits).WithTimeout(Generous).CheckOutputAsync();

        Assert.Matches(@"Max cpu time\s+30\s+31\s+seconds", text);
        Assert.Matches(@"Max file size\s+536870912\s+536870912\s+bytes", text);
        Assert.Matches(@"Max core file size\s+0\s+0\s+bytes", text);
        Assert.Matches(@"Max open files\s+40\s+40\s+files", text);
        Assert.Matches(@"Max address space\s+8589934592\s+8589934592\s+bytes", text);
        var opened = int.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], CultureInfo.InvariantCulture);
        Assert.InRange(opened, 1, 39); // the runtime holds a few descriptors itself
    }

    [Fact]
    public async Task A_fork_loop_hits_the_process_limit_and_nothing_of_it_survives()
    {
        Assert.NotEqual(ProcessLimitMechanism.None, ResourceLimits.ProcessLimitMechanism);
        // Tasks, not processes: each TestChild copy is a .NET runtime with about ten threads.
        var result = await Child("fork-loop", "100")
            .WithLimits(new ResourceLimits { MaxProcesses = 80, DisableCoreDumps = true })
            .WithDrainTimeout(TimeSpan.FromMilliseconds(500))
            .WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.Equal(Outcome.Exited, result.Outcome);
        var lines = result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var started = int.Parse(lines[0]["started ".Length..], CultureInfo.InvariantCulture);
        // Copies that could not start their runtime's threads die at once and free their slots, so more than 80 / 10
        // get started; what matters is that the loop was stopped before its own cap.
        Assert.InRange(started, 1, 99);
        Assert.StartsWith("failed: ", lines[1], StringComparison.Ordinal);
        Assert.Contains("Resource temporarily unavailable", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_pids_cgroup_nothing_is_left_behind_even_after_a_normal_exit_and_the_cgroup_goes_away()
    {
        Assert.Equal(ProcessLimitMechanism.PidsCgroup, ResourceLimits.ProcessLimitMechanism);
        var ready = Path.Combine(Path.GetTempPath(), $"timebox-bg-{Guid.NewGuid():N}");
        try
        {
            // A background job that holds none of the pipes: without the cgroup it would outlive the run (README, Known limits).
            var result = await Program("/bin/sh", "-c", "\"$0\" print ready hold >\"$1\" 2>/dev/null </dev/null & while [ ! -s \"$1\" ]; do sleep 0.01; done", Support.TestChild.Path, ready)
                .WithLimits(new ResourceLimits { MaxProcesses = 100 }).WithTimeout(Generous).RunAsync();

            Assert.True(result.Succeeded, result.Stderr.Text);
            Assert.Single(LoggedProcesses);
            // Dispose proves the background job is gone; the cgroup is removed once it has ended.
            var cgroups = Directory.GetParent(File.ReadLines("/proc/self/cgroup").Where(line => line.Split(':')[1].Split(',').Contains("pids"))
                .Select(line => "/sys/fs/cgroup/pids" + line.Split(':')[2].TrimEnd('/') + "/x").Single())!.FullName;
            var deadline = DateTime.UtcNow + Generous;
            while (Directory.GetDirectories(cgroups, $"timebox-{Environment.ProcessId}-*").Length > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the run's pids cgroup was not removed");
                await Task.Delay(10);
            }
        }
        finally
        {
            File.Delete(ready);
        }
    }

    [Fact]
    public void Invalid_limits_are_rejected_when_built()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceLimits { MaxCpuTime = TimeSpan.FromMilliseconds(1500) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceLimits { MaxCpuTime = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceLimits { MaxAddressSpaceBytes = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceLimits { MaxMemoryBytes = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceLimits { MaxProcesses = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceLimits { MaxOpenFiles = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceLimits { MaxFileSizeBytes = -1 });
        Assert.Null(Child("exit", "0").WithLimits(new ResourceLimits()).Limits);
    }

    [Fact]
    public async Task A_timeout_wins_over_the_limits()
    {
        var result = await Child("hold").WithLimits(new ResourceLimits { MaxCpuTime = TimeSpan.FromSeconds(5) })
            .WithTimeout(TimeSpan.FromMilliseconds(500)).WithGracePeriod(TimeSpan.Zero).RunAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
    }
}
