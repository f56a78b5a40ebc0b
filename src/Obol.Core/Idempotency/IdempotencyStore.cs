using System.Data.Common;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Obol.Core.Errors;
using Obol.Core.Storage;

namespace Obol.Core.Idempotency;

public sealed record RequestFingerprint(string Method, string Path, string BodyHash);

public sealed record StoredResponse(int Status, string? ContentType, string? Location, byte[] Body);

public abstract record IdempotencyClaim
{
    private IdempotencyClaim()
    {
    }

    /// <summary>This request owns the key; its effects must commit together with <see cref="IdempotencyStore.CompleteAsync"/>.</summary>
    public sealed record Begun(string LockToken) : IdempotencyClaim;

    /// <summary>The same request completed before: answer with its stored response.</summary>
    public sealed record Replay(StoredResponse Response) : IdempotencyClaim;

    /// <summary>The key was used for a different method, path or body.</summary>
    public sealed record Mismatch : IdempotencyClaim;

    /// <summary>Another request with this key is still running.</summary>
    public sealed record InProgress : IdempotencyClaim;
}

public sealed class IdempotencyOptions
{
    /// <summary>
    /// How long a started request holds its key before another may take it over (it crashed or hung). A fallback: a claim
    /// whose holder node is certainly dead, or whose request gave up, is taken over before.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long completed responses are kept; api.md promises at least 24 hours.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    public static IEnumerable<string> Problems(IdempotencyOptions options) =>
        Configuration.ModuleOptions.Positive("Lease", options.Lease)
            .Concat(options.Retention < TimeSpan.FromHours(24) ? [$"Retention must be at least 1.00:00:00 (the API promises a day), not {options.Retention}."] : []);
}

