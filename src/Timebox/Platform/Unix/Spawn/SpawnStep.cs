namespace Timebox.Platform.Unix;

/// <summary>
/// The step of a spawn that failed (as Native/timebox_spawn.c numbers them): the same errno names another culprit in
/// each, ENOENT from chdir being the working directory and from exec the program.
/// </summary>
internal enum SpawnStep
{
    /// <summary>exec refused the program (or, for a script, its interpreter).</summary>
    Exec = 0,

    /// <summary>The child could not enter the working directory.</summary>
    WorkingDirectory = 1,

    /// <summary>The child's other set-up before exec: its process group, descriptors, limits, cgroups.</summary>
    ChildSetup = 2,

    /// <summary>No child was made (clone itself failed: no descriptor for its pidfd, no process left under a limit).</summary>
    Clone = 3,
}
