using System.Net;
using Obol.Core.Storage;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

public class IngestionTests
{
    [Theory]
    [BothDatabases]
    public async Task A_replayed_batch_counts_as_duplicates_and_changes_nothing(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("d1", "UTC", rate: 30, bonus: 200, perBonus: 2);
        Ev[] batch =
        [
            Accepted("d1", "O1", "2027-05-03T09:00:00Z"), Fulfilled("d1", "O1", "2027-05-03T09:10:00Z"),
            Accepted("d1", "O2", "2027-05-03T09:20:30Z"), Fulfilled("d1", "O2", "2027-05-03T09:30:59Z"),
        ];
        var first = await engine.PostEventsAsync(batch);
        Assert.Equal(4, first.Num("accepted"));
        var before = (await engine.EarningsAsync("d1", "2027-05-03", "2027-05-03")).ToString();

        var again = await engine.PostEventsAsync(batch);
        Assert.Equal(0, again.Num("accepted"));
        Assert.Equal(4, again.Num("duplicates"));
        Assert.Empty(again.Array("rejected"));
        var after = await engine.EarningsAsync("d1", "2027-05-03", "2027-05-03");
        Assert.Equal(before, after.ToString());
        // Seed example 1 (11 + 11 minutes × 30) plus one bonus for two deliveries.
        Assert.Equal(660, after.Num("basePay"));
        Assert.Equal(200, after.Num("bonusPay"));
        Assert.Equal(860, after.Num("total"));
    }

    [Theory]
    [BothDatabases]
    public async Task Order_of_arrival_does_not_matter(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("d3", "UTC", rate: 25, bonus: 150, perBonus: 2);
        // Seed example 3, split across calls with ends before starts.
        await engine.PostEventsAsync(Fulfilled("d3", "O20", "2027-05-03T10:05:00Z"), Accepted("d3", "O21", "2027-05-03T10:08:00Z"));
        await engine.PostEventsAsync(Accepted("d3", "O20", "2027-05-03T10:00:00Z"), Fulfilled("d3", "O21", "2027-05-03T10:10:00Z"));
        var earnings = await engine.EarningsAsync("d3", "2027-05-03", "2027-05-03");
        Assert.Equal(375, earnings.Num("total"));
        Assert.Equal(375, earnings.Num("totalToDate"));
    }

