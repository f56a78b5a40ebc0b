using System.Data.Common;
using Obol.Core.Errors;

namespace Obol.Core.Storage;

/// <summary>
/// The database did not answer a COMMIT: the unit of work may or may not be stored. Never retried blindly, since that
/// could apply it twice. A database error to the code around it (background loops that log and carry on catch it as
/// one; an Idempotency-Key's claim is not released for it), and 503 <c>commit_outcome_unknown</c> to an API caller,
/// who finds out by sending the request again with the same key once the claim's lease has run out.
/// </summary>
public sealed class CommitOutcomeUnknownException(Exception cause)
    : DbException("The database connection failed while committing; whether the work was stored is not known.", cause)
{
    public ProblemException Problem { get; } = new(503, "commit_outcome_unknown", "Outcome unknown",
        "The database connection failed while committing, so whether the request was applied is not known. Send it again with the same Idempotency-Key (after about two minutes, when its claim runs out), or look the result up before repeating it.");
}
