using System.ComponentModel;
using System.Text;
using Timebox.Execution;

namespace Timebox;

/// <summary>
/// An immutable, reusable recipe for running a program: what to run, where, with what environment and input,
/// under which deadline, and where the output goes. Every <c>With…</c> method returns a new command.
/// </summary>
/// <remarks>
/// On timeout or cancellation the termination sequence runs on the program's whole process tree: the
/// termination signal (SIGTERM by default) to its process group and every descendant found, SIGCONT, then after
/// the grace period SIGKILL to whatever is left. The call returns within timeout + grace period + a few
/// milliseconds (at most 100 ms after the SIGKILL for pipes held by an escaped descendant), even when descendants hold the output pipes.
/// </remarks>
public sealed class Command
{
    /// <summary>The grace period used unless <see cref="WithGracePeriod"/> says otherwise: 5 seconds.</summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>The drain period used unless <see cref="WithDrainTimeout"/> says otherwise: 2 seconds.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The spill threshold used unless <see cref="WithSpill"/> says otherwise: 64 MiB per stream.</summary>
    public const long DefaultSpillThreshold = 64L << 20;

    private Dictionary<string, string?> _environmentChanges;

    /// <summary>A command that runs <paramref name="program"/> with the given arguments, passed as they are (no shell).</summary>
    /// <param name="program">A program name searched in PATH, or a path (relative paths are relative to the working directory).</param>
    /// <param name="arguments">The arguments, each passed verbatim.</param>
    public Command(string program, params IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        RejectNul(program, nameof(program));
        Program = ExecProgram = program;
        Arguments = ExecArguments = ValidArguments(arguments);
        _environmentChanges = [];
    }

    private Command(string program, string execProgram, IReadOnlyList<string> arguments, IReadOnlyList<string> execArguments)
    {
        Program = program;
        ExecProgram = execProgram;
        Arguments = arguments;
        ExecArguments = execArguments;
        _environmentChanges = [];
    }

    private Command(Command other)
    {
        Program = other.Program;
        ExecProgram = other.ExecProgram;
        Arguments = other.Arguments;
        ExecArguments = other.ExecArguments;
        InheritedDescriptors = other.InheritedDescriptors;
        WorkingDirectory = other.WorkingDirectory;
        EnvironmentCleared = other.EnvironmentCleared;
        _environmentChanges = other._environmentChanges;
        Stdin = other.Stdin;
        Stdout = other.Stdout;
        Stderr = other.Stderr;
        StderrMerged = other.StderrMerged;
        Timeout = other.Timeout;
        GracePeriod = other.GracePeriod;
        TerminationSignal = other.TerminationSignal;
        DrainTimeout = other.DrainTimeout;
        Encoding = other.Encoding;
        IdleTimeout = other.IdleTimeout;
        IdleProgress = other.IdleProgress;
        SpillThreshold = other.SpillThreshold;
        SpillDirectory = other.SpillDirectory;
        Limits = other.Limits;
        KillOnParentExit = other.KillOnParentExit;
        Containment = other.Containment;
        ContainmentRequested = other.ContainmentRequested;
    }

    /// <summary>A command that runs <paramref name="script"/> through the system shell (<c>/bin/sh -c</c>). Use only when you want a shell.</summary>
    public static Command Shell(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        return OperatingSystem.IsWindows() ? new Command("cmd.exe", "/d", "/c", script) : new Command("/bin/sh", "-c", script);
    }

