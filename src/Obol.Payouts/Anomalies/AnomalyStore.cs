using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Payouts.Earnings;
using Obol.Payouts.Events;

namespace Obol.Payouts.Anomalies;

internal sealed class AnomalyRow
{
    public const string Columns = """
        id AS Id, courier_id AS CourierId, order_id AS OrderId, event_id AS EventId, kind AS Kind, status AS Status, detail AS Detail,
        detected_at AS DetectedAt, resolved_at AS ResolvedAt, resolution AS Resolution
        """;

    public string Id { get; init; } = "";
    public string CourierId { get; init; } = "";
    public string OrderId { get; init; } = "";
    public string? EventId { get; init; }
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";
    public string Detail { get; init; } = "";
    public DateTimeOffset DetectedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public string? Resolution { get; init; }
}

/// <summary>
/// Anomalies are keyed by what they are about (kind, courier, order), so detecting one again is a no-op and a
/// resolved one stays resolved. Derived anomalies whose condition has gone (the accept arrived) are resolved
/// automatically with resolution <c>cleared</c>.
/// </summary>
internal static class AnomalyStore
{
    private static readonly RowShape<NewAnomaly> NewAnomalies = new RowShape<NewAnomaly>()
        .Text("id", a => a.Id)
        .Text("courier_id", a => a.CourierId)
        .Text("order_id", a => a.OrderId)
        .Text("event_id", a => a.EventId)
        .Text("kind", a => a.Kind)
        .Text("detail", a => a.Detail)
        .Text("dedupe_key", a => a.DedupeKey);

    private static readonly RowShape<OrderKey> OrderKeys = new RowShape<OrderKey>()
        .Text("courier_id", o => o.CourierId)
        .Text("order_id", o => o.OrderId);

    public static string KeyFor(string kind, string courierId, string orderId) =>
        $"{kind}|{courierId.Length}:{courierId}|{orderId}";

    /// <summary>SQL over a <c>deliveries d</c> row: no <c>accepted_not_fulfilled</c> anomaly recorded for it yet (the same key as <see cref="KeyFor"/>).</summary>
    public const string NotYetFlagged = """
        NOT EXISTS (SELECT 1 FROM delivery_anomalies a WHERE a.merchant_id = d.merchant_id
            AND a.dedupe_key = 'accepted_not_fulfilled|' || length(d.courier_id) || ':' || d.courier_id || '|' || d.order_id)
        """;

    /// <summary>
    /// Records the anomalies the re-derived orders have now and clears the open ones of orders that had rows whose
    /// condition has gone (the accept arrived; the order is no longer waiting for its fulfillment).
    /// </summary>
    /// <param name="write">The write session.</param>
    /// <param name="outcomes">The re-derived orders.</param>
    /// <param name="existedBefore">The orders among them that had rows.</param>
    /// <param name="openBefore">The orders' open anomalies, read under the courier lock before they were re-derived (<see cref="OpenOfOrdersAsync"/>).</param>
    public static async Task SyncAsync(
        EngineWrite write, IReadOnlyList<DeliveryOutcome> outcomes, IReadOnlySet<OrderKey> existedBefore, IReadOnlyList<OpenAnomaly> openBefore)
    {
        var detected = new Dictionary<string, NewAnomaly>(StringComparer.Ordinal);
        var recheck = new Dictionary<OrderKey, DeliveryOutcome>();
        foreach (var outcome in outcomes)
        {
            foreach (var anomaly in outcome.Anomalies)
            {
                var key = KeyFor(anomaly.Kind, outcome.CourierId, outcome.OrderId);
                detected.TryAdd(key, new NewAnomaly(write.Ids.New("anm"), outcome.CourierId, outcome.OrderId, anomaly.EventId, anomaly.Kind, anomaly.Detail, key));
            }

            var order = new OrderKey(outcome.CourierId, outcome.OrderId);
            if (existedBefore.Contains(order))
            {
                recheck[order] = outcome;
            }
        }

        if (detected.Count > 0)
        {
            await InsertAsync(write, detected.Values.ToList());
        }

        var clear = new List<string>();
        foreach (var open in openBefore)
        {
            // Only anomalies derived from the order itself: an event id sent again with other content is keyed by the event.
            if (!recheck.TryGetValue(new OrderKey(open.CourierId, open.OrderId), out var outcome)
                || open.DedupeKey != KeyFor(open.Kind, open.CourierId, open.OrderId))
            {
                continue;
            }

            var gone = open.Kind == AnomalyKind.AcceptedNotFulfilled
                ? outcome.State != DeliveryState.Accepted
                : AnomalyKind.Derived.Contains(open.Kind) && !outcome.Anomalies.Any(a => a.Kind == open.Kind);
            if (gone)
            {
                clear.Add(open.Id);
            }
        }

        if (clear.Count > 0)
        {
            var cleared = await write.Session.QueryAsync<AnomalyRow>(
                $"""
                UPDATE delivery_anomalies SET status = 'resolved', resolved_at = @now, resolution = 'cleared'
                WHERE status = 'open' AND {write.Session.InList("id", "ids")}
                RETURNING {AnomalyRow.Columns}
                """,
                new { now = write.Now, ids = write.Session.ListOf(clear) });
            await ReportAsync(write, PayoutsEvents.AnomalyResolved, cleared);
        }
    }

