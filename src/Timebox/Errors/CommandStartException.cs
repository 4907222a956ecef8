namespace Timebox;

/// <summary>The command could not be started; nothing ran. Subclasses say exactly why.</summary>
public class CommandStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CommandStartException(Command command, string message, Exception? inner = null)
        : base($"{message} (command: {command.ForMessage()})", inner)
    {
        Command = command;
        Reason = message;
    }

    /// <summary>The command that failed to start.</summary>
    public Command Command { get; }

    /// <summary>Why, without the command line: for a start of Timebox's own that failed on a run's behalf.</summary>
    internal string Reason { get; }
}
