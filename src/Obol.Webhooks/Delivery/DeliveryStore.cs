using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;

namespace Obol.Webhooks.Delivery;

/// <summary>A delivery taken by this node to send until <see cref="LeasedUntil"/>, with what sending it needs.</summary>
internal sealed record ClaimedDelivery(
    long Id, string EndpointId, string EventId, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset LeasedUntil,
    string Url, string Secret, string? PreviousSecret, DateTimeOffset? PreviousSecretExpiresAt, string Body);

internal enum AttemptOutcome
{
    Succeeded,
    Failed,

    /// <summary>Failed, and the retry window is over: the delivery will not be tried again.</summary>
    GivenUp,
}

/// <summary>What one try of a delivery came to.</summary>
internal sealed record AttemptResult(
    ClaimedDelivery Delivery, DateTimeOffset AttemptedAt, bool Succeeded, int? StatusCode, int LatencyMs, string? ResponseBody, string? Error);

/// <summary>One row of the delivery log.</summary>
internal sealed record DeliveryAttempt
{
    public required string Id { get; init; }
    public required long DeliveryId { get; init; }
    public required string EndpointId { get; init; }
    public required string EventId { get; init; }
    public required int Attempt { get; init; }
    public required DateTimeOffset AttemptedAt { get; init; }
    public required string Outcome { get; init; }
    public int? StatusCode { get; init; }
    public required int LatencyMs { get; init; }
    public string? ResponseBody { get; init; }
    public string? Error { get; init; }
}

