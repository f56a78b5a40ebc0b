using System.Net;
using System.Text.Json;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Scheduling.Tests;

public class ApiTests
{
    private const string Payment = """ "amount": 1500, "currency": "USD", "paymentMethod": "pm_card_visa" """;

    private static string Body(string timing) => $$"""{ {{Payment}}, {{timing}} }""";

    internal static async Task<JsonElement> CreateAsync(HttpClient client, string json, string? key = null)
    {
        var response = await client.PostJsonAsync("/v1/scheduled-payments", json, key ?? Guid.NewGuid().ToString("N"));
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Expected 201, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return await response.ReadJsonAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Creating_returns_the_schedule_and_the_same_key_replays_it(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var json = """
            { "amount": 2500, "currency": "EUR", "paymentMethod": "pm_card_visa", "captureMethod": "manual", "description": "rent",
              "metadata": { "order": "42" }, "executeAt": "2027-02-01T10:00:00+01:00" }
            """;

        var first = await client.PostJsonAsync("/v1/scheduled-payments", json, "key-1");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var created = await first.ReadJsonAsync();
        var id = created.GetProperty("id").GetString()!;
        Assert.StartsWith("sp_", id, StringComparison.Ordinal);
        Assert.Equal($"/v1/scheduled-payments/{id}", first.Headers.Location!.ToString());
        Assert.Equal("scheduled", created.GetProperty("status").GetString());
        Assert.Equal("2027-02-01T09:00:00Z", created.GetProperty("executeAt").GetString());
        Assert.Equal("2027-02-01T09:00:00Z", created.GetProperty("nextAttemptAt").GetString());
        Assert.Equal("manual", created.GetProperty("captureMethod").GetString());
        Assert.Equal("42", created.GetProperty("metadata").GetProperty("order").GetString());
        Assert.Equal(0, created.GetProperty("attempts").GetInt32());
        Assert.Equal(0, created.GetProperty("payments").GetArrayLength());

        var replay = await client.PostJsonAsync("/v1/scheduled-payments", json, "key-1");
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(id, (await replay.ReadJsonAsync()).GetProperty("id").GetString());

        await (await client.PostJsonAsync("/v1/scheduled-payments", json.Replace("2500", "2600", StringComparison.Ordinal), "key-1"))
            .ReadProblemAsync(422, "idempotency_key_reused");
        await (await client.PostJsonAsync("/v1/scheduled-payments", json)).ReadProblemAsync(400, "idempotency_key_required");

        var fetched = await (await client.GetAsync($"/v1/scheduled-payments/{id}")).ReadJsonAsync();
        Assert.Equal(created.ToString(), fetched.ToString());
        var list = await (await client.GetAsync("/v1/scheduled-payments")).ReadJsonAsync();
        Assert.Equal(1, list.GetProperty("data").GetArrayLength());

        var history = await (await client.GetAsync($"/v1/scheduled-payments/{id}/history")).ReadJsonAsync();
        Assert.Equal("created", history.GetProperty("data")[0].GetProperty("reason").GetString());
    }

    [Theory]
    [BothDatabases("2027-03-14T02:30:00", "2027-03-14T07:30:00Z")]
    [BothDatabases("2027-11-07T01:30", "2027-11-07T05:30:00Z")]
    public async Task A_local_time_is_stored_with_its_zone_and_resolved_leniently(DatabaseProvider provider, string local, string expected)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var created = await CreateAsync(client, Body($$""" "localDateTime": "{{local}}", "timeZone": "America/New_York" """));

        Assert.Equal(expected, created.GetProperty("executeAt").GetString());
        Assert.Equal("America/New_York", created.GetProperty("timeZone").GetString());
        Assert.StartsWith(local[..16], created.GetProperty("localDateTime").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [BothDatabases]
    public async Task Every_invalid_request_is_refused_with_its_code_and_changes_nothing(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        const string at = """ "executeAt": "2027-02-01T00:00:00Z" """;

        async Task<JsonElement> Refused(string json, string code) =>
            await (await client.PostJsonAsync("/v1/scheduled-payments", json, Guid.NewGuid().ToString("N"))).ReadProblemAsync(400, code);

        async Task Field(string json, string field) =>
            Assert.True((await Refused(json, "validation_failed")).GetProperty("errors").TryGetProperty(field, out _), $"{field} in {json}");

        await Field($$"""{ "amount": 0, "currency": "USD", "paymentMethod": "pm_card_visa", {{at}} }""", "amount");
        await Field($$"""{ "amount": -5, "currency": "USD", "paymentMethod": "pm_card_visa", {{at}} }""", "amount");
        await Field($$"""{ "currency": "USD", "paymentMethod": "pm_card_visa", {{at}} }""", "amount");
        await Field($$"""{ "amount": 100, "currency": "usd", "paymentMethod": "pm_card_visa", {{at}} }""", "currency");
        await Field($$"""{ "amount": 100, "currency": "XYZ", "paymentMethod": "pm_card_visa", {{at}} }""", "currency");
        await Field($$"""{ {{Payment}}, "description": "a\u0000b", {{at}} }""", "description");
        await Field($$"""{ {{Payment}}, "metadata": { "order": "a\u0000b" }, {{at}} }""", "metadata.order");
        await Field($$"""{ "amount": 100, "paymentMethod": "pm_card_visa", {{at}} }""", "currency");
        await Field($$"""{ "amount": 100, "currency": "USD", {{at}} }""", "paymentMethod");
        await Field($$"""{ "amount": 100, "currency": "USD", "paymentMethod": "pm_card_visa", "captureMethod": "later", {{at}} }""", "captureMethod");
        await Field(Body(""" "executeAt": "tomorrow" """), "executeAt");
        await Field(Body(""" "executeAt": "2027-02-01T00:00:00" """), "executeAt");
        await Field(Body(""" "localDateTime": "2027-02-30T09:00", "timeZone": "Europe/Paris" """), "localDateTime");
        await Field(Body($$"""{{at}}, "recurrence": { "frequency": "hourly", "count": 2 }"""), "recurrence.frequency");
        await Field(Body($$"""{{at}}, "recurrence": { "frequency": "daily" }"""), "recurrence");
        await Field(Body($$"""{{at}}, "recurrence": { "frequency": "daily", "count": 2, "until": "2027-03-01T00:00:00Z" }"""), "recurrence");
        await Field(Body($$"""{{at}}, "recurrence": { "frequency": "daily", "count": 0 }"""), "recurrence.count");
        await Field(Body($$"""{{at}}, "recurrence": { "frequency": "daily", "interval": 0, "count": 2 }"""), "recurrence.interval");
        await Field(Body($$"""{{at}}, "recurrence": { "frequency": "daily", "until": "2027-01-31T00:00:00Z" }"""), "recurrence.until");

        await Field($$"""{ "amount": 10.5, "currency": "USD", "paymentMethod": "pm_card_visa", {{at}} }""", "amount");
        await Field($$"""{ "amount": "100", "currency": "USD", "paymentMethod": "pm_card_visa", {{at}} }""", "amount");
        await Refused(Body($$"""{{at}}, "priority": "high" """), "unknown_field");
        await Refused($$"""{ "amount": 100, "currency": "USD", "paymentMethod": "4242424242424242", {{at}} }""", "card_number_not_allowed");
        await Refused(Body(""" "description": "no time" """), "schedule_time_required");
        await Refused(Body(""" "executeAt": "2027-02-01T00:00:00Z", "localDateTime": "2027-02-01T09:00" """), "schedule_time_conflict");
        await Refused(Body(""" "executeAt": "2027-02-01T00:00:00Z", "timeZone": "Europe/Paris" """), "schedule_time_conflict");
        await Refused(Body(""" "localDateTime": "2027-02-01T09:00" """), "time_zone_required");
        await Refused(Body(""" "timeZone": "Europe/Paris" """), "local_date_time_required");
        await Refused(Body(""" "localDateTime": "2027-02-01T09:00", "timeZone": "Mars/Olympus_Mons" """), "unknown_time_zone");
        await Refused(Body(""" "localDateTime": "2027-02-01T09:00", "timeZone": "EST5EDT_nope" """), "unknown_time_zone");
        await Refused(Body(""" "executeAt": "2027-01-04T11:59:00Z" """), "execute_at_in_past");
        await Refused(Body(""" "localDateTime": "2027-01-04T06:00", "timeZone": "America/New_York" """), "execute_at_in_past");
        await Refused(Body(""" "executeAt": "2032-01-04T12:00:01Z" """), "execute_at_too_far");

        var list = await (await client.GetAsync("/v1/scheduled-payments")).ReadJsonAsync();
        Assert.Equal(0, list.GetProperty("data").GetArrayLength());

        // Within the tolerance for clock skew, a moment ago is accepted (and due at once); five years to the second is accepted.
        await CreateAsync(client, Body(""" "executeAt": "2027-01-04T11:59:45Z" """));
        await CreateAsync(client, Body(""" "executeAt": "2032-01-04T12:00:00Z" """));
    }

    [Theory]
    [BothDatabases]
    public async Task Lists_are_newest_first_in_cursor_pages_and_filter_by_status(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            s.Clock.Advance(TimeSpan.FromMilliseconds(2));
            ids.Add((await CreateAsync(client, Body(""" "executeAt": "2027-02-01T00:00:00Z" """))).GetProperty("id").GetString()!);
        }

        await client.PostAsync($"/v1/scheduled-payments/{ids[1]}/cancel", null);
        await client.PostAsync($"/v1/scheduled-payments/{ids[3]}/cancel", null);

        var page1 = await (await client.GetAsync("/v1/scheduled-payments?limit=2")).ReadJsonAsync();
        Assert.Equal([ids[4], ids[3]], page1.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList());
        Assert.True(page1.GetProperty("hasMore").GetBoolean());
        var page2 = await (await client.GetAsync($"/v1/scheduled-payments?limit=2&startingAfter={ids[3]}")).ReadJsonAsync();
        Assert.Equal([ids[2], ids[1]], page2.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList());
        var page3 = await (await client.GetAsync($"/v1/scheduled-payments?limit=2&startingAfter={ids[1]}")).ReadJsonAsync();
        Assert.Equal([ids[0]], page3.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList());
        Assert.False(page3.GetProperty("hasMore").GetBoolean());

        var cancelled = await (await client.GetAsync("/v1/scheduled-payments?status=cancelled")).ReadJsonAsync();
        Assert.Equal([ids[3], ids[1]], cancelled.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList());

        await (await client.GetAsync("/v1/scheduled-payments?status=done")).ReadProblemAsync(400, "validation_failed");
        await (await client.GetAsync("/v1/scheduled-payments?limit=101")).ReadProblemAsync(400, "validation_failed");
    }

    [Theory]
    [BothDatabases]
    public async Task Cancel_works_only_while_scheduled_and_retry_only_when_dead_lettered(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        using var client = s.CreateClient();
        var id = (await CreateAsync(client, Body(""" "executeAt": "2027-02-01T00:00:00Z" """))).GetProperty("id").GetString();

        await (await client.PostAsync($"/v1/scheduled-payments/{id}/retry", null)).ReadProblemAsync(409, "invalid_state_transition");
        var cancel = await client.PostAsync($"/v1/scheduled-payments/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await cancel.ReadJsonAsync()).GetProperty("status").GetString());
        await (await client.PostAsync($"/v1/scheduled-payments/{id}/cancel", null)).ReadProblemAsync(409, "invalid_state_transition");
        await (await client.PostAsync($"/v1/scheduled-payments/{id}/retry", null)).ReadProblemAsync(409, "invalid_state_transition");

        await (await client.GetAsync("/v1/scheduled-payments/sp_nothere")).ReadProblemAsync(404, "not_found");
        await (await client.PostAsync("/v1/scheduled-payments/sp_0000000000000000000000000a/cancel", null)).ReadProblemAsync(404, "not_found");

        // A cancelled schedule is never executed.
        s.Clock.Advance(TimeSpan.FromDays(40));
        Assert.Equal(0, (await s.Runner.RunOnceAsync(CancellationToken.None)).Claimed);
        Assert.Equal(0, s.Executor.CallCount);

        var history = await (await client.GetAsync($"/v1/scheduled-payments/{id}/history")).ReadJsonAsync();
        Assert.Equal(["created", "cancelled_by_merchant"], history.GetProperty("data").EnumerateArray().Select(h => h.GetProperty("reason").GetString()!).ToList());
    }

    [Theory]
    [BothDatabases]
    public async Task Another_merchants_schedule_is_not_found(DatabaseProvider provider)
    {
        await using var s = await SchedulingServer.StartAsync(provider);
        var apiKeys = s.Server.GetRequiredService<ApiKeys>();
        var merchantB = await apiKeys.CreateMerchantAsync("B", CancellationToken.None);
        var keyB = await apiKeys.IssueAsync(merchantB.Id, "test", null, CancellationToken.None);
        using var clientA = s.CreateClient();
        using var clientB = s.Server.CreateClient(keyB.Secret);
        var id = (await CreateAsync(clientA, Body(""" "executeAt": "2027-02-01T00:00:00Z" """))).GetProperty("id").GetString();

        await (await clientB.GetAsync($"/v1/scheduled-payments/{id}")).ReadProblemAsync(404, "not_found");
        await (await clientB.GetAsync($"/v1/scheduled-payments/{id}/history")).ReadProblemAsync(404, "not_found");
        await (await clientB.PostAsync($"/v1/scheduled-payments/{id}/cancel", null)).ReadProblemAsync(404, "not_found");
        await (await clientB.PostAsync($"/v1/scheduled-payments/{id}/retry", null)).ReadProblemAsync(404, "not_found");
        Assert.Equal(0, (await (await clientB.GetAsync("/v1/scheduled-payments")).ReadJsonAsync()).GetProperty("data").GetArrayLength());
        Assert.Equal("scheduled", (await (await clientA.GetAsync($"/v1/scheduled-payments/{id}")).ReadJsonAsync()).GetProperty("status").GetString());

        using var anonymous = s.Server.CreateClient(apiKey: null);
        await (await anonymous.GetAsync("/v1/scheduled-payments")).ReadProblemAsync(401, "unauthenticated");
    }

    [Fact]
    public async Task The_openapi_document_describes_the_scheduled_payment_endpoints()
    {
        await using var s = await SchedulingServer.StartAsync(DatabaseProvider.Sqlite);
        using var client = s.CreateClient();
        var document = await (await client.GetAsync("/openapi/v1.json")).ReadJsonAsync();
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/v1/scheduled-payments", "/v1/scheduled-payments/{id}", "/v1/scheduled-payments/{id}/cancel", "/v1/scheduled-payments/{id}/retry", "/v1/scheduled-payments/{id}/history" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }
    }
}
