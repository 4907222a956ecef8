using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Timebox.Platform.Unix;

/// <summary>
/// Containment without cgroups (<see cref="ContainmentMechanism.Subreaper"/>). While such runs are alive this process is a
/// child subreaper (PR_SET_CHILD_SUBREAPER), so an orphan anywhere below it is reparented to it instead of to init and
/// stays findable. Which run an adopted orphan belongs to is told by a marker in its environment: the run's child gets
/// <see cref="MarkerVariable"/>=HOSTPID.N, which every process it starts inherits unless it replaces its environment.
/// An orphan with the run's marker, and its descendants, are the run's.
/// </summary>
/// <remarks>
/// A subreaper must reap what it adopts, and must do it by pid: waitpid(-1) would take the exit status of the runtime's
/// own System.Diagnostics.Process children, which makes the runtime abort. So only processes known to be the run's are
/// reaped: every process the run's sweeps held (by pidfd, once all of them have ended, when no more can be reparented
/// here), and the zombies of the run's process group (by pid, while the unreaped leader keeps its group id unique).
/// </remarks>
internal sealed partial class SubreaperContainment : IContainment
{
    /// <summary>The environment variable that marks a run's processes.</summary>
    public const string MarkerVariable = "TIMEBOX_RUN_ID";

    private const int PrSetChildSubreaper = 36;
    private static readonly Lock Gate = new();
    private static int _liveRuns, _sequence;

    private readonly string _runId;
    private readonly byte[] _marker;
    private bool _left;

    private SubreaperContainment(string runId)
    {
        _runId = runId;
        _marker = Encoding.UTF8.GetBytes($"{MarkerVariable}={runId}\0");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nint argument2, nint argument3, nint argument4, nint argument5);

    /// <summary>Makes this process a subreaper (if it is not one for another run already) and a marker for one run.</summary>
    /// <exception cref="IOException">The kernel refused (before Linux 3.4).</exception>
    public static SubreaperContainment Begin()
    {
        lock (Gate)
        {
            if (_liveRuns == 0 && prctl(PrSetChildSubreaper, 1, 0, 0, 0) != 0)
                throw Libc.Failure("prctl(PR_SET_CHILD_SUBREAPER)");
            _liveRuns++;
        }
        return new SubreaperContainment(string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessId}.{Interlocked.Increment(ref _sequence)}"));
    }

    /// <summary><paramref name="environment"/> with this run's marker in place of any inherited one.</summary>
    public EnvironmentBlock Mark(EnvironmentBlock environment) => environment.With(MarkerVariable, _runId);

    /// <inheritdoc/>
    public IEnumerable<int> Members(ProcessTable table) => table.LiveChildrenOf(Environment.ProcessId).Where(HasMarker);

    /// <inheritdoc/>
    public int KillAll() => 0;

    /// <summary>
    /// The run has ended and its leader is not reaped yet: kills what is left of the run, reaps what of it was adopted
    /// here, and stops being a subreaper unless another run still needs it. Loop thread only.
    /// </summary>
    public void End(EventLoop loop, ProcessTree tree, int leader)
    {
        tree.Kill();
        // No process list read at all means nothing but the leader was ever created, so there is nothing else to reap.
        if (tree.LastTable is { } table) ReapGroupZombies(table, leader);
        var held = tree.TakeHeld();
        var pending = held.Count;
        foreach (var process in held)
        {
            loop.Watch(process.Pidfd, _ =>
            {
                loop.Unwatch(process.Pidfd);
                if (--pending > 0) return;
                // Every one has ended, so none can be reparented here any more: those that are ours now get reaped.
                foreach (var ended in held)
                {
                    ended.TryReap();
                    ended.Release();
                }
            });
        }
        Leave();
    }

    /// <summary>This run no longer needs the subreaper: the last one to leave turns it off (also when its spawn failed).</summary>
    public void Leave()
    {
        if (_left) return;
        _left = true;
        lock (Gate)
        {
            if (--_liveRuns == 0) prctl(PrSetChildSubreaper, 0, 0, 0, 0);
        }
    }

    // Processes of the run that ended before any sweep saw them (a background job of a shell that has exited) are
    // zombies here, and only their process group tells whose they are.
    private static void ReapGroupZombies(ProcessTable table, int leader)
    {
        foreach (var pid in table.ZombieChildrenOf(Environment.ProcessId, group: leader))
        {
            if (pid == leader) continue;
            var pidfd = Libc.PidfdOpen(pid);
            if (pidfd < 0) continue;
            ExitStatus.Reap(pidfd);
        }
    }

    private bool HasMarker(int pid)
    {
        byte[] environment;
        try
        {
            environment = File.ReadAllBytes($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        // A whole entry: at the start, or right after the NUL that ends the one before.
        for (var offset = 0; environment.AsSpan(offset).IndexOf(_marker) is var index and >= 0; offset += index + 1)
            if (offset + index == 0 || environment[offset + index - 1] == 0) return true;
        return false;
    }
}