    [Theory]
    [BothDatabases]
    public async Task Same_event_id_with_other_content_is_rejected_and_recorded_while_the_rest_of_the_batch_lands(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "o1", "2027-05-03T09:00:00Z", id: "e1"));

        var result = await engine.PostEventsAsync(
            Accepted("c", "o1", "2027-05-03T09:00:00+00:00", id: "e1"), // same instant, other spelling: a duplicate
            Accepted("c", "o1", "2027-05-03T09:05:00Z", id: "e1"), // other content: a conflict
            Fulfilled("c", "o1", "2027-05-03T09:09:00Z", id: "e2"),
            Fulfilled("c", "o1", "2027-05-03T09:09:00Z", id: "e2"), // within the batch: a duplicate
            Fulfilled("c", "o2", "2027-05-03T09:09:00Z", id: "e2")); // within the batch, other content: a conflict
        Assert.Equal(1, result.Num("accepted"));
        Assert.Equal(2, result.Num("duplicates"));
        var rejected = result.Array("rejected");
        Assert.Equal(2, rejected.Length);
        Assert.All(rejected, r => Assert.Equal("event_id_conflict", r.Str("code")));
        Assert.Equal(["e1", "e2"], rejected.Select(r => r.Str("eventId")));

        var line = Assert.Single((await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Array("lineItems"));
        Assert.Equal(10, line.Num("minutes"));
        var anomalies = await engine.AnomaliesAsync("c");
        // Both stay open: o1 re-derived in the same batch does not clear what was recorded about the reused ids.
        Assert.Equal(2, anomalies.Count(a => a.Str("kind") == "conflicting_duplicate" && a.Str("status") == "open"));
    }

    [Theory]
    [BothDatabases]
    public async Task A_bad_event_is_rejected_on_its_own(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        var result = await engine.PostEventsAsync(
            Accepted("c", "o1", "2027-05-03T09:00:00Z"),
            Accepted("c", "o2", "2027-05-03T09:00:00", id: "no-offset"),
            new Ev("bad-status", "c", "o3", "delivered", "2027-05-03T09:00:00Z"),
            Accepted("nobody", "o4", "2027-05-03T09:00:00Z", id: "unknown"),
            new Ev("", "c", "o5", "accepted", "2027-05-03T09:00:00Z"));
        Assert.Equal(1, result.Num("accepted"));
        var codes = result.Array("rejected").Select(r => (r.GetProperty("eventId").GetString(), r.Str("code"))).ToList();
        Assert.Equal([("no-offset", "invalid_event"), ("bad-status", "invalid_event"), ("unknown", "unknown_courier"), ("", "invalid_event")], codes);
    }

    [Theory]
    [BothDatabases]
    public async Task Batch_level_problems_are_400_and_change_nothing(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        var tooMany = Enumerable.Range(0, 1001).Select(i => Accepted("c", $"o{i}", "2027-05-03T09:00:00Z")).ToArray();
        await (await engine.Client.PostJsonAsync("/v1/delivery-events", new { events = tooMany })).ReadProblemAsync(400, "too_many_events");
        await (await engine.Client.PostJsonAsync("/v1/delivery-events", """{"events": [ {"eventId": "x" """)).ReadProblemAsync(400, "malformed_json");
        await (await engine.Client.PostJsonAsync("/v1/delivery-events", "{}")).ReadProblemAsync(400, "validation_failed");

        var exactly = Enumerable.Range(0, 1000).Select(i => Accepted("c", $"o{i}", "2027-05-03T09:00:00Z")).ToArray();
        Assert.Equal(1000, (await engine.PostEventsAsync(exactly)).Num("accepted"));
    }

    [Theory]
    [BothDatabases]
    public async Task Events_need_the_api_key_and_are_scoped_to_the_merchant(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        using var anonymous = engine.Server.CreateClient(apiKey: null);
        await (await anonymous.PostJsonAsync("/v1/delivery-events", new { events = System.Array.Empty<Ev>() })).ReadProblemAsync(401, "unauthenticated");
        await (await anonymous.GetAsync("/v1/couriers/c/earnings?from=2027-05-03&to=2027-05-03")).ReadProblemAsync(401, "unauthenticated");

        var apiKeys = engine.Server.GetRequiredService<Obol.Core.Merchants.ApiKeys>();
        var other = await apiKeys.CreateMerchantAsync("other", CancellationToken.None);
        var key = await apiKeys.IssueAsync(other.Id, "test", null, CancellationToken.None);
        using var otherClient = engine.Server.CreateClient(key.Secret);
        await (await otherClient.GetAsync("/v1/couriers/c")).ReadProblemAsync(404, "not_found");
        var response = await otherClient.PostJsonAsync("/v1/delivery-events", new { events = new[] { Accepted("c", "o1", "2027-05-03T09:00:00Z") } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("unknown_courier", Assert.Single((await response.ReadJsonAsync()).Array("rejected")).Str("code"));
    }

    [Theory]
    [BothDatabases]
    public async Task Raw_events_are_kept_append_only_even_when_they_conflict(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "o1", "2027-05-03T09:00:00Z"), Accepted("c", "o1", "2027-05-03T09:01:00Z", id: "again"));
        var database = engine.Server.GetRequiredService<Database>();
        var count = await database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM delivery_events"), CancellationToken.None);
        Assert.Equal(2, count);
    }

    [Theory]
    [BothDatabases]
    public async Task A_day_that_loses_its_only_delivery_to_an_earlier_fulfillment_is_emptied(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "O1", "2027-05-03T23:50:00Z"), Fulfilled("c", "O1", "2027-05-04T00:10:00Z"));
        Assert.Single((await engine.EarningsAsync("c", "2027-05-04", "2027-05-04")).Array("days"));

        // A second fulfillment, earlier, under another id: the earliest counts, so the delivery moves to the 3rd.
        await engine.PostEventsAsync(Fulfilled("c", "O1", "2027-05-03T23:55:00Z", id: "O1-f2"));
        var fourth = await engine.EarningsAsync("c", "2027-05-04", "2027-05-04");
        Assert.Empty(fourth.Array("days"));
        Assert.Equal(0, fourth.Num("total"));
        var third = await engine.EarningsAsync("c", "2027-05-03", "2027-05-03");
        Assert.Equal(60, Assert.Single(third.Array("days")).Num("basePay"));
        Assert.Equal(60, third.Num("totalToDate"));
    }
}