    /// <summary>
    /// A command that runs <paramref name="program"/> with the given arguments as byte strings, the form POSIX systems
    /// give them: on Linux and macOS they reach the program byte for byte, whether or not they are UTF-8 (as Python's
    /// bytes arguments and Go's strings do), and a program name without a slash is searched in PATH as those bytes.
    /// On Windows, whose command line is UTF-16 text, they are decoded as UTF-8; bytes that are not UTF-8 make the start
    /// fail with <see cref="UnsupportedOptionException"/> rather than reach the program altered.
    /// </summary>
    /// <param name="program">A program name searched in PATH, or a path (relative paths are relative to the working directory).</param>
    /// <param name="arguments">The arguments, each passed verbatim; the arrays are copied.</param>
    /// <remarks><see cref="Program"/> and <see cref="Arguments"/> show the bytes as text, with U+FFFD for bytes that are not UTF-8.</remarks>
    public static Command FromBytes(ReadOnlySpan<byte> program, params IEnumerable<byte[]> arguments)
    {
        if (program.IsEmpty) throw new ArgumentException("The program cannot be empty.", nameof(program));
        RejectNul(program, nameof(program));
        var (shown, exec) = BytesArguments(arguments);
        return new Command(Encoding.UTF8.GetString(program), Platform.Unix.FileSystemText.Decode(program), shown, exec);
    }

    /// <summary>The program to run (for a command made <see cref="FromBytes"/>, its bytes as text, U+FFFD for bytes that are not UTF-8).</summary>
    public string Program { get; }

    /// <summary>The arguments, passed verbatim (for arguments given as bytes, their text, U+FFFD for bytes that are not UTF-8).</summary>
    public IReadOnlyList<string> Arguments { get; private init; }

    /// <summary>The bytes exec receives as the program on Linux and macOS: those given to <see cref="FromBytes"/>, or the UTF-8 of <see cref="Program"/>.</summary>
    public ReadOnlyMemory<byte> ProgramBytes => Platform.Unix.FileSystemText.GetBytes(ExecProgram);

    /// <summary>The bytes exec receives as the arguments on Linux and macOS: those given as bytes, or the UTF-8 of <see cref="Arguments"/>.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> ArgumentBytes => [.. ExecArguments.Select(argument => (ReadOnlyMemory<byte>)Platform.Unix.FileSystemText.GetBytes(argument))];

    // What exec gets, in FileSystemText's form: the same strings as Program and Arguments unless given as bytes.
    internal string ExecProgram { get; }

    internal IReadOnlyList<string> ExecArguments { get; private init; }

    // True when bytes given to FromBytes or WithArgumentBytes are not UTF-8, so the text shown is not what runs.
    internal bool HasNonUtf8Bytes => ExecProgram != Program || !ExecArguments.SequenceEqual(Arguments, StringComparer.Ordinal);

    /// <summary>
    /// Descriptors the program inherits besides its standard streams (see <see cref="WithInheritedDescriptors"/>); empty by default.
    /// </summary>
    public IReadOnlyList<nint> InheritedDescriptors { get; private init; } = [];

    /// <summary>The working directory; null means the host's current directory.</summary>
    public string? WorkingDirectory { get; private init; }

    /// <summary>
    /// True when the program starts from an empty environment (see <see cref="WithClearedEnvironment"/>); false, the default,
    /// when it starts from the host's. <see cref="EnvironmentChanges"/> apply on top either way.
    /// </summary>
    public bool EnvironmentCleared { get; private init; }

