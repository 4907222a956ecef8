namespace Timebox.Cli;

/// <summary>
/// The command timebox runs, as GNU timeout would run it: its arguments byte for byte as the caller gave them (the
/// runtime's strings replace bytes that are not UTF-8), and every descriptor timebox inherited open in it (process
/// substitution, a jobserver's pipe, a lock on an inherited descriptor).
/// </summary>
internal static class CliCommand
{
    /// <summary>
    /// The command named by <paramref name="commandArguments"/>, the tail of the runtime's arguments; its program is not
    /// empty. The one place where argv becomes a <see cref="Command"/>.
    /// </summary>
    public static Command Of(IReadOnlyList<string> commandArguments)
    {
        var raw = ProcessStart.LastArguments(commandArguments);
        return Command.FromBytes(raw[0], raw[1..]).WithInheritedDescriptors(ProcessStart.InheritedDescriptors().Select(fd => (nint)fd));
    }
}
