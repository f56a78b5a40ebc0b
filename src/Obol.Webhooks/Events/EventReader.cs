using System.Text.Json;
using Obol.Core.Http;
using Obol.Core.Storage;
using Obol.Webhooks.Api;

namespace Obol.Webhooks.Events;

/// <summary>Reads events for the events API: the stored JSON, as it was delivered.</summary>
internal sealed class EventReader
{
    public async Task<EventResponse?> GetAsync(DbSession session, string merchantId, string id)
    {
        var body = await session.QuerySingleOrDefaultAsync<string>("SELECT body FROM events WHERE id = @id AND merchant_id = @merchantId", new { id, merchantId });
        return body is null ? null : Read(body);
    }

    /// <summary>Newest first; filtered by type, object and a creation range [from, to).</summary>
    public async Task<Page<EventResponse>> ListAsync(
        DbSession session, string merchantId, string? type, string? objectId, DateTimeOffset? from, DateTimeOffset? to, PageRequest page)
    {
        // Only the filters given: PostgreSQL cannot type a null parameter that stands alone (@from IS NULL).
        var filters = string.Concat(
            type is null ? "" : " AND type = @type",
            objectId is null ? "" : " AND object_id = @objectId",
            from is null ? "" : " AND created_at >= @from",
            to is null ? "" : " AND created_at < @to",
            page.StartingAfter is null ? "" : " AND position < (SELECT position FROM events WHERE id = @startingAfter AND merchant_id = @merchantId)");
        var bodies = await session.QueryAsync<string>(
            $"SELECT body FROM events WHERE merchant_id = @merchantId{filters} ORDER BY position DESC LIMIT @take",
            new { merchantId, type, objectId, from, to, startingAfter = page.StartingAfter, take = page.Limit + 1 });
        return page.ToPage(bodies.Select(Read).ToList());
    }

    private static EventResponse Read(string body) => JsonSerializer.Deserialize<EventResponse>(body, ObolJson.Options)!;
}
