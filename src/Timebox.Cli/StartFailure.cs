namespace Timebox.Cli;

/// <summary>Why the command could not be started, in execvp's words (NotFound: exit status 127, otherwise 126).</summary>
internal sealed record StartFailure(string Reason, bool NotFound)
{
    public static readonly StartFailure ProgramNotFound = new("No such file or directory", NotFound: true);

    public static StartFailure From(CommandStartException exception) => exception switch
    {
        ProgramNotFoundException => ProgramNotFound,
        ProgramNotExecutableException => new("Permission denied", NotFound: false),
        _ => new(exception.Message, NotFound: false),
    };
}
