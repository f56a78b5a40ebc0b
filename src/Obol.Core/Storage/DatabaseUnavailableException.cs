using System.Data.Common;
using Obol.Core.Errors;

namespace Obol.Core.Storage;

/// <summary>
/// PostgreSQL stayed unreachable (down, starting up, shutting down, in recovery) for the whole
/// <see cref="DatabaseOptions.UnavailableRetryWindow"/>: the read or unit of work that needed it did not run, or ran
/// and rolled back. Nothing of it was applied, so sending the request again is safe. A database error to the code around
/// it (background loops log it and carry on); 503 <c>database_unavailable</c> with <c>Retry-After</c> to an API caller.
/// </summary>
public sealed class DatabaseUnavailableException(Exception cause)
    : DbException("The database is unavailable (down, starting up, shutting down or in recovery).", cause)
{
    public const string Code = "database_unavailable";

    public ProblemException Problem { get; } = new(503, Code, "Database unavailable",
        "The database is restarting or cannot be reached, and the step of this request that needed it was not applied. Send the request again after the Retry-After interval (with the same Idempotency-Key, if it had one).");
}
