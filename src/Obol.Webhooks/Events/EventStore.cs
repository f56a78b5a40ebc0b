using System.Text;
using System.Text.Json;
using Obol.Core.Events;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Webhooks.Delivery;

namespace Obol.Webhooks.Events;

/// <summary>
/// The outbox: writes an event and its deliveries to the merchant's endpoints that want it, in the caller's unit of work,
/// and wakes this node's dispatcher once that unit commits.
/// </summary>
internal sealed class EventStore(IdGenerator ids, TimeProvider clock, DispatchSignal signal) : IEventOutbox
{
    /// <summary>The version of the event format and of the objects in it.</summary>
    public const string ApiVersion = "2026-12-07";

    public Task<string> AppendAsync(DbSession session, MerchantEvent merchantEvent) => AppendAsync(session, merchantEvent, onlyEndpointId: null);

    /// <summary>With <paramref name="onlyEndpointId"/>, delivered to that endpoint alone whatever it enabled (a test event).</summary>
    public async Task<string> AppendAsync(DbSession session, MerchantEvent merchantEvent, string? onlyEndpointId)
    {
        // The counter row's lock orders two units of work that report on the same object: the second waits for the first to
        // commit and takes the next number, so numbers follow commit order and have no gaps.
        var sequence = await session.ExecuteScalarAsync<long>(
            """
            INSERT INTO event_objects (merchant_id, object_id, last_sequence) VALUES (@MerchantId, @ObjectId, 1)
            ON CONFLICT (merchant_id, object_id) DO UPDATE SET last_sequence = event_objects.last_sequence + 1
            RETURNING last_sequence
            """,
            new { merchantEvent.MerchantId, merchantEvent.ObjectId });
        var id = ids.New("evt");
        var createdAt = StoredInstant.Of(clock.GetUtcNow());
        var body = Serialize(id, merchantEvent, createdAt, sequence);
        var parameters = new
        {
            id, merchantEvent.MerchantId, merchantEvent.Type, merchantEvent.ObjectId, sequence, createdAt, body,
            exact = "," + merchantEvent.Type + ",",
            family = "," + Family(merchantEvent.Type) + ",",
            onlyEndpointId,
        };
        // SQLite has one writer, so the next position is max + 1; PostgreSQL's identity column numbers rows itself.
        var (position, positionValue) = session.IsPostgres ? ("", "") : (", position", ", (SELECT coalesce(max(position), 0) + 1 FROM events)");
        var contains = session.IsPostgres ? "strpos(enabled_events, {0}) > 0" : "instr(enabled_events, {0}) > 0";

        // A delivery heads its lane (ready) unless an earlier delivery of the object to that endpoint is still ready or
        // waiting. On PostgreSQL those rows are share-locked first: a dispatcher finishing one of them at this moment is
        // waited for, so either it sees this delivery (and makes it the head) or this insert sees it finished.
        await session.ExecuteAsync(
            $"""
            INSERT INTO events (id, merchant_id, type, object_id, object_sequence, created_at, body{position})
            VALUES (@id, @MerchantId, @Type, @ObjectId, @sequence, @createdAt, @body{positionValue});
            WITH open_lanes AS (
                SELECT endpoint_id FROM webhook_deliveries WHERE object_id = @ObjectId AND status IN ('ready', 'waiting'){(session.IsPostgres ? " FOR SHARE" : "")})
            INSERT INTO webhook_deliveries (endpoint_id, event_id, object_id, object_sequence, status, attempts, created_at, next_attempt_at)
            SELECT id, @id, @ObjectId, @sequence, CASE WHEN id IN (SELECT endpoint_id FROM open_lanes) THEN 'waiting' ELSE 'ready' END, 0, @createdAt, @createdAt
            FROM webhook_endpoints
            WHERE merchant_id = @MerchantId AND deleted_at IS NULL AND NOT disabled
              AND (CASE WHEN @onlyEndpointId IS NULL
                        THEN enabled_events = '*' OR {string.Format(contains, "@exact")} OR {string.Format(contains, "@family")}
                        ELSE id = @onlyEndpointId END);
            """,
            parameters);
        signal.WakeAfterCommit(session);
        return id;
    }

    /// <summary><c>payment.captured</c> → <c>payment.*</c>.</summary>
    public static string Family(string type) => type[..(type.IndexOf('.', StringComparison.Ordinal) + 1)] + "*";

    /// <summary>The event as sent and as the events API returns it.</summary>
    private static string Serialize(string id, MerchantEvent merchantEvent, DateTimeOffset createdAt, long sequence)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", id);
            writer.WriteString("type", merchantEvent.Type);
            writer.WritePropertyName("createdAt");
            JsonSerializer.Serialize(writer, createdAt, ObolJson.Options);
            writer.WriteString("apiVersion", ApiVersion);
            writer.WriteNumber("objectSequence", sequence);
            writer.WriteStartObject("data");
            writer.WritePropertyName("object");
            JsonSerializer.Serialize(writer, merchantEvent.DataObject, merchantEvent.DataObject.GetType(), ObolJson.Options);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
