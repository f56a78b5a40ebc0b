using Obol.Core.Storage;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

/// <summary>
/// Dates and instants at the edges of what .NET and the databases represent: each bad one is a 400 with a field error
/// (or, in an event batch, that event's rejection), never an internal error, and nothing of it is applied.
/// </summary>
public class InputEdgeTests
{
    public static readonly TheoryData<string> UnacceptedInstants =
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59Z",
        "1969-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
        "2027-05-03T09:00:00Z\u0000",
        "2027-05-03T09:00:00Zjunk",
        "2027-05-03T09:00:00",
        "2027-05-03",
    ];

    [Theory]
    [BothDatabases]
    public async Task An_event_at_an_unaccepted_instant_is_rejected_in_its_place_while_the_rest_of_the_batch_lands(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "Pacific/Kiritimati", rate: 10);
        var bad = UnacceptedInstants.Select((row, i) => new Ev($"bad-{i}", "c", $"o{i}", "accepted", row.Data)).ToArray();

        var result = await engine.PostEventsAsync([Accepted("c", "ok", "2027-05-03T09:00:00Z"), .. bad, Fulfilled("c", "ok", "2027-05-03T09:09:00Z")]);

        var rejected = result.Array("rejected");
        Assert.Equal(bad.Select(e => e.EventId), rejected.Select(r => r.Str("eventId")));
        Assert.Equal(2, result.Num("accepted"));
        Assert.All(rejected, r => Assert.Equal("invalid_event", r.Str("code")));
        Assert.All(rejected, r => Assert.Contains("1970 and 2999", r.Str("detail"), StringComparison.Ordinal));
        Assert.Equal(100, (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Num("total"));
        await engine.AssertRowsListEveryRawEventAsync();
    }

    [Theory]
    [BothDatabases("0001-01-01", "0001-01-01")]
    [BothDatabases("9999-12-31", "9999-12-31")]
    [BothDatabases("1969-12-31", "1970-01-01")]
    [BothDatabases("2999-12-31", "3000-01-01")]
    [BothDatabases("2027-05-03\u0000", "2027-05-03")]
    [BothDatabases("2027-05-03x", "2027-05-04")]
    [BothDatabases("+2027-05-03", "2027-05-04")]
    public async Task Earnings_and_recompute_ranges_outside_the_accepted_dates_are_field_errors(DatabaseProvider provider, string from, string to)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "Pacific/Kiritimati", rate: 10);
        var query = $"from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}";

        var earnings = await (await engine.Client.GetAsync($"/v1/couriers/c/earnings?{query}")).ReadProblemAsync(400, "validation_failed");
        var recompute = await (await engine.Client.PostJsonAsync($"/v1/couriers/c/recompute?{query}", "{}")).ReadProblemAsync(400, "validation_failed");

        Assert.True(earnings.GetProperty("errors").EnumerateObject().Any() && recompute.GetProperty("errors").EnumerateObject().Any());
    }

    [Theory]
    [BothDatabases("2999-12-18", "2999-12-31")]
    [BothDatabases("1970-01-01", "1970-01-14")]
    public async Task The_first_and_last_accepted_dates_are_answered(DatabaseProvider provider, string from, string to)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "Pacific/Kiritimati", rate: 10);

        Assert.Equal(0, (await engine.EarningsAsync("c", from, to)).Num("total"));
        await engine.PostAsync($"/v1/couriers/c/recompute?from={from}&to={to}");
    }

    [Theory]
    [BothDatabases("0001-01-01T00:00:00+14:00")]
    [BothDatabases("9999-12-31T23:59:59-14:00")]
    [BothDatabases("2027-05-03T09:00:00Z\u0000")]
    [BothDatabases("2027-05-03T09:00:00")]
    public async Task An_anomaly_resolved_with_an_unaccepted_instant_stays_open(DatabaseProvider provider, string acceptedAt)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Fulfilled("c", "o1", "2027-05-03T09:09:00Z"));
        var anomaly = Assert.Single(await engine.AnomaliesAsync("c"));

        var body = System.Text.Json.JsonSerializer.Serialize(new { acceptedAt });
        var problem = await (await engine.Client.PostJsonAsync($"/v1/couriers/c/anomalies/{anomaly.Str("id")}/resolve", body)).ReadProblemAsync(400, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty("acceptedAt", out _));
        Assert.Equal("open", Assert.Single(await engine.AnomaliesAsync("c")).Str("status"));
        Assert.Equal(0, (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Num("total"));
    }
}
