using Dapper;
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
    /// Takes up to <paramref name="limit"/> due deliveries until <paramref name="leaseUntil"/>: the heads of their lanes
    /// (ready), due, not leased by a node, to an endpoint not among <paramref name="busyEndpoints"/> (a disabled or deleted
    /// endpoint's lanes have no heads; one disabled since its head was claimed is left out of the answer). On
    /// PostgreSQL rows another node is claiming are skipped (<c>SKIP LOCKED</c>); SQLite has one writer. Only lane heads
    /// are ever ready, so this reads the due index and nothing else, however long the queues behind them.
    /// The scan starts after <paramref name="after"/>, where this node's last claim ended, and goes round to the start of
    /// the index only when the rest has too few: the start of the index holds the entries of deliveries just finished until
    /// vacuum removes them, and reading past all of them on every claim cost more than the sending. Whatever becomes due
    /// later sorts after the cursor (new events, retries, lane heads promoted, all at or after now); an expired lease is
    /// found on the next round.
    /// </summary>
    public async Task<(IReadOnlyList<ClaimedDelivery> Claimed, (DateTimeOffset At, long Id)? End)> ClaimAsync(
        DbSession session, DateTimeOffset now, DateTimeOffset leaseUntil, int limit, IReadOnlyCollection<string> busyEndpoints,
        (DateTimeOffset At, long Id)? after)
    {
        await RelaxDurabilityAsync(session);

        // The due index alone, in its order (the endpoints are joined afterwards, for the rows taken: joined here, they let
        // the planner start from the endpoints and read every delivery queued for them).
        var found = await DueAsync(session, now, limit, busyEndpoints, after, upTo: null);
        if (found.Count < limit && after is not null)
        {
            found = [.. found, .. await DueAsync(session, now, limit - found.Count, busyEndpoints, after: null, upTo: after)];
        }

        if (found.Count == 0)
        {
            return ([], null);
        }

        var ids = found.Select(f => f.Id).ToList();
        var taken = session.ListOf(ids);
        await session.ExecuteAsync($"UPDATE webhook_deliveries SET leased_until = @leaseUntil WHERE {session.InList("id", "taken")}", new { leaseUntil, taken });
        var rows = await session.QueryAsync<ClaimRow>(
            $"""
            SELECT d.id AS Id, d.endpoint_id AS EndpointId, d.event_id AS EventId, d.attempts AS Attempts, d.created_at AS CreatedAt,
                e.url AS Url, e.secret AS Secret, e.previous_secret AS PreviousSecret, e.previous_secret_expires_at AS PreviousSecretExpiresAt,
                ev.body AS Body
            FROM webhook_deliveries d
            JOIN webhook_endpoints e ON e.id = d.endpoint_id
            JOIN events ev ON ev.id = d.event_id
            WHERE {session.InList("d.id", "taken")} AND NOT e.disabled AND e.deleted_at IS NULL
            ORDER BY d.next_attempt_at, d.id
            """,
            new { taken });
        var claimed = rows.Select(r => new ClaimedDelivery(
            r.Id, r.EndpointId, r.EventId, r.Attempts, r.CreatedAt, leaseUntil, r.Url, r.Secret, r.PreviousSecret, r.PreviousSecretExpiresAt, r.Body)).ToList();
        return (claimed, (found[^1].NextAttemptAt, found[^1].Id));
    }

    /// <summary>Due lane heads in index order, after <paramref name="after"/> or up to and with <paramref name="upTo"/>, locked.</summary>
    private static Task<IReadOnlyList<DueRow>> DueAsync(
        DbSession session, DateTimeOffset now, int limit, IReadOnlyCollection<string> busyEndpoints, (DateTimeOffset At, long Id)? after,
        (DateTimeOffset At, long Id)? upTo)
    {
        var range = after is not null ? " AND (d.next_attempt_at, d.id) > (@afterAt, @afterId)"
            : upTo is not null ? " AND (d.next_attempt_at, d.id) <= (@upToAt, @upToId)"
            : "";
        return session.QueryAsync<DueRow>(
            $"""
            SELECT d.id AS Id, d.next_attempt_at AS NextAttemptAt FROM webhook_deliveries d
            WHERE d.status = 'ready' AND d.next_attempt_at <= @now AND (d.leased_until IS NULL OR d.leased_until <= @now){range}
              AND NOT ({session.InList("d.endpoint_id", "busy")})
            ORDER BY d.next_attempt_at, d.id
            LIMIT @limit
            {(session.IsPostgres ? "FOR UPDATE SKIP LOCKED" : "")}
            """,
            new
            {
                now, limit, busy = session.ListOf(busyEndpoints),
                afterAt = after?.At, afterId = after?.Id, upToAt = upTo?.At, upToId = upTo?.Id,
            });
    }

    /// <summary>
    /// Writes what tries came to: each delivery done, given up or due again at its next try (with the lease let go), a log
    /// row per try, and the next delivery of each finished lane made its head. A delivery no longer ready (done meanwhile by
    /// a node whose lease had run out, or parked with its endpoint) keeps its state.
    /// </summary>
    public async Task RecordAsync(DbSession session, IReadOnlyList<(AttemptResult Result, AttemptOutcome Outcome, DateTimeOffset? NextAttemptAt)> results)
    {
        await RelaxDurabilityAsync(session);
        var rows = results.Select(r => new ResultRow
        {
            AttemptId = ids.New("wha"),
            DeliveryId = r.Result.Delivery.Id,
            EndpointId = r.Result.Delivery.EndpointId,
            EventId = r.Result.Delivery.EventId,
            Attempt = r.Result.Delivery.Attempts + 1,
            AttemptedAt = r.Result.AttemptedAt,
            Outcome = r.Outcome switch { AttemptOutcome.Succeeded => "succeeded", AttemptOutcome.Failed => "failed", _ => "given_up" },
            Status = r.Outcome switch { AttemptOutcome.Succeeded => "succeeded", AttemptOutcome.Failed => "ready", _ => "failed" },
            NextAttemptAt = r.NextAttemptAt ?? r.Result.AttemptedAt,
            CompletedAt = r.Outcome == AttemptOutcome.Failed ? null : r.Result.AttemptedAt,
            StatusCode = r.Result.StatusCode,
            LatencyMs = r.Result.LatencyMs,
            ResponseBody = r.Result.ResponseBody,
            Error = r.Result.Error,
        }).ToList();

        await session.ExecuteAsync(
            $"""
            UPDATE webhook_deliveries AS d SET status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at,
                completed_at = v.completed_at, leased_until = NULL
            FROM {DeliveryResults.From(session, "deliveries", "v")}
            WHERE d.id = v.id AND d.status = 'ready';
            INSERT INTO webhook_delivery_attempts ({AttemptRows.Columns}) SELECT {AttemptRows.Columns} FROM {AttemptRows.From(session, "attempts", "a")};
            """,
            DeliveryResults.Bind(session, "deliveries", rows, AttemptRows.Bind(session, "attempts", rows)));

        var finished = results.Where(r => r.Outcome != AttemptOutcome.Failed).Select(r => r.Result.Delivery.Id).ToList();
        if (finished.Count > 0)
        {
            await PromoteAsync(session, $"SELECT endpoint_id, object_id FROM webhook_deliveries WHERE {session.InList("id", "finished")}",
                results.Max(r => r.Result.AttemptedAt), new { finished = session.ListOf(finished) });
        }
    }

    /// <summary>
    /// PostgreSQL: the dispatcher's own units of work (a claim, the results of tries) commit without waiting for the disk.
    /// A crash can lose the last few of them, which loses nothing: a lost claim is claimed again, a lost result makes the
    /// delivery go out again, as at-least-once delivery allows. Events and the changes they report keep full durability.
    /// </summary>
    private static Task RelaxDurabilityAsync(DbSession session) =>
        session.IsPostgres ? session.ExecuteAsync("SET LOCAL synchronous_commit = off") : Task.CompletedTask;

    /// <summary>
    /// Makes the first waiting delivery of each lane in <paramref name="lanes"/> (SQL giving <c>endpoint_id, object_id</c>
    /// rows) its head, unless the lane has one or its endpoint is disabled. Each lane costs a few reads of the lane index.
    /// </summary>
    public Task<int> PromoteAsync(DbSession session, string lanes, DateTimeOffset now, object? parameters = null)
    {
        var arguments = new DynamicParameters(parameters);
        arguments.Add("promotedAt", now);
        return session.ExecuteAsync(
            $"""
            UPDATE webhook_deliveries
            SET status = 'ready', next_attempt_at = CASE WHEN next_attempt_at < @promotedAt THEN @promotedAt ELSE next_attempt_at END
            WHERE status = 'waiting' AND id IN (
                SELECT (SELECT n.id FROM webhook_deliveries n
                        WHERE n.endpoint_id = lane.endpoint_id AND n.object_id = lane.object_id AND n.status = 'waiting'
                        ORDER BY n.object_sequence, n.id LIMIT 1)
                FROM ({lanes}) lane
                WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries r
                                  WHERE r.endpoint_id = lane.endpoint_id AND r.object_id = lane.object_id AND r.status = 'ready')
                  AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = lane.endpoint_id AND NOT e.disabled AND e.deleted_at IS NULL))
            """,
            arguments);
    }

    /// <summary>The lanes with a waiting delivery that match <paramref name="filter"/>, for <see cref="PromoteAsync"/>.</summary>
    private static string WaitingLanes(string filter) =>
        $"SELECT DISTINCT endpoint_id, object_id FROM webhook_deliveries WHERE status = 'waiting' AND {filter}";

    /// <summary>
    /// Gives every lane without a head its head: a safety net run now and then by the dispatcher (the writes above keep
    /// lanes headed themselves); it reads every waiting delivery.
    /// </summary>
    public Task<int> RepairAsync(DbSession session, DateTimeOffset now) => PromoteAsync(session, WaitingLanes("1 = 1"), now);

    /// <summary>An endpoint disabled or deleted: its lane heads wait, so claims do not read past them.</summary>
    public Task ParkAsync(DbSession session, string endpointId) =>
        session.ExecuteAsync("UPDATE webhook_deliveries SET status = 'waiting' WHERE endpoint_id = @endpointId AND status = 'ready'", new { endpointId });

    /// <summary>An endpoint enabled again, or given new deliveries: each of its lanes gets its head.</summary>
    public async Task PromoteEndpointAsync(DbSession session, string endpointId, DateTimeOffset now)
    {
        await LockLanesAsync(session, endpointId);
        await PromoteAsync(session, WaitingLanes("endpoint_id = @endpointId"), now, new { endpointId });
    }

    /// <summary>
    /// PostgreSQL: share-locks the endpoint's open deliveries, so a dispatcher finishing one of them is waited for and the
    /// statements after this see its lane as it left it.
    /// </summary>
    private static Task LockLanesAsync(DbSession session, string endpointId) =>
        session.IsPostgres
            ? session.ExecuteAsync("SELECT 1 FROM webhook_deliveries WHERE endpoint_id = @endpointId AND status IN ('ready', 'waiting') FOR SHARE", new { endpointId })
            : Task.CompletedTask;

    /// <summary>Queues <paramref name="eventId"/> again to the given endpoints (a redelivery), at the end of its lane at each.</summary>
    public async Task<int> EnqueueAsync(DbSession session, string eventId, IReadOnlyCollection<string> endpointIds, DateTimeOffset now)
    {
        foreach (var endpointId in endpointIds.Order(StringComparer.Ordinal))
        {
            await LockLanesAsync(session, endpointId);
        }

        var queued = await session.ExecuteAsync(
            $"""
            INSERT INTO webhook_deliveries (endpoint_id, event_id, object_id, object_sequence, status, attempts, created_at, next_attempt_at)
            SELECT e.id, ev.id, ev.object_id, ev.object_sequence, 'waiting', 0, @now, @now
            FROM events ev, webhook_endpoints e
            WHERE ev.id = @eventId AND {session.InList("e.id", "endpointIds")}
            ORDER BY e.id
            """,
            new { eventId, endpointIds = session.ListOf(endpointIds), now });
        await PromoteAsync(session, WaitingLanes($"{session.InList("endpoint_id", "endpointIds")} AND object_id = (SELECT object_id FROM events WHERE id = @eventId)"), now,
            new { eventId, endpointIds = session.ListOf(endpointIds) });
        return queued;
    }

    /// <summary>
    /// Queues again every event of the endpoint's merchant created in [<paramref name="from"/>, <paramref name="to"/>) that the
    /// endpoint enables, in creation order, at the end of their lanes, so each object's go out in sequence.
    /// </summary>
    public async Task<int> ReplayAsync(DbSession session, string merchantId, string endpointId, string storedEnabledEvents, DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        await LockLanesAsync(session, endpointId);
        var contains = session.IsPostgres ? "strpos(@enabled, ',' || {0} || ',') > 0" : "instr(@enabled, ',' || {0} || ',') > 0";
        var family = session.IsPostgres ? "split_part(ev.type, '.', 1) || '.*'" : "substr(ev.type, 1, instr(ev.type, '.')) || '*'";
        var queued = await session.ExecuteAsync(
            $"""
            INSERT INTO webhook_deliveries (endpoint_id, event_id, object_id, object_sequence, status, attempts, created_at, next_attempt_at)
            SELECT @endpointId, ev.id, ev.object_id, ev.object_sequence, 'waiting', 0, @now, @now
            FROM events ev
            WHERE ev.merchant_id = @merchantId AND ev.created_at >= @from AND ev.created_at < @to
              AND ev.type <> 'webhook_endpoint.test'
              AND (@enabled = '*' OR {string.Format(contains, "ev.type")} OR {string.Format(contains, family)})
            ORDER BY ev.position
            """,
            new { merchantId, endpointId, enabled = storedEnabledEvents, from, to, now });
        await PromoteAsync(session, WaitingLanes("endpoint_id = @endpointId"), now, new { endpointId });
        return queued;
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

    private sealed class DueRow
    {
        public long Id { get; init; }
        public DateTimeOffset NextAttemptAt { get; init; }
    }

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

    private static readonly RowShape<ResultRow> DeliveryResults = new RowShape<ResultRow>()
        .Bigint("id", r => r.DeliveryId)
        .Text("status", r => r.Status)
        .Int4("attempts", r => r.Attempt)
        .Timestamp("next_attempt_at", r => r.NextAttemptAt)
        .Timestamp("completed_at", r => r.CompletedAt);

    private static readonly RowShape<ResultRow> AttemptRows = new RowShape<ResultRow>()
        .Text("id", r => r.AttemptId)
        .Bigint("delivery_id", r => r.DeliveryId)
        .Text("endpoint_id", r => r.EndpointId)
        .Text("event_id", r => r.EventId)
        .Int4("attempt", r => r.Attempt)
        .Timestamp("attempted_at", r => r.AttemptedAt)
        .Text("outcome", r => r.Outcome)
        .Int4("status_code", r => r.StatusCode)
        .Int4("latency_ms", r => r.LatencyMs)
        .Text("response_body", r => r.ResponseBody)
        .Text("error", r => r.Error);

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