/// <summary>The delivery queue and its log. Claims and results are written in batches, each in its own unit of work.</summary>
internal sealed class DeliveryStore(IdGenerator ids)
{
    private const string AttemptColumns = """
        id AS Id, delivery_id AS DeliveryId, endpoint_id AS EndpointId, event_id AS EventId, attempt AS Attempt, attempted_at AS AttemptedAt,
        outcome AS Outcome, status_code AS StatusCode, latency_ms AS LatencyMs, response_body AS ResponseBody, error AS Error
        """;

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries until <paramref name="leaseUntil"/>: pending, not leased by a
    /// node, to an endpoint that is enabled and not among <paramref name="busyEndpoints"/>, and first in line for their
    /// object at their endpoint (no pending delivery of an earlier event of the same object, or of the same event made
    /// earlier). On PostgreSQL rows another node is claiming are skipped (<c>SKIP LOCKED</c>); SQLite has one writer.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(
        DbSession session, DateTimeOffset now, DateTimeOffset leaseUntil, int limit, IReadOnlyCollection<string> busyEndpoints)
    {
        var rows = await session.QueryAsync<ClaimRow>(
            $"""
            SELECT d.id AS Id, d.endpoint_id AS EndpointId, d.event_id AS EventId, d.attempts AS Attempts, d.created_at AS CreatedAt,
                e.url AS Url, e.secret AS Secret, e.previous_secret AS PreviousSecret, e.previous_secret_expires_at AS PreviousSecretExpiresAt,
                ev.body AS Body
            FROM webhook_deliveries d
            JOIN webhook_endpoints e ON e.id = d.endpoint_id
            JOIN events ev ON ev.id = d.event_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND (d.leased_until IS NULL OR d.leased_until <= @now)
              AND NOT e.disabled AND e.deleted_at IS NULL
              AND NOT ({session.InList("d.endpoint_id", "busy")})
              AND NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries p
                  WHERE p.endpoint_id = d.endpoint_id AND p.object_id = d.object_id AND p.status = 'pending'
                    AND (p.object_sequence < d.object_sequence OR (p.object_sequence = d.object_sequence AND p.id < d.id)))
            ORDER BY d.next_attempt_at, d.id
            LIMIT @limit
            {(session.IsPostgres ? "FOR UPDATE OF d SKIP LOCKED" : "")}
            """,
            new { now, limit, busy = session.ListOf(busyEndpoints) });
        if (rows.Count == 0)
        {
            return [];
        }

        await session.ExecuteAsync(
            $"UPDATE webhook_deliveries SET leased_until = @leaseUntil WHERE {session.InList("id", "ids")}",
            new { leaseUntil, ids = session.ListOf(rows.Select(r => r.Id)) });
        return rows.Select(r => new ClaimedDelivery(
            r.Id, r.EndpointId, r.EventId, r.Attempts, r.CreatedAt, leaseUntil, r.Url, r.Secret, r.PreviousSecret, r.PreviousSecretExpiresAt, r.Body)).ToList();
    }

    /// <summary>
    /// Writes what tries came to: each delivery done, given up or due again at its next try (with the lease let go), and a
    /// log row per try. A delivery no longer pending (done meanwhile by a node whose lease had not run out) keeps its state.
    /// </summary>
    public async Task RecordAsync(DbSession session, IReadOnlyList<(AttemptResult Result, AttemptOutcome Outcome, DateTimeOffset? NextAttemptAt)> results)
    {
        var rows = results.Select(r => new ResultRow
        {
            AttemptId = ids.New("wha"),
            DeliveryId = r.Result.Delivery.Id,
            EndpointId = r.Result.Delivery.EndpointId,
            EventId = r.Result.Delivery.EventId,
            Attempt = r.Result.Delivery.Attempts + 1,
            AttemptedAt = r.Result.AttemptedAt,
            Outcome = r.Outcome switch { AttemptOutcome.Succeeded => "succeeded", AttemptOutcome.Failed => "failed", _ => "given_up" },
            Status = r.Outcome switch { AttemptOutcome.Succeeded => "succeeded", AttemptOutcome.Failed => "pending", _ => "failed" },
            NextAttemptAt = r.NextAttemptAt ?? r.Result.AttemptedAt,
            CompletedAt = r.Outcome == AttemptOutcome.Failed ? null : r.Result.AttemptedAt,
            StatusCode = r.Result.StatusCode,
            LatencyMs = r.Result.LatencyMs,
            ResponseBody = r.Result.ResponseBody,
            Error = r.Result.Error,
        }).ToList();

        if (session.IsPostgres)
        {
            await session.ExecuteAsync(
                """
                UPDATE webhook_deliveries d SET status = v.status, attempts = v.attempt, next_attempt_at = v.next_attempt_at,
                    completed_at = v.completed_at, leased_until = NULL
                FROM unnest(@deliveryIds, @statuses, @attempts, @nextAttemptAts, @completedAts)
                    AS v(id, status, attempt, next_attempt_at, completed_at)
                WHERE d.id = v.id AND d.status = 'pending';
                INSERT INTO webhook_delivery_attempts (id, delivery_id, endpoint_id, event_id, attempt, attempted_at, outcome, status_code, latency_ms,
                    response_body, error)
                SELECT * FROM unnest(@attemptIds, @deliveryIds, @endpointIds, @eventIds, @attempts, @attemptedAts, @outcomes, @statusCodes, @latencies,
                    @responseBodies, @errors);
                """,
                new
                {
                    deliveryIds = rows.Select(r => r.DeliveryId).ToArray(),
                    statuses = rows.Select(r => r.Status).ToArray(),
                    attempts = rows.Select(r => r.Attempt).ToArray(),
                    nextAttemptAts = rows.Select(r => r.NextAttemptAt).ToArray(),
                    completedAts = rows.Select(r => r.CompletedAt).ToArray(),
                    attemptIds = rows.Select(r => r.AttemptId).ToArray(),
                    endpointIds = rows.Select(r => r.EndpointId).ToArray(),
                    eventIds = rows.Select(r => r.EventId).ToArray(),
                    attemptedAts = rows.Select(r => r.AttemptedAt).ToArray(),
                    outcomes = rows.Select(r => r.Outcome).ToArray(),
                    statusCodes = rows.Select(r => r.StatusCode).ToArray(),
                    latencies = rows.Select(r => r.LatencyMs).ToArray(),
                    responseBodies = rows.Select(r => r.ResponseBody).ToArray(),
                    errors = rows.Select(r => r.Error).ToArray(),
                });
            return;
        }

        // SQLite runs in-process: one prepared statement per row costs no round trip.
        await session.ExecuteAsync(
            """
            UPDATE webhook_deliveries SET status = @Status, attempts = @Attempt, next_attempt_at = @NextAttemptAt, completed_at = @CompletedAt,
                leased_until = NULL
            WHERE id = @DeliveryId AND status = 'pending'
            """,
            rows);
        await session.ExecuteAsync(
            """
            INSERT INTO webhook_delivery_attempts (id, delivery_id, endpoint_id, event_id, attempt, attempted_at, outcome, status_code, latency_ms,
                response_body, error)
            VALUES (@AttemptId, @DeliveryId, @EndpointId, @EventId, @Attempt, @AttemptedAt, @Outcome, @StatusCode, @LatencyMs, @ResponseBody, @Error)
            """,
            rows);
    }

    /// <summary>Queues <paramref name="eventId"/> again to the given endpoints (a redelivery): new deliveries, behind any pending one of the object.</summary>
    public Task<int> EnqueueAsync(DbSession session, string eventId, IReadOnlyCollection<string> endpointIds, DateTimeOffset now) =>
        session.ExecuteAsync(
            $"""
            INSERT INTO webhook_deliveries (endpoint_id, event_id, object_id, object_sequence, status, attempts, created_at, next_attempt_at)
            SELECT e.id, ev.id, ev.object_id, ev.object_sequence, 'pending', 0, @now, @now
            FROM events ev, webhook_endpoints e
            WHERE ev.id = @eventId AND {session.InList("e.id", "endpointIds")}
            ORDER BY e.id
            """,
            new { eventId, endpointIds = session.ListOf(endpointIds), now });

    /// <summary>
    /// Queues again every event of the endpoint's merchant created in [<paramref name="from"/>, <paramref name="to"/>) that the
    /// endpoint enables, in creation order, so each object's go out in sequence.
    /// </summary>
    public Task<int> ReplayAsync(DbSession session, string merchantId, string endpointId, string storedEnabledEvents, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        var contains = session.IsPostgres ? "strpos(@enabled, ',' || {0} || ',') > 0" : "instr(@enabled, ',' || {0} || ',') > 0";
        var family = session.IsPostgres ? "split_part(ev.type, '.', 1) || '.*'" : "substr(ev.type, 1, instr(ev.type, '.')) || '*'";
        return session.ExecuteAsync(
            $"""
            INSERT INTO webhook_deliveries (endpoint_id, event_id, object_id, object_sequence, status, attempts, created_at, next_attempt_at)
            SELECT @endpointId, ev.id, ev.object_id, ev.object_sequence, 'pending', 0, @now, @now
            FROM events ev
            WHERE ev.merchant_id = @merchantId AND ev.created_at >= @from AND ev.created_at < @to
              AND ev.type <> 'webhook_endpoint.test'
              AND (@enabled = '*' OR {string.Format(contains, "ev.type")} OR {string.Format(contains, family)})
            ORDER BY ev.created_at, ev.object_sequence, ev.id
            """,
            new { merchantId, endpointId, enabled = storedEnabledEvents, from, to, now });
    }

    public async Task<Page<DeliveryAttempt>> AttemptsAsync(DbSession session, string? endpointId, string? eventId, PageRequest page) =>
        page.ToPage(await session.QueryAsync<DeliveryAttempt>(
            $"""
            SELECT {AttemptColumns} FROM webhook_delivery_attempts
            WHERE (@endpointId IS NULL OR endpoint_id = @endpointId) AND (@eventId IS NULL OR event_id = @eventId)
              AND (@startingAfter IS NULL OR id < @startingAfter)
            ORDER BY id DESC LIMIT @take
            """,
            new { endpointId, eventId, startingAfter = page.StartingAfter, take = page.Limit + 1 }));

    private sealed class ClaimRow
    {
        public long Id { get; init; }
        public string EndpointId { get; init; } = "";
        public string EventId { get; init; } = "";
        public int Attempts { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public string Url { get; init; } = "";
        public string Secret { get; init; } = "";
        public string? PreviousSecret { get; init; }
        public DateTimeOffset? PreviousSecretExpiresAt { get; init; }
        public string Body { get; init; } = "";
    }

    private sealed class ResultRow
    {
        public string AttemptId { get; init; } = "";
        public long DeliveryId { get; init; }
        public string EndpointId { get; init; } = "";
        public string EventId { get; init; } = "";
        public int Attempt { get; init; }
        public DateTimeOffset AttemptedAt { get; init; }
        public string Outcome { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset NextAttemptAt { get; init; }
        public DateTimeOffset? CompletedAt { get; init; }
        public int? StatusCode { get; init; }
        public int LatencyMs { get; init; }
        public string? ResponseBody { get; init; }
        public string? Error { get; init; }
    }
}
