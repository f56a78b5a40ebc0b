using Obol.Core.Events;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Payouts.Earnings;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Payouts.Events;
using Obol.Payouts.PayPeriods;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

public class AnomalyTests
{
    [Theory]
    [BothDatabases]
    public async Task Fulfilled_without_accepted_is_held_unpaid_until_the_accept_arrives(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10, bonus: 50, perBonus: 1);
        await engine.PostEventsAsync(Fulfilled("c", "o1", "2027-05-03T09:09:00Z"));

        var held = await engine.EarningsAsync("c", "2027-05-03", "2027-05-03");
        Assert.Equal(0, held.Num("total"));
        Assert.Empty(held.Array("lineItems"));
        var anomaly = Assert.Single(await engine.AnomaliesAsync("c", "open"));
        Assert.Equal("fulfilled_without_accepted", anomaly.Str("kind"));
        Assert.Equal("o1", anomaly.Str("orderId"));

        await engine.PostEventsAsync(Accepted("c", "o1", "2027-05-03T09:00:00Z"));
        Assert.Equal(150, (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Num("total"));
        Assert.Empty(await engine.AnomaliesAsync("c", "open"));
        Assert.Equal("cleared", Assert.Single(await engine.AnomaliesAsync("c", "resolved")).Str("resolution"));
    }

    [Theory]
    [BothDatabases]
    public async Task Resolving_a_held_delivery_with_its_accept_time_pays_it_and_survives_a_recompute(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Fulfilled("c", "o1", "2027-05-03T09:09:00Z"));
        var anomaly = Assert.Single(await engine.AnomaliesAsync("c"));

        var resolved = await engine.PostAsync($"/v1/couriers/c/anomalies/{anomaly.Str("id")}/resolve",
            """{"acceptedAt":"2027-05-03T09:00:00Z","note":"confirmed with the courier"}""");
        Assert.Equal("resolved", resolved.Str("status"));
        Assert.Equal(100, (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Num("total"));
        await engine.PostAsync("/v1/couriers/c/recompute?from=2027-05-03&to=2027-05-03");
        Assert.Equal(100, (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Num("total"));

        var again = await engine.Client.PostJsonAsync($"/v1/couriers/c/anomalies/{anomaly.Str("id")}/resolve", "{}");
        await again.ReadProblemAsync(409, "invalid_state_transition");
        await (await engine.Client.PostJsonAsync("/v1/couriers/c/anomalies/anm_nope/resolve", "{}")).ReadProblemAsync(404, "not_found");
        await engine.AssertRowsListEveryRawEventAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Fulfilled_before_accepted_and_cancelled_after_fulfilled_are_recorded(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c", "UTC", rate: 10, bonus: 7, perBonus: 1);
        await engine.PostEventsAsync(
            Accepted("c", "reversed", "2027-05-03T09:10:00Z"), Fulfilled("c", "reversed", "2027-05-03T09:00:00Z"),
            Accepted("c", "undone", "2027-05-03T10:00:00Z"), Fulfilled("c", "undone", "2027-05-03T10:04:00Z"), Cancelled("c", "undone", "2027-05-03T10:30:00Z"));

        var kinds = (await engine.AnomaliesAsync("c", "open")).Select(a => (a.Str("orderId"), a.Str("kind"))).Order().ToList();
        Assert.Equal([("reversed", "fulfilled_before_accepted"), ("undone", "cancelled_after_fulfilled")], kinds);
        var earnings = await engine.EarningsAsync("c", "2027-05-03", "2027-05-03");
        var lines = earnings.Array("lineItems").ToDictionary(l => l.Str("orderId"));
        Assert.Equal(0, lines["reversed"].Num("minutes")); // the seed rule: start after end is 0 minutes, still completed
        Assert.Equal(50, lines["undone"].Num("amount")); // paid as fulfilled
        Assert.Equal(14, earnings.Num("bonusPay"));
    }

    [Theory]
    [BothDatabases]
    public async Task A_sweep_that_meets_a_fulfillment_in_flight_does_not_flag_its_order(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-05-03T09:00:00Z");
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "slow", "2027-05-03T09:00:00Z"));
        engine.SetNow("2027-05-03T13:01:00Z");
        var database = engine.Database;
        var ids = engine.Server.GetRequiredService<IdGenerator>();
        var sweeper = engine.Server.GetRequiredService<PayoutsSweeper>();

        // A batch fulfills the order, past the timeout, and has not committed when the sweep starts.
        var ingested = new TaskCompletionSource();
        var commit = new TaskCompletionSource();
        var batch = database.WriteAsync(async s =>
        {
            await EventIngestion.IngestAsync(new EngineWrite(s, MerchantId, engine.Clock.GetUtcNow(), ids, engine.Server.GetRequiredService<IEventOutbox>()),
                [new DeliveryEventInput { EventId = "slow-f", CourierId = "c", OrderId = "slow", Status = "fulfilled", OccurredAt = "2027-05-03T13:00:00Z" }]);
            ingested.TrySetResult();
            await commit.Task;
        }, CancellationToken.None);
        await ingested.Task;
        var sweep = sweeper.RunOnceAsync(CancellationToken.None);
        if (provider == DatabaseProvider.Postgres)
        {
            // The sweep goes as far as it can before the batch commits: to a wait for the courier's lock, or to its end.
            // (A guard, not a timing: should it stop somewhere else, the test goes on after a minute rather than hang.)
            using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (!sweep.IsCompleted && !guard.IsCancellationRequested && await database.ReadAsync(
                s => s.ExecuteScalarAsync<long>(
                    """
                    SELECT count(*) FROM pg_locks
                    WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """), CancellationToken.None) == 0)
            {
                await Task.Yield();
            }
        }

        commit.SetResult();
        await batch;
        Assert.Equal(0, (await sweep).StaleAccepts);
        Assert.Empty(await engine.AnomaliesAsync("c", "open"));
    }

    [Theory]
    [BothDatabases]
    public async Task Accepted_and_never_fulfilled_is_flagged_after_the_timeout_and_cleared_when_it_completes(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-05-03T09:00:00Z");
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "slow", "2027-05-03T09:00:00Z"), Accepted("c", "fresh", "2027-05-03T12:00:00Z"));
        var sweeper = engine.Server.GetRequiredService<PayoutsSweeper>();

        engine.SetNow("2027-05-03T12:59:00Z");
        Assert.Equal(0, (await sweeper.RunOnceAsync(CancellationToken.None)).StaleAccepts);
        engine.SetNow("2027-05-03T13:01:00Z");
        Assert.Equal(1, (await sweeper.RunOnceAsync(CancellationToken.None)).StaleAccepts);
        Assert.Equal(0, (await sweeper.RunOnceAsync(CancellationToken.None)).StaleAccepts);
        engine.SetNow("2027-05-03T16:01:00Z");
        Assert.Equal(1, (await sweeper.RunOnceAsync(CancellationToken.None)).StaleAccepts); // the next one, past the one already flagged
        Assert.Equal(0, (await sweeper.RunOnceAsync(CancellationToken.None)).StaleAccepts);
        var flagged = (await engine.AnomaliesAsync("c", "open")).Select(a => (a.Str("orderId"), a.Str("kind"))).Order().ToList();
        Assert.Equal([("fresh", "accepted_not_fulfilled"), ("slow", "accepted_not_fulfilled")], flagged);

        await engine.PostEventsAsync(Fulfilled("c", "slow", "2027-05-03T13:05:00Z"), Cancelled("c", "fresh", "2027-05-03T16:05:00Z"));
        Assert.Empty(await engine.AnomaliesAsync("c", "open"));
    }
}