    /// <summary>The former, opposite form of <see cref="EnvironmentCleared"/>: true when the program starts from the host's environment.</summary>
    [Obsolete("Use EnvironmentCleared, which is true when this is false.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool InheritEnvironment => !EnvironmentCleared;

    /// <summary>Variables set (non-null value) or removed (null value) on top of the starting environment.</summary>
    public IReadOnlyDictionary<string, string?> EnvironmentChanges => _environmentChanges;

    /// <summary>Where standard input comes from; <see cref="StdinSource.Empty"/> by default.</summary>
    public StdinSource Stdin { get; private init; } = StdinSource.Empty;

    /// <summary>Where standard output goes; <see cref="OutputTarget.Capture"/> by default.</summary>
    public OutputTarget Stdout { get; private init; } = OutputTarget.Capture;

    /// <summary>Where standard error goes; <see cref="OutputTarget.Capture"/> by default.</summary>
    public OutputTarget Stderr { get; private init; } = OutputTarget.Capture;

    /// <summary>
    /// True when standard error is merged into standard output (see <see cref="WithStderrMerged"/>): the same pipe or file,
    /// so the two keep the order the program wrote them in.
    /// </summary>
    public bool StderrMerged { get; private init; }

    /// <summary>The former name of <see cref="StderrMerged"/>.</summary>
    [Obsolete("Use StderrMerged.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool MergeStderrIntoStdout => StderrMerged;

    /// <summary>The deadline, counted from the start; null means none.</summary>
    public TimeSpan? Timeout { get; private init; }

    /// <summary>How long the tree has between the termination signal and SIGKILL; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no SIGKILL.</summary>
    public TimeSpan GracePeriod { get; private init; } = DefaultGracePeriod;

    /// <summary>The signal the termination sequence starts with (SIGTERM by default).</summary>
    public int TerminationSignal { get; private init; } = Signals.Terminate;

    /// <summary>How long output pipes may stay open after the main process exited normally.</summary>
    public TimeSpan DrainTimeout { get; private init; } = DefaultDrainTimeout;

    /// <summary>The encoding used to decode captured text and to encode string input: UTF-8 by default.</summary>
    public Encoding Encoding { get; private init; } = new UTF8Encoding(false);

    /// <summary>The idle timeout: the longest silence on the output streams Timebox reads; null means none.</summary>
    public TimeSpan? IdleTimeout { get; private init; }

    /// <summary>With an idle timeout, the lines that count as progress; null means every byte does.</summary>
    public Func<string, bool>? IdleProgress { get; private init; }

    /// <summary>How many bytes of one captured stream stay in memory before it moves to a temporary file; null means never.</summary>
    public long? SpillThreshold { get; private init; } = DefaultSpillThreshold;

    /// <summary>Where spill files are created; null means the system's temporary directory.</summary>
    public string? SpillDirectory { get; private init; }

    /// <summary>Operating-system limits the program and its descendants run under; null (the default) for none.</summary>
    public ResourceLimits? Limits { get; private init; }

    /// <summary>True when the program's process group dies with the host process (see <see cref="WithKillOnParentExit"/>).</summary>
    public bool KillOnParentExit { get; private init; }

    /// <summary>
    /// How the run's processes are found and killed: <see cref="ContainmentMechanism.ProcessTree"/> (the default: the
    /// process group and the descendants still linked to it) or a full containment mechanism (see <see cref="WithContainment(bool)"/>).
    /// </summary>
    public ContainmentMechanism Containment { get; private init; }

    // Asked for, even where the host offers none (macOS): then the start fails rather than run uncontained.
    internal bool ContainmentRequested { get; private init; }

    /// <summary>
    /// The strongest containment this host offers (what <see cref="WithContainment(bool)"/> picks): the same as
    /// <see cref="HostCapabilities.BestContainment"/>.
    /// </summary>
    /// <exception cref="IOException">The host is out of descriptors and could not look: nothing is remembered, the next use looks again.</exception>
    public static ContainmentMechanism AvailableContainment => HostCapabilities.BestContainment;

    /// <summary>Replaces the arguments.</summary>
    public Command WithArguments(params IEnumerable<string> arguments)
    {
        var valid = ValidArguments(arguments);
        return new(this) { Arguments = valid, ExecArguments = valid };
    }

    /// <summary>Replaces the arguments with byte strings, passed byte for byte on Linux and macOS (see <see cref="FromBytes"/>, also for Windows).</summary>
    public Command WithArgumentBytes(params IEnumerable<byte[]> arguments)
    {
        var (shown, exec) = BytesArguments(arguments);
        return new(this) { Arguments = shown, ExecArguments = exec };
    }

    /// <summary>
    /// Passes these descriptors on to the program, open at the same numbers, besides its standard streams: the shell's
    /// <c>3&gt;file</c>, Python's <c>pass_fds</c>. Every other descriptor of the host stays closed in the program, as always.
    /// On Linux and macOS they are file descriptor numbers (3 and up: 0–2 are set with <see cref="WithStdin"/>,
    /// <see cref="WithStdout"/> and <see cref="WithStderr"/>), whether or not they are close-on-exec in the host; on
    /// Windows they are handle values (<see cref="System.Runtime.InteropServices.SafeHandle.DangerousGetHandle"/>), which
    /// must be inheritable, as Python's <c>handle_list</c> requires. They must stay open in the host until the start returns;
    /// one that is not open (or, on Windows, not inheritable) makes the start fail with <see cref="CommandStartException"/>.
    /// Nothing changes on timeout: the termination sequence does not depend on them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value below 3.</exception>
    public Command WithInheritedDescriptors(params IEnumerable<nint> descriptors)
    {
        ArgumentNullException.ThrowIfNull(descriptors);
        var list = descriptors.Distinct().Order().ToArray();
        if (list.Length > 0 && list[0] < 3)
            throw new ArgumentOutOfRangeException(nameof(descriptors), list[0], "Descriptors 0, 1 and 2 are the standard streams (set with WithStdin, WithStdout and WithStderr); no handle has those values.");
        return new(this) { InheritedDescriptors = list };
    }

    /// <summary>Sets the working directory. It is checked when the command starts (<see cref="WorkingDirectoryException"/>).</summary>
    public Command WithWorkingDirectory(string? directory)
    {
        if (directory is not null) RejectNul(directory, nameof(directory));
        return new(this) { WorkingDirectory = directory };
    }

    /// <summary>Sets (or, with a null value, removes) one environment variable on top of the starting environment.</summary>
    public Command WithEnvironment(string name, string? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('=', StringComparison.Ordinal)) throw new ArgumentException($"Environment variable name '{name}' contains '='.", nameof(name));
        RejectNul(name, nameof(name));
        if (value is not null) RejectNul(value, nameof(value));
        return new(this) { _environmentChanges = new(_environmentChanges) { [name] = value } };
    }

    /// <summary>Sets or removes several environment variables (null value removes).</summary>
    public Command WithEnvironment(IEnumerable<KeyValuePair<string, string?>> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return variables.Aggregate(this, (command, pair) => command.WithEnvironment(pair.Key, pair.Value));
    }

    /// <summary>Starts the program from an empty environment plus the variables set with <see cref="WithEnvironment(string, string?)"/> (true), or from the host's (false).</summary>
    public Command WithClearedEnvironment(bool cleared = true) => new(this) { EnvironmentCleared = cleared };

    /// <summary>Sets where standard input comes from.</summary>
    public Command WithStdin(StdinSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new(this) { Stdin = source };
    }

    /// <summary>Sets where standard output goes.</summary>
    public Command WithStdout(OutputTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(this) { Stdout = target };
    }

    /// <summary>Sets where standard error goes (ignored while standard error is merged into standard output).</summary>
    public Command WithStderr(OutputTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(this) { Stderr = target };
    }

    /// <summary>Sends standard error into the standard output pipe (<c>2&gt;&amp;1</c>), keeping the order the program wrote in.</summary>
    public Command WithStderrMerged(bool merged = true) => new(this) { StderrMerged = merged };

    /// <summary>
    /// Sets the deadline, counted from the start. When it passes, the termination sequence runs on the whole tree
    /// and the run ends with <see cref="Outcome.TimedOut"/>. Null or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> removes it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or negative.</exception>
    public Command WithTimeout(TimeSpan? timeout)
    {
        if (timeout == System.Threading.Timeout.InfiniteTimeSpan) timeout = null;
        if (timeout is { } value && value <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), value, "The timeout must be positive (use null for none).");
        return new(this) { Timeout = timeout };
    }

    /// <summary>
    /// Sets how long the tree has between the termination signal and SIGKILL. Zero kills at once.
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> never sends SIGKILL: after a timeout or a cancellation the call
    /// then returns only once the tree has ended by itself and closed its output pipes (or <see cref="RunningProcess.Kill"/> is called).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative (other than <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>).</exception>
    public Command WithGracePeriod(TimeSpan grace)
    {
        if (grace < TimeSpan.Zero && grace != System.Threading.Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(grace), grace, "The grace period cannot be negative (use Timeout.InfiniteTimeSpan for no SIGKILL).");
        return new(this) { GracePeriod = grace };
    }

    /// <summary>Sets the signal the termination sequence starts with (for example <see cref="Signals.Interrupt"/>).</summary>
    public Command WithTerminationSignal(int signal)
    {
        if (signal is < 1 or > Signals.Max) throw new ArgumentOutOfRangeException(nameof(signal), signal, "Not a signal number.");
        return new(this) { TerminationSignal = signal };
    }

    /// <summary>
    /// Sets how long, after the main process exited by itself, descendants may keep the output pipes open.
    /// When it passes, those descendants (the rest of the process tree) are killed, the call returns, and
    /// <see cref="RunResult.OutputIncomplete"/> is true. The deadline still bounds the whole call.
    /// </summary>
    public Command WithDrainTimeout(TimeSpan drain)
    {
        if (drain < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(drain), drain, "The drain timeout cannot be negative.");
        return new(this) { DrainTimeout = drain };
    }

    /// <summary>
    /// Sets an idle timeout: when the output streams Timebox reads (every target but a lone Inherit, Discard or file)
    /// produce nothing for <paramref name="idle"/>, the termination sequence runs on the whole tree and the run ends with
    /// <see cref="Outcome.IdleTimedOut"/> (the ffmpeg-hang case). With <paramref name="isProgress"/>, only lines it accepts
    /// count as activity (a line ends at <c>\n</c>, <c>\r\n</c> or a lone <c>\r</c>, so progress bars count); it is called on
    /// Timebox's event loop and must be fast. Time during which a slow consumer holds the output back is not silence.
    /// Null or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> removes it. The deadline, if any, still applies.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or negative.</exception>
    public Command WithIdleTimeout(TimeSpan? idle, Func<string, bool>? isProgress = null)
    {
        if (idle == System.Threading.Timeout.InfiniteTimeSpan) idle = null;
        if (idle is { } value && value <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(idle), value, "The idle timeout must be positive (use null for none).");
        return new(this) { IdleTimeout = idle, IdleProgress = idle is null ? null : isProgress };
    }

    /// <summary>
    /// Sets when captured output moves from memory to a temporary file: past <paramref name="thresholdBytes"/> per stream
    /// (null: never, everything stays in memory). The file is created in <paramref name="directory"/> (default: the system's
    /// temporary directory) without a visible name, so it vanishes when the result is disposed, and even if the host crashes.
    /// The result reads the same either way. A directory given here is checked at the start by creating (and closing) a spill
    /// file: one that does not exist, is not a directory or takes no file (read-only, full) fails the start with
    /// <see cref="OutputTargetException"/>. When spilling fails during the run (the disk fills up), the tree is killed at once and
    /// the call throws <see cref="CommandOutputException"/>, whose result holds every byte captured until then.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A threshold that is not positive.</exception>
    public Command WithSpill(long? thresholdBytes, string? directory = null)
    {
        if (thresholdBytes is { } threshold) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threshold, nameof(thresholdBytes));
        if (directory is not null) RejectNul(directory, nameof(directory));
        return new(this) { SpillThreshold = thresholdBytes, SpillDirectory = directory };
    }

    /// <summary>Sets the encoding used to decode output text and encode string input.</summary>
    public Command WithEncoding(Encoding encoding)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        return new(this) { Encoding = encoding };
    }

