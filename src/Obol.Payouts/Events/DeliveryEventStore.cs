using Npgsql;
using Obol.Core.Storage;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.Events;

/// <summary>The append-only raw event log.</summary>
internal static class DeliveryEventStore
{
    /// <summary>Appends the events whose ids are new; returns the ids it inserted.</summary>
    /// <param name="write">The write session.</param>
    /// <param name="events">The events, all of couriers in <paramref name="terms"/>.</param>
    /// <param name="terms">The couriers' terms, which carry their storage keys.</param>
    public static async Task<HashSet<string>> AppendAsync(
        EngineWrite write, IReadOnlyList<DeliveryEvent> events, IReadOnlyDictionary<string, CourierTermsHistory> terms)
    {
        if (events.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        if (write.Session.IsPostgres)
        {
            return await AppendPostgresAsync(write, events, terms);
        }

        var rows = JsonRows.Serialize(events.Select(e => new
        {
            e = e.EventId,
            c = e.CourierId,
            k = terms[e.CourierId].Key,
            o = e.OrderId,
            s = DeliveryEvent.StatusName(e.Status),
            t = JsonRows.Instant(e.OccurredAt),
        }));
        var inserted = await write.Session.QueryAsync<string>(
            """
            INSERT INTO delivery_events (merchant_id, event_id, courier_id, courier_key, order_id, status, occurred_at, received_at)
            SELECT @merchantId, json_extract(value, '$.e'), json_extract(value, '$.c'), json_extract(value, '$.k'), json_extract(value, '$.o'),
                json_extract(value, '$.s'), json_extract(value, '$.t'), @now
            FROM json_each(@rows) WHERE true
            ON CONFLICT (merchant_id, event_id) DO NOTHING
            RETURNING event_id
            """,
            new { merchantId = write.MerchantId, rows, now = write.Now });
        return inserted.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Copies the events in (binary COPY: no per-row conflict check, and the heap is written in multi-row batches).
    /// A redelivered id is the exception, so the batch is copied first and only when the primary key objects does a
    /// savepoint undo the copy and the stored ids get looked up; the new events are then copied again. An id that a
    /// concurrent append stored in between fails that second copy too, and the events go in as an insert that skips
    /// what exists.
    /// </summary>
    private static async Task<HashSet<string>> AppendPostgresAsync(
        EngineWrite write, IReadOnlyList<DeliveryEvent> events, IReadOnlyDictionary<string, CourierTermsHistory> terms)
    {
        if (await TryCopyAsync(write, events, terms))
        {
            return events.Select(e => e.EventId).ToHashSet(StringComparer.Ordinal);
        }

        var stored = await write.Session.QueryAsync<string>(
            """
            SELECT x.event_id FROM unnest(@ids) AS k(e)
            CROSS JOIN LATERAL (SELECT event_id FROM delivery_events x WHERE x.merchant_id = @merchantId AND x.event_id = k.e OFFSET 0) x
            """,
            new { merchantId = write.MerchantId, ids = events.Select(e => e.EventId).ToArray() });
        var storedIds = stored.ToHashSet(StringComparer.Ordinal);
        var fresh = events.Where(e => !storedIds.Contains(e.EventId)).ToList();
        if (fresh.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        return await TryCopyAsync(write, fresh, terms)
            ? fresh.Select(e => e.EventId).ToHashSet(StringComparer.Ordinal)
            : await InsertSkippingStoredAsync(write, fresh, terms);
    }

    /// <summary>Copies all the events in, or none (false) when one of their ids is stored already.</summary>
    private static async Task<bool> TryCopyAsync(
        EngineWrite write, IReadOnlyList<DeliveryEvent> events, IReadOnlyDictionary<string, CourierTermsHistory> terms)
    {
        var session = write.Session;
        await session.ExecuteAsync("SAVEPOINT delivery_events_copy");
        try
        {
            await using (var copy = await PgCopyWriter.BeginAsync(session,
                "delivery_events (merchant_id, event_id, courier_id, courier_key, order_id, status, occurred_at, received_at)"))
            {
                foreach (var e in events)
                {
                    await copy.StartRowAsync(8);
                    copy.Text(write.MerchantId);
                    copy.Text(e.EventId);
                    copy.Text(e.CourierId);
                    copy.Bigint(terms[e.CourierId].Key);
                    copy.Text(e.OrderId);
                    copy.Text(DeliveryEvent.StatusName(e.Status));
                    copy.Timestamp(e.OccurredAt);
                    copy.Timestamp(write.Now);
                }

                await copy.CompleteAsync();
            }

            await session.ExecuteAsync("RELEASE SAVEPOINT delivery_events_copy");
            return true;
        }
        catch (PostgresException conflict) when (conflict.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await session.ExecuteAsync("ROLLBACK TO SAVEPOINT delivery_events_copy");
            return false;
        }
    }

    private static async Task<HashSet<string>> InsertSkippingStoredAsync(
        EngineWrite write, IReadOnlyList<DeliveryEvent> events, IReadOnlyDictionary<string, CourierTermsHistory> terms)
    {
        var appended = await write.Session.QueryAsync<string>(
            """
            INSERT INTO delivery_events (merchant_id, event_id, courier_id, courier_key, order_id, status, occurred_at, received_at)
            SELECT @merchantId, r.e, r.c, r.k, r.o, r.s, r.t, @now
            FROM unnest(@eventIds, @courierIds, @courierKeys, @orderIds, @statuses, @occurredAt) AS r(e, c, k, o, s, t)
            ON CONFLICT (event_id, merchant_id) DO NOTHING
            RETURNING event_id
            """,
            new
            {
                merchantId = write.MerchantId,
                eventIds = events.Select(e => e.EventId).ToArray(),
                courierIds = events.Select(e => e.CourierId).ToArray(),
                courierKeys = events.Select(e => terms[e.CourierId].Key).ToArray(),
                orderIds = events.Select(e => e.OrderId).ToArray(),
                statuses = events.Select(e => DeliveryEvent.StatusName(e.Status)).ToArray(),
                occurredAt = events.Select(e => e.OccurredAt.ToUniversalTime()).ToArray(),
                now = write.Now,
            });
        return appended.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Stored events by id (the raw log's primary key; an id list drives it, as in the recalculation's key lists).</summary>
    public static async Task<Dictionary<string, DeliveryEvent>> GetAsync(DbSession session, string merchantId, IReadOnlyList<string> eventIds)
    {
        var rows = await session.QueryAsync<Row>(
            session.Sql(
                $"""
                SELECT {Row.Columns}
                FROM json_each(@ids) k CROSS JOIN delivery_events e ON e.merchant_id = @merchantId AND e.event_id = k.value
                """,
                $"""
                SELECT {Row.Columns}
                FROM unnest(@ids) AS k(id)
                CROSS JOIN LATERAL (SELECT * FROM delivery_events x WHERE x.event_id = k.id AND x.merchant_id = @merchantId OFFSET 0) e
                """),
            new { merchantId, ids = session.IsPostgres ? (object)eventIds.ToArray() : JsonRows.Serialize(eventIds) });
        return rows.ToDictionary(r => r.EventId, r => new DeliveryEvent(r.EventId, r.CourierId, r.OrderId, DeliveryEvent.ParseStatus(r.Status), r.OccurredAt), StringComparer.Ordinal);
    }

    private sealed class Row
    {
        public const string Columns =
            "e.event_id AS EventId, e.courier_id AS CourierId, e.order_id AS OrderId, e.status AS Status, e.occurred_at AS OccurredAt";

        public string EventId { get; init; } = "";
        public string CourierId { get; init; } = "";
        public string OrderId { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
    }
}