    /// <summary>The open anomalies of these orders, through the partial index of open anomalies by order.</summary>
    public static Task<IReadOnlyList<OpenAnomaly>> OpenOfOrdersAsync(EngineWrite write, IReadOnlyCollection<OrderKey> orders)
    {
        var session = write.Session;
        return session.QueryAsync<OpenAnomaly>(
            $"""
            SELECT {OpenAnomaly.Columns}
            FROM {OrderKeys.From(session, "keys", "k")}
            {session.JoinEach("delivery_anomalies", "a", "a.merchant_id = @merchantId AND a.status = 'open' AND a.courier_id = k.courier_id AND a.order_id = k.order_id")}
            """,
            OrderKeys.Bind(session, "keys", orders, new { merchantId = write.MerchantId }));
    }

    /// <summary>The same event id sent again with different content: the first stays, the new one is rejected and recorded.</summary>
    public static Task RecordEventConflictsAsync(EngineWrite write, IEnumerable<(DeliveryEvent Incoming, DeliveryEvent Stored)> conflicts) =>
        InsertAsync(write, conflicts.Select(c => new NewAnomaly(
            write.Ids.New("anm"), c.Incoming.CourierId, c.Incoming.OrderId, c.Incoming.EventId, AnomalyKind.ConflictingDuplicate,
            $"Event {c.Incoming.EventId} was sent again with different content ({Describe(c.Incoming)}; first seen as {Describe(c.Stored)}); the first is kept.",
            $"event|{c.Incoming.EventId}|{Describe(c.Incoming)}")).ToList());

