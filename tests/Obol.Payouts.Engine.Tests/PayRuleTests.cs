using System.Text.Json;
using Obol.Core.Storage;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

public class PayRuleTests
{
    [Theory]
    [BothDatabases]
    public async Task Seconds_are_floored_to_the_utc_minute_and_both_ends_are_included(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "Asia/Kolkata", rate: 3, currency: "INR");
        await engine.PostEventsAsync(
            Accepted("c", "same-minute", "2027-05-03T09:00:00Z"), Fulfilled("c", "same-minute", "2027-05-03T09:00:59.999Z"),
            Accepted("c", "two-minutes", "2027-05-03T09:00:59Z"), Fulfilled("c", "two-minutes", "2027-05-03T09:01:00Z"));
        var lines = (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Array("lineItems").ToDictionary(l => l.Str("orderId"));
        Assert.Equal(1, lines["same-minute"].Num("minutes"));
        Assert.Equal(2, lines["two-minutes"].Num("minutes"));
        Assert.Equal(6, lines["two-minutes"].Num("amount"));
    }

    [Theory]
    [BothDatabases]
    public async Task Bonus_is_per_local_day(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("d4", "America/New_York", rate: 50, bonus: 120, perBonus: 2);
        // Seed example 4: five one-minute deliveries on one local day → two bonuses.
        var events = Enumerable.Range(0, 5).SelectMany(i => new[]
        {
            Accepted("d4", $"O{i}", $"2027-05-03T08:{i * 10:D2}:00-04:00"),
            Fulfilled("d4", $"O{i}", $"2027-05-03T08:{i * 10:D2}:00-04:00"),
        }).ToList();
        // One more on 2027-05-04 in UTC but 2027-05-03 in New York.
        events.Add(Accepted("d4", "late", "2027-05-04T02:00:00Z"));
        events.Add(Fulfilled("d4", "late", "2027-05-04T02:00:00Z"));
        await engine.PostEventsAsync([.. events]);
        var day = Assert.Single((await engine.EarningsAsync("d4", "2027-05-03", "2027-05-04")).Array("days"));
        Assert.Equal(6, day.Num("deliveries"));
        Assert.Equal(300, day.Num("basePay"));
        Assert.Equal(360, day.Num("bonusPay"));
    }