    /// <summary>
    /// Sets resource limits (CPU time, memory, address space, processes, open files, file size, core dumps), in force before the
    /// program's first instruction; null or an empty <see cref="ResourceLimits"/> removes them. A CPU or file size limit
    /// that ends the main process gives <see cref="Outcome.CpuLimitExceeded"/> or <see cref="Outcome.FileSizeLimitExceeded"/>, an
    /// OOM kill at the memory limit <see cref="Outcome.MemoryLimitExceeded"/>;
    /// the deadline still applies as usual, and on timeout the termination sequence runs whatever the limits.
    /// Limits that this host cannot enforce make the start fail with <see cref="UnsupportedOptionException"/>.
    /// </summary>
    public Command WithLimits(ResourceLimits? limits) => new(this) { Limits = limits is { IsEmpty: false } ? limits : null };

    /// <summary>
    /// Makes the command die with the host: when the host process ends for any reason, SIGKILL included, the main process
    /// and every member of its process group are killed (Linux: the parent-death signal, set in the child before exec
    /// from a thread that lives as long as the host, plus a small guardian process that kills the group when the host's
    /// end closes its pipe). Descendants that left the process group (setsid, setpgid) are not reached. While the host
    /// lives nothing changes: timeouts and the termination sequence work as always. Needs the native spawn shim, or the
    /// start fails with <see cref="UnsupportedOptionException"/>.
    /// </summary>
    public Command WithKillOnParentExit(bool kill = true) => new(this) { KillOnParentExit = kill };

