using Obol.Core.Storage;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.Events;

/// <summary>The append-only raw event log.</summary>
public static class DeliveryEventStore
{
    /// <summary>Appends the events whose ids are new, in one statement; returns the ids it inserted.</summary>
    public static async Task<HashSet<string>> AppendAsync(EngineWrite write, IReadOnlyList<DeliveryEvent> events)
    {
        if (events.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        if (write.Session.IsPostgres)
        {
            // Typed arrays: no JSON to write or parse on either side of the wire.
            var count = events.Count;
            var eventIds = new string[count];
            var courierIds = new string[count];
            var orderIds = new string[count];
            var statuses = new string[count];
            var occurredAt = new DateTime[count];
            for (var i = 0; i < count; i++)
            {
                var e = events[i];
                eventIds[i] = e.EventId;
                courierIds[i] = e.CourierId;
                orderIds[i] = e.OrderId;
                statuses[i] = DeliveryEvent.StatusName(e.Status);
                occurredAt[i] = e.OccurredAt.UtcDateTime;
            }

            var appended = await write.Session.QueryAsync<string>(
                """
                INSERT INTO delivery_events (merchant_id, event_id, courier_id, order_id, status, occurred_at, received_at)
                SELECT @merchantId, r.e, r.c, r.o, r.s, r.t, @now
                FROM unnest(@eventIds, @courierIds, @orderIds, @statuses, @occurredAt) AS r(e, c, o, s, t)
                ON CONFLICT (merchant_id, event_id) DO NOTHING
                RETURNING event_id
                """,
                new { merchantId = write.MerchantId, eventIds, courierIds, orderIds, statuses, occurredAt, now = write.Now });
            return appended.ToHashSet(StringComparer.Ordinal);
        }

        var rows = JsonRows.Serialize(events.Select(e => new
        {
            e = e.EventId,
            c = e.CourierId,
            o = e.OrderId,
            s = DeliveryEvent.StatusName(e.Status),
            t = JsonRows.Instant(e.OccurredAt),
        }));
        var inserted = await write.Session.QueryAsync<string>(
            """
            INSERT INTO delivery_events (merchant_id, event_id, courier_id, order_id, status, occurred_at, received_at)
            SELECT @merchantId, json_extract(value, '$.e'), json_extract(value, '$.c'), json_extract(value, '$.o'),
                json_extract(value, '$.s'), json_extract(value, '$.t'), @now
            FROM json_each(@rows) WHERE true
            ON CONFLICT (merchant_id, event_id) DO NOTHING
            RETURNING event_id
            """,
            new { merchantId = write.MerchantId, rows, now = write.Now });
        return inserted.ToHashSet(StringComparer.Ordinal);
    }

    public static async Task<Dictionary<string, DeliveryEvent>> GetAsync(DbSession session, string merchantId, IReadOnlyList<string> eventIds)
    {
        var rows = await session.QueryAsync<Row>(
            session.Sql(
                """
                SELECT event_id AS EventId, courier_id AS CourierId, order_id AS OrderId, status AS Status, occurred_at AS OccurredAt
                FROM delivery_events WHERE merchant_id = @merchantId AND event_id IN (SELECT value FROM json_each(@ids))
                """,
                """
                SELECT event_id AS EventId, courier_id AS CourierId, order_id AS OrderId, status AS Status, occurred_at AS OccurredAt
                FROM delivery_events WHERE merchant_id = @merchantId AND event_id IN (SELECT jsonb_array_elements_text(CAST(@ids AS jsonb)))
                """),
            new { merchantId, ids = JsonRows.Serialize(eventIds) });
        return rows.ToDictionary(r => r.EventId, r => new DeliveryEvent(r.EventId, r.CourierId, r.OrderId, DeliveryEvent.ParseStatus(r.Status), r.OccurredAt), StringComparer.Ordinal);
    }

    /// <summary>Appends one corrective event (from resolving an anomaly); a no-op if that id is already there.</summary>
    public static Task<HashSet<string>> AppendOneAsync(EngineWrite write, DeliveryEvent e) => AppendAsync(write, [e]);

    private sealed class Row
    {
        public string EventId { get; init; } = "";
        public string CourierId { get; init; } = "";
        public string OrderId { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
    }
}