    /// <summary>Accepted deliveries with no fulfillment or cancellation for longer than <paramref name="timeout"/>.</summary>
    public static async Task<int> DetectStaleAcceptsAsync(EngineWrite write, TimeSpan timeout, int limit = 1000)
    {
        var sql = $"""
            SELECT d.courier_id AS CourierId, d.order_id AS OrderId, d.accepted_at AS AcceptedAt FROM deliveries d
            WHERE d.merchant_id = @merchantId AND d.state = 'accepted' AND d.accepted_at < @cutoff AND {NotYetFlagged}
            ORDER BY d.accepted_at LIMIT @limit
            """;
        var args = new { merchantId = write.MerchantId, cutoff = write.Now - timeout, limit };
        var candidates = await write.Session.QueryAsync<StaleRow>(sql, args);
        if (candidates.Count == 0)
        {
            return 0;
        }

        // Under the candidates' courier locks, asked again: a batch that was fulfilling one of them has committed by
        // now, and flagging it would leave an anomaly open that nothing clears.
        var couriers = candidates.Select(c => c.CourierId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        await DeliveryRecalculation.LockCouriersAsync(write, couriers);
        var locked = couriers.ToHashSet(StringComparer.Ordinal);
        var stale = (await write.Session.QueryAsync<StaleRow>(sql, args)).Where(s => locked.Contains(s.CourierId)).ToList();
        var rows = stale.Select(s => new NewAnomaly(
            write.Ids.New("anm"), s.CourierId, s.OrderId, null, AnomalyKind.AcceptedNotFulfilled,
            $"Order {s.OrderId} was accepted at {s.AcceptedAt:O} and has not been fulfilled or cancelled after {timeout.TotalMinutes:0} minutes.",
            KeyFor(AnomalyKind.AcceptedNotFulfilled, s.CourierId, s.OrderId))).ToList();
        return rows.Count == 0 ? 0 : (await InsertAsync(write, rows)).Count;
    }

    public static Task<IReadOnlyList<AnomalyRow>> ListAsync(DbSession session, string merchantId, string courierId, string? status, int limitPlusOne, string? startingAfter) =>
        session.QueryAsync<AnomalyRow>(
            $"""
            SELECT {AnomalyRow.Columns} FROM delivery_anomalies
            WHERE merchant_id = @merchantId AND courier_id = @courierId
                {(status is null ? "" : "AND status = @status")} {(startingAfter is null ? "" : "AND id < @startingAfter")}
            ORDER BY id DESC LIMIT @limitPlusOne
            """,
            new { merchantId, courierId, status, startingAfter, limitPlusOne });

    public static Task<AnomalyRow?> GetAsync(DbSession session, string merchantId, string courierId, string id) =>
        session.QuerySingleOrDefaultAsync<AnomalyRow>(
            $"SELECT {AnomalyRow.Columns} FROM delivery_anomalies WHERE merchant_id = @merchantId AND courier_id = @courierId AND id = @id",
            new { merchantId, courierId, id });

    public static async Task MarkResolvedAsync(EngineWrite write, string id, string resolution) =>
        await ReportAsync(write, PayoutsEvents.AnomalyResolved, await write.Session.QueryAsync<AnomalyRow>(
            $"""
            UPDATE delivery_anomalies SET status = 'resolved', resolved_at = @now, resolution = @resolution
            WHERE merchant_id = @merchantId AND id = @id AND status = 'open'
            RETURNING {AnomalyRow.Columns}
            """,
            new { merchantId = write.MerchantId, id, now = write.Now, resolution }));

    private static string Describe(DeliveryEvent e) =>
        $"courier {e.CourierId}, order {e.OrderId}, {DeliveryEvent.StatusName(e.Status)} at {StoredInstant.SqliteText(e.OccurredAt)}";

    /// <summary>Records the anomalies not recorded yet (by their dedupe key) and reports each new one; returns the new ones.</summary>
    private static async Task<IReadOnlyList<AnomalyRow>> InsertAsync(EngineWrite write, IReadOnlyCollection<NewAnomaly> rows)
    {
        var inserted = await write.Session.QueryAsync<AnomalyRow>(
            $"""
            INSERT INTO delivery_anomalies ({NewAnomalies.Columns}, merchant_id, status, detected_at)
            SELECT {NewAnomalies.Columns}, @merchantId, 'open', @now FROM {NewAnomalies.From(write.Session, "anomalies", "r")} WHERE true
            ON CONFLICT (merchant_id, dedupe_key) DO NOTHING
            RETURNING {AnomalyRow.Columns}
            """,
            NewAnomalies.Bind(write.Session, "anomalies", rows, new { merchantId = write.MerchantId, now = write.Now }));
        await ReportAsync(write, PayoutsEvents.AnomalyOpened, inserted);
        return inserted;
    }

    /// <summary>One event per anomaly, with the anomaly as the API returns it (ordered by id: one lock order for every batch).</summary>
    private static async Task ReportAsync(EngineWrite write, string type, IEnumerable<AnomalyRow> anomalies)
    {
        foreach (var anomaly in anomalies.OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            await write.Events.AppendAsync(write.Session, new MerchantEvent(write.MerchantId, type, anomaly.Id, anomaly));
        }
    }

    private sealed record NewAnomaly(string Id, string CourierId, string OrderId, string? EventId, string Kind, string Detail, string DedupeKey);

    private sealed class StaleRow
    {
        public string CourierId { get; init; } = "";
        public string OrderId { get; init; } = "";
        public DateTimeOffset AcceptedAt { get; init; }
    }
}

internal sealed class OpenAnomaly
{
    public const string Columns = "a.id AS Id, a.courier_id AS CourierId, a.order_id AS OrderId, a.kind AS Kind, a.dedupe_key AS DedupeKey";

    public string Id { get; init; } = "";
    public string CourierId { get; init; } = "";
    public string OrderId { get; init; } = "";
    public string Kind { get; init; } = "";
    public string DedupeKey { get; init; } = "";
}