    /// <summary>
    /// Turns full containment on (with <see cref="AvailableContainment"/>) or off. A contained run owns every process it
    /// starts, wherever it goes: on timeout or cancellation the termination sequence also reaches descendants that called
    /// setsid, changed their process group or double-forked, even after their parent died; and when the run ends, however
    /// it ends (a normal exit included, after the drain period if they hold the output pipes), whatever is left of it is
    /// killed with SIGKILL, so no background process outlives the run. Off by default: nothing changes on the host then.
    /// </summary>
    /// <remarks>The start fails with <see cref="UnsupportedOptionException"/> where the host offers none (macOS).</remarks>
    public Command WithContainment(bool contain = true) =>
        new(this) { Containment = contain ? HostCapabilities.BestContainment : ContainmentMechanism.ProcessTree, ContainmentRequested = contain };

    /// <summary>
    /// Contains the run with <paramref name="mechanism"/> (see <see cref="WithContainment(bool)"/>);
    /// <see cref="ContainmentMechanism.ProcessTree"/> turns containment off. A mechanism this host lacks makes the start
    /// fail with <see cref="UnsupportedOptionException"/>.
    /// </summary>
    public Command WithContainment(ContainmentMechanism mechanism)
    {
        if (!Enum.IsDefined(mechanism)) throw new ArgumentOutOfRangeException(nameof(mechanism), mechanism, "Not a containment mechanism.");
        return new(this) { Containment = mechanism, ContainmentRequested = mechanism != ContainmentMechanism.ProcessTree };
    }

