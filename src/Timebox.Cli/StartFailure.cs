using Timebox.Batch;

namespace Timebox.Cli;

/// <summary>
/// Why the command could not be started, in execvp's words (NotFound: exit status 127, otherwise 126), or, when timebox
/// itself ran out of a resource to start it with (OwnFailure: 125, as GNU timeout's own errors), in the system's.
/// </summary>
internal sealed record StartFailure(string Reason, bool NotFound, bool OwnFailure = false)
{
    public static readonly StartFailure ProgramNotFound = new("No such file or directory", NotFound: true);

    public static StartFailure From(CommandStartException exception) => exception switch
    {
        ProgramNotFoundException => ProgramNotFound,
        ProgramNotExecutableException => new("Permission denied", NotFound: false),
        _ when ResourceExhaustion.Find(exception) is { } errno => new(ResourceExhaustion.Words(errno), NotFound: false, OwnFailure: true),
        _ => new(exception.Message, NotFound: false),
    };
}