/// <summary>
/// Idempotency records in the style of Stripe's keys: a short transaction claims the key, the request's own
/// transaction stores the response next to its effects, and only the holder of the claim's lock token may
/// complete it, so two requests can never both commit effects under one key. A started claim blocks the key while
/// its lease runs and its holder lives: it is taken over once the lease has run out, or at once when its holder node is
/// certainly dead (<see cref="NodeLiveness"/>) or the holder ended its lease itself (<see cref="EndLeaseAsync"/>).
/// </summary>
public sealed partial class IdempotencyStore(
    Database database, TimeProvider clock, IdempotencyOptions options, NodeLiveness liveness, ILogger<IdempotencyStore> logger)
{
    public async Task<IdempotencyClaim> ClaimAsync(string merchantId, string key, RequestFingerprint fingerprint, CancellationToken cancellationToken)
    {
        var token = "";
        try
        {
            return await database.WriteAsync<IdempotencyClaim>(async session =>
            {
                var now = clock.GetUtcNow();
                token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                var holder = liveness.NodeId;
                var inserted = await session.ExecuteAsync(
                    """
                    INSERT INTO idempotency_keys (merchant_id, idempotency_key, request_method, request_path, request_hash, state, lock_token, locked_until, holder_node, created_at)
                    VALUES (@merchantId, @key, @Method, @Path, @BodyHash, 'started', @token, @lockedUntil, @holder, @now)
                    ON CONFLICT (merchant_id, idempotency_key) DO NOTHING
                    """,
                    new { merchantId, key, fingerprint.Method, fingerprint.Path, fingerprint.BodyHash, token, lockedUntil = now + options.Lease, holder, now });
                if (inserted == 1)
                {
                    return new IdempotencyClaim.Begun(token);
                }

                var row = await session.QuerySingleAsync<IdempotencyRow>(
                    """
                    SELECT request_method AS Method, request_path AS Path, request_hash AS BodyHash, state AS State, lock_token AS LockToken,
                           locked_until AS LockedUntil, holder_node AS Holder, response_status AS Status, response_content_type AS ContentType,
                           response_location AS Location, response_body AS Body
                    FROM idempotency_keys WHERE merchant_id = @merchantId AND idempotency_key = @key
                    """,
                    new { merchantId, key });

                if (row.Method != fingerprint.Method || row.Path != fingerprint.Path || row.BodyHash != fingerprint.BodyHash)
                {
                    return new IdempotencyClaim.Mismatch();
                }

                if (row.State == "completed")
                {
                    return new IdempotencyClaim.Replay(new StoredResponse((int)row.Status!.Value, row.ContentType, row.Location, row.Body ?? []));
                }

                if (row.LockedUntil > now && !(row.Holder is { } holderNode && await liveness.IsDeadAsync(session, (int)holderNode)))
                {
                    return new IdempotencyClaim.InProgress();
                }

                // The holder is gone (its node died, its lease ran out, or it ended the lease itself) and its response is not
                // stored. Take over by replacing the lock token: a holder still somewhere can then no longer complete. A
                // completion committing right now holds the row's lock (PostgreSQL): this update waits for it, then finds
                // the row completed and changes nothing, and the caller is told the key is in use; the next try replays.
                var takenOver = await session.ExecuteAsync(
                    """
                    UPDATE idempotency_keys SET lock_token = @token, locked_until = @lockedUntil, holder_node = @holder
                    WHERE merchant_id = @merchantId AND idempotency_key = @key AND state = 'started' AND lock_token = @oldToken
                    """,
                    new { merchantId, key, token, lockedUntil = now + options.Lease, holder, oldToken = row.LockToken });
                return takenOver == 1 ? new IdempotencyClaim.Begun(token) : new IdempotencyClaim.InProgress();
            }, cancellationToken);
        }
        catch (CommitOutcomeUnknownException)
        {
            // The claim may be stored, with no request to run under it: end its lease, so that the next try takes it over.
            await EndLeaseAsync(merchantId, key, token);
            throw;
        }
    }

    /// <summary>Stores the response inside the request's own transaction; fails if the claim was lost.</summary>
    public async Task CompleteAsync(DbSession session, string merchantId, string key, string lockToken, StoredResponse response)
    {
        var updated = await session.ExecuteAsync(
            """
            UPDATE idempotency_keys
            SET state = 'completed', lock_token = NULL, locked_until = NULL, holder_node = NULL, response_status = @Status,
                response_content_type = @ContentType, response_location = @Location, response_body = @Body, completed_at = @now
            WHERE merchant_id = @merchantId AND idempotency_key = @key AND state = 'started' AND lock_token = @lockToken
            """,
            new { response.Status, response.ContentType, response.Location, response.Body, now = clock.GetUtcNow(), merchantId, key, lockToken });
        if (updated != 1)
        {
            throw new IdempotencyClaimLostException();
        }
    }

    /// <summary>Forgets a claim whose request was rejected before any effect, so the key can be used again.</summary>
    public Task ReleaseAsync(string merchantId, string key, string lockToken, CancellationToken cancellationToken) =>
        database.WriteAsync(session => session.ExecuteAsync(
            "DELETE FROM idempotency_keys WHERE merchant_id = @merchantId AND idempotency_key = @key AND state = 'started' AND lock_token = @lockToken",
            new { merchantId, key, lockToken }), cancellationToken);

    /// <summary>
    /// Ends the holder's lease at once and keeps the row, for a request that gave up after claiming without storing its
    /// response, or without knowing whether it did (a COMMIT without an answer). A retry then takes the key over at once:
    /// it replays the stored response if that COMMIT was applied (the row is completed, and this changed nothing), or
    /// runs again. On PostgreSQL this update waits for the row lock of a completion still committing, so it can never
    /// end the lease under a response about to appear. Best effort: on a database error the lease runs out by itself.
    /// </summary>
    public async Task EndLeaseAsync(string merchantId, string key, string lockToken)
    {
        try
        {
            await database.WriteAsync(session => session.ExecuteAsync(
                """
                UPDATE idempotency_keys SET locked_until = @now
                WHERE merchant_id = @merchantId AND idempotency_key = @key AND state = 'started' AND lock_token = @lockToken
                """,
                new { now = clock.GetUtcNow(), merchantId, key, lockToken }), CancellationToken.None);
        }
        catch (DbException exception)
        {
            LogEndLeaseFailed(logger, exception);
        }
    }

    /// <summary>Deletes completed records past retention (and abandoned claims past it too).</summary>
    public Task<int> DeleteExpiredAsync(CancellationToken cancellationToken) =>
        database.WriteAsync(session => session.ExecuteAsync(
            "DELETE FROM idempotency_keys WHERE created_at < @cutoff",
            new { cutoff = clock.GetUtcNow() - options.Retention }), cancellationToken);

    [LoggerMessage(EventId = CoreLogEvents.IdempotencyLeaseNotEnded, Level = LogLevel.Warning, Message = "Could not end an idempotency claim's lease; it runs out by itself")]
    private static partial void LogEndLeaseFailed(ILogger logger, Exception exception);

    private sealed class IdempotencyRow
    {
        public string Method { get; init; } = "";
        public string Path { get; init; } = "";
        public string BodyHash { get; init; } = "";
        public string State { get; init; } = "";
        public string? LockToken { get; init; }
        public DateTimeOffset? LockedUntil { get; init; }
        public long? Holder { get; init; }
        public long? Status { get; init; }
        public string? ContentType { get; init; }
        public string? Location { get; init; }
        public byte[]? Body { get; init; }
    }
}

/// <summary>
/// The claim was taken over (its lease ran out, or its holder looked dead) before this request completed: its unit of
/// work rolls back, and the request that took the key over is the one whose effects count. 409 to an API caller, who
/// gets that request's response by sending the request again.
/// </summary>
public sealed class IdempotencyClaimLostException()
    : InvalidOperationException("The idempotency key was taken over by another request before this one committed.")
{
    public ProblemException Problem { get; } = new(409, "idempotency_key_in_use", "Idempotency key in use",
        "Another request with this Idempotency-Key took it over while this one ran; nothing of this one was applied. Send the request again to get that request's response.");
}