    /// <summary>
    /// Runs the command to the end and returns what happened. Never throws for a non-zero exit, a timeout or a
    /// cancellation (see <see cref="RunResult.Outcome"/>); throws <see cref="CommandStartException"/> when it cannot start.
    /// Canceling <paramref name="cancellationToken"/> while it runs runs the termination sequence and ends with <see cref="Outcome.Canceled"/>.
    /// </summary>
    /// <remarks>
    /// What the program gets from the host (environment, working directory, program lookup, output files) is read during
    /// the call. The spawn itself, which waits for the program to load, moves to a thread-pool thread when the pool has
    /// other work waiting, so that many runs start side by side; runs started one after another may then begin in either order.
    /// </remarks>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the call: nothing was started.</exception>
    /// <exception cref="CommandOutputException">The output could not be kept or delivered (a full disk under the spill file, a
    /// failing stream target); the tree was killed, and the exception's result holds the status and the output captured until then.</exception>
    public async Task<RunResult> RunAsync(CancellationToken cancellationToken = default)
    {
        await using var process = await Launcher.StartOnThreadPool(this, cancellationToken).ConfigureAwait(false);
        process.StandardInput?.Dispose();
        return await process.Completion.ConfigureAwait(false);
    }

    /// <summary>
    /// The blocking form of <see cref="RunAsync"/>. The calling thread, which waits anyway, drives the run itself (unless the
    /// command sets resource limits, containment or kill-on-parent-exit, which keep to the shared loop thread): no hand-off between threads.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the call: nothing was started.</exception>
    /// <exception cref="CommandOutputException">As for <see cref="RunAsync"/>.</exception>
    public RunResult Run(CancellationToken cancellationToken = default) => Launcher.Run(this, cancellationToken);

