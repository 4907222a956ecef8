namespace Timebox;

/// <summary>The command could not be started; nothing ran. Subclasses say exactly why.</summary>
public class CommandStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CommandStartException(Command command, string message, Exception? inner = null)
        : base($"{message} (command: {command.ForMessage()})", inner) => Command = command;

    /// <summary>The command that failed to start.</summary>
    public Command Command { get; }
}
