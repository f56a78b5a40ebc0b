using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Payouts.PayPeriods;
using Obol.Testing;

namespace Obol.Payouts.Engine.Tests.Support;

public sealed record Ev(string EventId, string CourierId, string OrderId, string Status, string OccurredAt);

/// <summary>The real server on a fresh database with a fake clock and the background sweep off.</summary>
public sealed class EngineServer : IAsyncDisposable
{
    private EngineServer(ObolTestServer server, FakeTimeProvider clock)
    {
        Server = server;
        Clock = clock;
        Client = server.CreateClient();
    }

    public ObolTestServer Server { get; }
    public FakeTimeProvider Clock { get; }
    public HttpClient Client { get; }

    public Database Database => Server.GetRequiredService<Database>();

    /// <summary>The merchant the test client's key belongs to.</summary>
    public static string MerchantId => ApiKeys.DefaultMerchantId;

    public static async Task<EngineServer> StartAsync(DatabaseProvider provider, string now = "2027-01-01T00:00:00Z")
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        var server = await ObolTestServer.StartAsync(provider, builder =>
        {
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.AddSingleton(new PayoutsOptions { BackgroundSweep = false, CloseGracePeriod = TimeSpan.FromDays(2), AcceptedTimeout = TimeSpan.FromHours(4) });
        });
        return new EngineServer(server, clock);
    }

    public void SetNow(string instant) => Clock.SetUtcNow(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

    public async Task<JsonElement> PutCourierAsync(
        string id, string timeZone, long rate, long bonus = 0, long perBonus = 10, long? cancellation = null, string? startDay = null, string currency = "USD", string? effectiveAt = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["timeZone"] = timeZone,
            ["currency"] = currency,
            ["basePayRate"] = rate,
            ["bonusPay"] = bonus,
            ["deliveriesPerBonus"] = perBonus,
        };
        if (cancellation is not null)
        {
            body["cancellationPay"] = cancellation;
        }

        if (startDay is not null)
        {
            body["payPeriodStartDay"] = startDay;
        }

        if (effectiveAt is not null)
        {
            body["effectiveAt"] = effectiveAt;
        }

        var response = await Client.PutAsync($"/v1/couriers/{id}", JsonContent(body));
        var json = await response.ReadJsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    public async Task<JsonElement> PostEventsAsync(params Ev[] events)
    {
        var response = await Client.PostJsonAsync("/v1/delivery-events", new { events });
        var json = await response.ReadJsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    public async Task<JsonElement> EarningsAsync(string courierId, string from, string to)
    {
        var response = await Client.GetAsync($"/v1/couriers/{courierId}/earnings?from={from}&to={to}");
        var json = await response.ReadJsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        var json = await response.ReadJsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    public async Task<JsonElement> PostAsync(string path, string body = "{}")
    {
        var response = await Client.PostJsonAsync(path, body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    public async Task<JsonElement[]> PayPeriodsAsync(string courierId) =>
        (await GetJsonAsync($"/v1/pay-periods?courierId={courierId}&limit=100")).GetProperty("data").EnumerateArray().ToArray();

    public async Task<JsonElement> PayPeriodContainingAsync(string courierId, string date) =>
        (await PayPeriodsAsync(courierId)).Single(p =>
            string.CompareOrdinal(p.GetProperty("startDate").GetString(), date) <= 0
            && string.CompareOrdinal(p.GetProperty("endDate").GetString(), date) > 0);

    public async Task<JsonElement[]> AnomaliesAsync(string courierId, string? status = null) =>
        (await GetJsonAsync($"/v1/couriers/{courierId}/anomalies?limit=100{(status is null ? "" : "&status=" + status)}")).GetProperty("data").EnumerateArray().ToArray();

    /// <summary>
    /// Every raw event is listed by its order's delivery row, and the rows list nothing else (as many ids as raw events):
    /// the lists are what the engine finds an order's events by.
    /// </summary>
    public async Task AssertRowsListEveryRawEventAsync()
    {
        var (unlisted, listed, raw) = await Database.ReadAsync(async s =>
        {
            var unlisted = await s.ExecuteScalarAsync<long>(s.Sql(
                """
                SELECT count(*) FROM delivery_events e
                LEFT JOIN deliveries d ON d.courier_key = e.courier_key AND d.order_id = e.order_id
                WHERE d.order_id IS NULL OR instr(' ' || d.event_ids || ' ', ' ' || e.event_id || ' ') = 0
                """,
                """
                SELECT count(*) FROM delivery_events e
                LEFT JOIN deliveries d ON d.courier_key = e.courier_key AND d.order_id = e.order_id
                WHERE d.order_id IS NULL OR strpos(' ' || d.event_ids || ' ', ' ' || e.event_id || ' ') = 0
                """));
            var listed = await s.ExecuteScalarAsync<long>(
                "SELECT coalesce(sum(length(event_ids) - length(replace(event_ids, ' ', '')) + 1), 0) FROM deliveries WHERE event_ids <> ''");
            var raw = await s.ExecuteScalarAsync<long>("SELECT count(*) FROM delivery_events");
            return (unlisted, listed, raw);
        }, CancellationToken.None);
        Assert.Equal(0, unlisted);
        Assert.Equal(raw, listed);
    }

    public static Ev Accepted(string courier, string order, string at, string? id = null) => new(id ?? $"{order}-a", courier, order, "accepted", at);

    public static Ev Fulfilled(string courier, string order, string at, string? id = null) => new(id ?? $"{order}-f", courier, order, "fulfilled", at);

    public static Ev Cancelled(string courier, string order, string at, string? id = null) => new(id ?? $"{order}-c", courier, order, "cancelled", at);

    private static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), System.Text.Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

public static class JsonAssertions
{
    public static long Num(this JsonElement e, string property) => e.GetProperty(property).GetInt64();

    public static string Str(this JsonElement e, string property) => e.GetProperty(property).GetString()!;

    public static JsonElement[] Array(this JsonElement e, string property) => e.GetProperty(property).EnumerateArray().ToArray();
}
