using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Obol.Testing;

/// <summary>
/// Reads a merchant's events through <c>GET /v1/events</c> and checks what every event of one object must hold: its type,
/// <c>data.object.id</c> equal to the object's id, and <c>objectSequence</c> 1, 2, 3 … in the order the changes committed.
/// </summary>
public static class EventsApi
{
    /// <summary>The events of one object (of one type, if given), oldest first, each checked for its shape and object id.</summary>
    public static async Task<IReadOnlyList<JsonElement>> EventsOfAsync(this HttpClient client, string objectId, string? type = null)
    {
        var path = $"/v1/events?objectId={Uri.EscapeDataString(objectId)}{(type is null ? "" : "&type=" + Uri.EscapeDataString(type))}&limit=100";
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {text}");
        }

        var page = JsonDocument.Parse(text).RootElement.Clone();
        if (page.GetProperty("hasMore").GetBoolean())
        {
            throw new InvalidOperationException($"More than 100 events of {objectId}: {text}");
        }

        var newestFirst = page.GetProperty("data").EnumerateArray().ToList();
        foreach (var e in newestFirst)
        {
            Expect(e.GetProperty("id").GetString()!.StartsWith("evt_", StringComparison.Ordinal), "an event id starts with evt_", e.ToString());
            Expect(type is null || e.GetProperty("type").GetString() == type, $"type is {type}", e.ToString());
            Expect(e.GetProperty("data").GetProperty("object").GetProperty("id").GetString() == objectId, $"data.object.id is {objectId}", e.ToString());
        }

        newestFirst.Reverse();
        return newestFirst;
    }

    /// <summary>
    /// The types of every event of one object, oldest first, after checking that the object's events are numbered
    /// 1, 2, 3 … (and listed newest first).
    /// </summary>
    public static async Task<IReadOnlyList<string>> EventTypesOfAsync(this HttpClient client, string objectId)
    {
        var events = await client.EventsOfAsync(objectId);
        var sequences = events.Select(e => e.GetProperty("objectSequence").GetInt64()).ToList();
        Expect(sequences.SequenceEqual(Enumerable.Range(1, events.Count).Select(n => (long)n)),
            $"objectSequence runs 1..{events.Count} oldest first, not {string.Join(", ", sequences.Select(s => s.ToString(CultureInfo.InvariantCulture)))}", Dump(events));
        return events.Select(e => e.GetProperty("type").GetString()!).ToList();
    }

    /// <summary>The one event of this type for the object (there must be exactly one); its <c>data.object</c>.</summary>
    public static async Task<JsonElement> SingleEventObjectAsync(this HttpClient client, string objectId, string type)
    {
        var events = await client.EventsOfAsync(objectId, type);
        Expect(events.Count == 1, $"exactly one {type} event of {objectId}, not {events.Count}", Dump(events));
        return events[0].GetProperty("data").GetProperty("object");
    }

    /// <summary>The same JSON value (property order and formatting aside): an event's object against what the API answered.</summary>
    public static void AssertSameJson(JsonElement expected, JsonElement actual) =>
        Expect(JsonElement.DeepEquals(expected, actual), expected.ToString(), actual.ToString());

    private static string Dump(IEnumerable<JsonElement> events) => string.Join("\n", events.Select(e => e.ToString()));

    private static void Expect(bool condition, string what, string actual)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Expected {what}; got {actual}");
        }
    }
}
