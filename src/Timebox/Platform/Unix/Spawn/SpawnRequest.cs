namespace Timebox.Platform.Unix;

/// <summary>
/// One spawn, as <see cref="PosixSpawner.Spawn"/> takes it (the managed side of struct spawn_request in
/// Native/timebox_spawn.c): built once by the start, passed down by reference; a layer that adds to it (the confinement's
/// limits, cgroups, guardian and marker) makes a changed copy with <c>with</c>.
/// </summary>
internal readonly struct SpawnRequest(Command command, string path, string? workingDirectory, EnvironmentBlock? environment,
    int stdin, int stdout, int stderr, SpawnOptions options)
{
    /// <summary>The command: its exec arguments, its descriptors to pass on, and the name its start errors carry.</summary>
    public Command Command { get; } = command;

    /// <summary>The resolved program file (see <see cref="ProgramResolver"/>).</summary>
    public string Path { get; } = path;

    /// <summary>The checked full path the child enters before exec; null to stay in the host's.</summary>
    public string? WorkingDirectory { get; } = workingDirectory;

    /// <summary>
    /// The child's environment; null passes this process's C environment on as it is: only right for a host that never
    /// changes its environment from .NET, whose changes the C environment does not see (the CLI).
    /// </summary>
    public EnvironmentBlock? Environment { get; init; } = environment;

    /// <summary>The child's 0, 1 and 2: descriptors dup2'd onto them, or -1 to keep the host's.</summary>
    public int Stdin { get; } = stdin;

    /// <inheritdoc cref="Stdin"/>
    public int Stdout { get; } = stdout;

    /// <inheritdoc cref="Stdin"/>
    public int Stderr { get; } = stderr;

    /// <summary>How the child starts beyond its program and descriptors.</summary>
    public SpawnOptions Options { get; init; } = options;
}
