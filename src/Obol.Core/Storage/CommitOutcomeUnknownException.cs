using System.Data.Common;
using Obol.Core.Errors;

namespace Obol.Core.Storage;

/// <summary>
/// The database did not answer a COMMIT: the unit of work may or may not be stored. Never retried blindly, since that
/// could apply it twice. A database error to the code around it (background loops that log and carry on catch it as
/// one; an Idempotency-Key's claim is kept for it, with its lease ended), and 503 <c>commit_outcome_unknown</c> to an API
/// caller, who finds out by sending the request again with the same key: it replays the stored response or runs.
/// </summary>
public sealed class CommitOutcomeUnknownException(Exception cause)
    : DbException("The database connection failed while committing; whether the work was stored is not known.", cause)
{
    public ProblemException Problem { get; } = new(503, "commit_outcome_unknown", "Outcome unknown",
        "The database connection failed while committing, so whether the request was applied is not known. Send it again with the same Idempotency-Key (it gets the stored response if the request was applied and runs otherwise; while the key is answered as in use, try again later: its claim runs out within two minutes), or look the result up before repeating it.");
}