    [Theory]
    [BothDatabases]
    public async Task Cancelled_after_accept_pays_the_cancellation_pay_and_before_accept_nothing(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10, cancellation: 250);
        await engine.PostEventsAsync(
            Accepted("c", "paid", "2027-05-03T09:00:00Z"), Cancelled("c", "paid", "2027-05-03T09:30:00Z"),
            Cancelled("c", "unaccepted", "2027-05-03T09:30:00Z"));
        var earnings = await engine.EarningsAsync("c", "2027-05-03", "2027-05-03");
        var line = Assert.Single(earnings.Array("lineItems"));
        Assert.Equal("cancellation", line.Str("kind"));
        Assert.Equal(250, line.Num("amount"));
        Assert.Equal(250, earnings.Num("cancellationPay"));
        Assert.Equal(0, earnings.Num("basePay"));
        Assert.Equal(250, earnings.Num("total"));
    }

    [Theory]
    [BothDatabases]
    public async Task A_rule_change_applies_to_deliveries_fulfilled_after_it(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-05-03T08:00:00Z");
        var v1 = await engine.PutCourierAsync("c", "UTC", rate: 10);
        Assert.Equal(1, v1.GetProperty("version").GetInt32());
        await engine.PostEventsAsync(
            Accepted("c", "before", "2027-05-03T09:00:00Z"), Fulfilled("c", "before", "2027-05-03T09:09:00Z"),
            Accepted("c", "straddles", "2027-05-03T11:50:00Z"), Fulfilled("c", "straddles", "2027-05-03T12:09:00Z"));

        engine.SetNow("2027-05-03T12:00:00Z");
        var v2 = await engine.PutCourierAsync("c", "UTC", rate: 20);
        Assert.Equal(2, v2.GetProperty("version").GetInt32());
        Assert.Equal("2027-05-03T12:00:00Z", v2.Str("effectiveAt"));
        // The same terms again are not a new version.
        Assert.Equal(2, (await engine.PutCourierAsync("c", "UTC", rate: 20)).GetProperty("version").GetInt32());
        await engine.PostEventsAsync(Accepted("c", "after", "2027-05-03T13:00:00Z"), Fulfilled("c", "after", "2027-05-03T13:09:00Z"));

        var lines = (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Array("lineItems").ToDictionary(l => l.Str("orderId"));
        Assert.Equal(100, lines["before"].Num("amount"));
        Assert.Equal(400, lines["straddles"].Num("amount")); // fulfilled after the change: the new rate for all its minutes
        Assert.Equal(200, lines["after"].Num("amount"));
        Assert.Equal(20, (await engine.GetJsonAsync("/v1/couriers/c")).Num("basePayRate"));
    }

    [Theory]
    [BothDatabases]
    public async Task Terms_are_validated_and_zone_and_currency_are_fixed(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        var bad = await engine.Client.PutAsync("/v1/couriers/c", new StringContent(
            """{"timeZone":"Mars/Olympus","currency":"usd","basePayRate":0,"bonusPay":-1,"deliveriesPerBonus":0}""", System.Text.Encoding.UTF8, "application/json"));
        var problem = await bad.ReadProblemAsync(400, "validation_failed");
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["basePayRate", "bonusPay", "currency", "deliveriesPerBonus", "timeZone"], fields);

        await engine.PutCourierAsync("c", "America/New_York", rate: 10);
        var changed = await engine.Client.PutAsync("/v1/couriers/c", new StringContent(
            """{"timeZone":"Europe/London","currency":"USD","basePayRate":10,"bonusPay":0,"deliveriesPerBonus":10}""", System.Text.Encoding.UTF8, "application/json"));
        await changed.ReadProblemAsync(409, "courier_terms_immutable");
        await (await engine.Client.GetAsync("/v1/couriers/nobody")).ReadProblemAsync(404, "not_found");
    }

    [Theory]
    [BothDatabases]
    public async Task Recompute_from_raw_events_is_deterministic_and_idempotent(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "Europe/London", rate: 7, bonus: 30, perBonus: 2, cancellation: 5, currency: "GBP");
        var random = new Random(7);
        var events = new List<Ev>();
        for (var i = 0; i < 60; i++)
        {
            var start = new DateTimeOffset(2027, 3, 25, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(0, 6 * 24 * 60));
            events.Add(Accepted("c", $"o{i}", start.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
            var end = start.AddMinutes(random.Next(-5, 90)).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            events.Add(i % 7 == 0 ? Cancelled("c", $"o{i}", end) : Fulfilled("c", $"o{i}", end));
        }

        await engine.PostEventsAsync([.. events.OrderBy(_ => random.Next())]);
        var before = (await engine.EarningsAsync("c", "2027-03-20", "2027-04-05")).ToString();
        for (var i = 0; i < 2; i++)
        {
            var recomputed = await engine.PostAsync("/v1/couriers/c/recompute?from=2027-03-20&to=2027-04-05");
            Assert.Equal(60, recomputed.Num("orders"));
            Assert.Equal(before, (await engine.EarningsAsync("c", "2027-03-20", "2027-04-05")).ToString());
        }
    }

    [Theory]
    [BothDatabases]
    public async Task Days_built_up_batch_by_batch_equal_a_recompute_from_raw_events(DatabaseProvider provider)
    {
        // Small shuffled batches: a day gets deliveries added over many batches (the stored row plus what is new),
        // and orders get their second event in a later batch or change day (the day is summed again).
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "America/New_York", rate: 3, bonus: 40, perBonus: 3, cancellation: 11);
        var random = new Random(11);
        var events = new List<Ev>();
        for (var i = 0; i < 90; i++)
        {
            var start = new DateTimeOffset(2027, 3, 12, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(0, 4 * 24 * 60));
            events.Add(Accepted("c", $"o{i}", start.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
            var end = start.AddMinutes(random.Next(-5, 300)).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            events.Add(i % 9 == 0 ? Cancelled("c", $"o{i}", end) : Fulfilled("c", $"o{i}", end));
            if (i % 13 == 0)
            {
                events.Add(Cancelled("c", $"o{i}", start.AddMinutes(400).ToString("O", System.Globalization.CultureInfo.InvariantCulture), id: $"o{i}-late"));
            }
        }

        foreach (var batch in events.OrderBy(_ => random.Next()).Chunk(7))
        {
            await engine.PostEventsAsync([.. batch]);
        }

        var incremental = (await engine.EarningsAsync("c", "2027-03-10", "2027-03-20")).ToString();
        var recomputed = await engine.PostAsync("/v1/couriers/c/recompute?from=2027-03-10&to=2027-03-20");
        Assert.Equal(90, recomputed.Num("orders"));
        Assert.Equal(incremental, (await engine.EarningsAsync("c", "2027-03-10", "2027-03-20")).ToString());
        await engine.AssertRowsListEveryRawEventAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Orders_completed_from_a_single_event_row_equal_a_recompute_anomalies_included(DatabaseProvider provider)
    {
        // One event per order first (an accept, a fulfillment or a cancellation alone: the row stands for it), then the
        // rest in shuffled batches, with repeated statuses at other instants (conflicting duplicates) and exact replays.
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "Europe/London", rate: 4, bonus: 25, perBonus: 2, cancellation: 9);
        var random = new Random(5);
        var first = new List<Ev>();
        var rest = new List<Ev>();
        string At(DateTimeOffset instant) => instant.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < 60; i++)
        {
            var start = new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(0, 3 * 24 * 60));
            var order = $"o{i}";
            var accepted = Accepted("c", order, At(start));
            var closing = i % 7 == 0 ? Cancelled("c", order, At(start.AddMinutes(30))) : Fulfilled("c", order, At(start.AddMinutes(random.Next(1, 90))));
            (i % 3 == 0 ? first : rest).Add(i % 3 == 0 ? closing : accepted);
            (i % 3 == 0 ? rest : first).Add(i % 3 == 0 ? accepted : closing);
            if (i % 5 == 0)
            {
                rest.Add(Accepted("c", order, At(start.AddMinutes(3)), id: $"{order}-a2"));
            }

            if (i % 4 == 0)
            {
                rest.Add(accepted);
            }
        }

        // The first pass sends only each order's first event; an order's later events all come afterwards.
        var firstByOrder = first.GroupBy(e => e.OrderId).Select(g => g.First()).ToList();
        rest.AddRange(first.Except(firstByOrder));
        foreach (var batch in firstByOrder.OrderBy(_ => random.Next()).Chunk(9))
        {
            await engine.PostEventsAsync([.. batch]);
        }

        foreach (var batch in rest.OrderBy(_ => random.Next()).Chunk(5))
        {
            await engine.PostEventsAsync([.. batch]);
        }

        static string Anomalies(JsonElement[] anomalies) => string.Join(";", anomalies
            .Select(a => $"{a.Str("kind")}/{a.Str("orderId")}/{a.Str("status")}")
            .Order(StringComparer.Ordinal));
        var incremental = (await engine.EarningsAsync("c", "2027-05-30", "2027-06-06")).ToString();
        var incrementalAnomalies = Anomalies(await engine.AnomaliesAsync("c"));
        Assert.Contains("conflicting_duplicate", incrementalAnomalies, StringComparison.Ordinal);

        var recomputed = await engine.PostAsync("/v1/couriers/c/recompute?from=2027-05-30&to=2027-06-06");
        Assert.Equal(60, recomputed.Num("orders"));
        Assert.Equal(incremental, (await engine.EarningsAsync("c", "2027-05-30", "2027-06-06")).ToString());
        Assert.Equal(incrementalAnomalies, Anomalies(await engine.AnomaliesAsync("c")));
        await engine.AssertRowsListEveryRawEventAsync();
    }
}
