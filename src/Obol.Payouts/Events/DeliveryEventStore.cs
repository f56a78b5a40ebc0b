using Npgsql;
using Obol.Core.Storage;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.Events;

/// <summary>The append-only raw event log.</summary>
internal static class DeliveryEventStore
{
    private static readonly RowShape<EventWrite> Rows = new RowShape<EventWrite>()
        .Text("merchant_id", r => r.MerchantId)
        .Text("event_id", r => r.Event.EventId)
        .Text("courier_id", r => r.Event.CourierId)
        .Bigint("courier_key", r => r.CourierKey)
        .Text("order_id", r => r.Event.OrderId)
        .Text("status", r => DeliveryEvent.StatusName(r.Event.Status))
        .Timestamp("occurred_at", r => r.Event.OccurredAt)
        .Timestamp("received_at", r => r.ReceivedAt);

    private static readonly RowShape<string> EventIds = new RowShape<string>().Text("event_id", id => id);

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

        var rows = events.Select(e => new EventWrite(write.MerchantId, e, terms[e.CourierId].Key, write.Now)).ToList();
        return write.Session.IsPostgres ? await AppendPostgresAsync(write, rows) : await InsertSkippingStoredAsync(write, rows);
    }

    /// <summary>
    /// Copies the events in (binary COPY: no per-row conflict check, and the heap is written in multi-row batches).
    /// A redelivered id is the exception, so the batch is copied first and only when the primary key objects does a
    /// savepoint undo the copy and the stored ids get looked up; the new events are then copied again. An id that a
    /// concurrent append stored in between fails that second copy too, and the events go in as an insert that skips
    /// what exists.
    /// </summary>
    private static async Task<HashSet<string>> AppendPostgresAsync(EngineWrite write, List<EventWrite> rows)
    {
        if (await TryCopyAsync(write, rows))
        {
            return rows.Select(r => r.Event.EventId).ToHashSet(StringComparer.Ordinal);
        }

        var session = write.Session;
        var stored = await session.QueryAsync<string>(
            $"SELECT x.event_id FROM {EventIds.From(session, "ids", "k")} {session.JoinEach("delivery_events", "x", "x.merchant_id = @merchantId AND x.event_id = k.event_id")}",
            EventIds.Bind(session, "ids", rows.Select(r => r.Event.EventId).ToList(), new { merchantId = write.MerchantId }));
        var storedIds = stored.ToHashSet(StringComparer.Ordinal);
        var fresh = rows.Where(r => !storedIds.Contains(r.Event.EventId)).ToList();
        if (fresh.Count == 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        return await TryCopyAsync(write, fresh)
            ? fresh.Select(r => r.Event.EventId).ToHashSet(StringComparer.Ordinal)
            : await InsertSkippingStoredAsync(write, fresh);
    }

    /// <summary>Copies all the events in, or none (false) when one of their ids is stored already.</summary>
    private static async Task<bool> TryCopyAsync(EngineWrite write, List<EventWrite> rows)
    {
        var session = write.Session;
        await session.ExecuteAsync("SAVEPOINT delivery_events_copy");
        try
        {
            await Rows.CopyAsync(session, "delivery_events", rows);
            await session.ExecuteAsync("RELEASE SAVEPOINT delivery_events_copy");
            return true;
        }
        catch (PostgresException conflict) when (conflict.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await session.ExecuteAsync("ROLLBACK TO SAVEPOINT delivery_events_copy");
            return false;
        }
    }

    private static async Task<HashSet<string>> InsertSkippingStoredAsync(EngineWrite write, List<EventWrite> rows)
    {
        var appended = await write.Session.QueryAsync<string>(
            $"""
            INSERT INTO delivery_events ({Rows.Columns})
            SELECT {Rows.Columns} FROM {Rows.From(write.Session, "events", "r")} WHERE true
            ON CONFLICT (merchant_id, event_id) DO NOTHING
            RETURNING event_id
            """,
            Rows.Bind(write.Session, "events", rows));
        return appended.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Stored events by id (the raw log's primary key; an id list drives it, as in the recalculation's key lists).</summary>
    public static async Task<Dictionary<string, DeliveryEvent>> GetAsync(DbSession session, string merchantId, IReadOnlyList<string> eventIds)
    {
        var rows = await session.QueryAsync<Row>(
            $"SELECT {Row.Columns} FROM {EventIds.From(session, "ids", "k")} {session.JoinEach("delivery_events", "e", "e.merchant_id = @merchantId AND e.event_id = k.event_id")}",
            EventIds.Bind(session, "ids", eventIds, new { merchantId }));
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

    private readonly record struct EventWrite(string MerchantId, DeliveryEvent Event, long CourierKey, DateTimeOffset ReceivedAt);
}
