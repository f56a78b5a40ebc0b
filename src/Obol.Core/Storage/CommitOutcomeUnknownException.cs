using Obol.Core.Errors;

namespace Obol.Core.Storage;

/// <summary>
/// The database did not answer a COMMIT: the unit of work may or may not be stored. Never retried blindly, since that
/// could apply it twice; a request with an Idempotency-Key finds out by being sent again with the same key (its record
/// committed or rolled back with the work).
/// </summary>
public sealed class CommitOutcomeUnknownException(Exception inner) : ProblemException(503, "commit_outcome_unknown", "Outcome unknown",
    "The database connection failed while committing, so whether the request was applied is not known. Send it again with the same Idempotency-Key, or look it up before repeating it.")
{
    public Exception Cause { get; } = inner;
}