    /// <summary>
    /// Runs the command and returns its standard output as text when it exits with code 0. Otherwise throws, with the
    /// result and all output captured so far: <see cref="CommandTimeoutException"/> on timeout (<see cref="CommandIdleTimeoutException"/>
    /// on an idle timeout), <see cref="CommandOutputLimitException"/> when a capture limit stopped it,
    /// <see cref="CommandCanceledException"/> on cancellation, <see cref="CommandFailedException"/> for a non-zero exit or a signal (its subclass <see cref="ResourceLimitExceededException"/> when a resource limit ended it).
    /// A token canceled before the call throws a plain <see cref="OperationCanceledException"/> and starts nothing; output that could
    /// not be kept throws <see cref="CommandOutputException"/>, as for <see cref="RunAsync"/>.
    /// </summary>
    public async Task<string> CheckOutputAsync(CancellationToken cancellationToken = default) =>
        Check(await RunAsync(cancellationToken).ConfigureAwait(false), cancellationToken);

    /// <summary>The blocking form of <see cref="CheckOutputAsync"/>.</summary>
    public string CheckOutput(CancellationToken cancellationToken = default) => Check(Run(cancellationToken), cancellationToken);

    /// <summary>
    /// Starts the command and returns a handle at once (process id, stdin, waits, signals). The deadline, if any, runs
    /// from now; disposing the handle terminates whatever is still running.
    /// </summary>
    /// <exception cref="CommandStartException">The program, working directory or a redirection is unusable; nothing ran.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the call: nothing was started.</exception>
    public RunningProcess Start(CancellationToken cancellationToken = default) => Launcher.Start(this, cancellationToken);

    /// <summary>The command line, each argument quoted for a POSIX shell when needed.</summary>
    public override string ToString() => string.Join(' ', Arguments.Prepend(Program).Select(Quote));

    /// <summary>
    /// The command line as exception messages show it: <see cref="ToString"/> when short, else its start and its whole
    /// length, so that a command line of megabytes (the kind exec refuses as too long) does not become the message.
    /// </summary>
    internal string ForMessage()
    {
        const int Shown = 1000;
        var line = ToString();
        if (line.Length <= Shown) return line;
        var cut = char.IsHighSurrogate(line[Shown - 1]) ? Shown - 1 : Shown;
        return $"{line[..cut]}… ({Encoding.UTF8.GetByteCount(line)} bytes)";
    }

    private static string Check(RunResult result, CancellationToken token)
    {
        if (!result.Succeeded)
        {
            throw result.Outcome switch
            {
                Outcome.TimedOut => new CommandTimeoutException(result),
                Outcome.IdleTimedOut => new CommandIdleTimeoutException(result),
                Outcome.OutputLimitExceeded => new CommandOutputLimitException(result),
                Outcome.Canceled => new CommandCanceledException(result, token),
                Outcome.CpuLimitExceeded or Outcome.FileSizeLimitExceeded or Outcome.MemoryLimitExceeded => new ResourceLimitExceededException(result),
                _ => new CommandFailedException(result),
            };
        }
        using (result) return result.Stdout.Text;
    }

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string[] ValidArguments(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var list = arguments.ToArray();
        foreach (var argument in list)
        {
            ArgumentNullException.ThrowIfNull(argument, nameof(arguments));
            RejectNul(argument, nameof(arguments));
        }
        return list;
    }

    private static (string[] Shown, string[] Exec) BytesArguments(IEnumerable<byte[]> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var list = arguments.ToArray();
        foreach (var argument in list)
        {
            ArgumentNullException.ThrowIfNull(argument, nameof(arguments));
            RejectNul(argument, nameof(arguments));
        }
        return ([.. list.Select(argument => Encoding.UTF8.GetString(argument))], [.. list.Select(argument => Platform.Unix.FileSystemText.Decode(argument))]);
    }

    private static void RejectNul(ReadOnlySpan<byte> value, string parameter)
    {
        if (value.Contains((byte)0))
            throw new ArgumentException("A NUL byte cannot be passed to a program.", parameter);
    }

    private static void RejectNul(string value, string parameter)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("A NUL character cannot be passed to a program.", parameter);
    }
}
