using Obol.Core.Events;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Payouts.Earnings;
using Obol.Payouts.Events;
using Obol.Payouts.Couriers;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

/// <summary>
/// Ingestion keeps couriers' terms in memory; a new version appended by any node is priced by the next batch, and by a
/// batch in flight that read the terms before it.
/// </summary>
public class CourierTermsCacheTests
{
    [Theory]
    [BothDatabases]
    public async Task Terms_appended_by_another_node_price_this_nodes_next_batch(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-05-03T08:00:00Z");
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "before", "2027-05-03T09:00:00Z"), Fulfilled("c", "before", "2027-05-03T09:09:00Z"));

        // Another node (it shares the database, not this node's memory) appends version 2 at 12:00.
        var at = new DateTimeOffset(2027, 5, 3, 12, 0, 0, TimeSpan.Zero);
        await engine.Database.WriteAsync(async s =>
        {
            var current = await CourierTermsStore.GetAsync(s, MerchantId, "c");
            var v2 = CourierTermsDecision.Decide("c", new PutCourierRequest { TimeZone = "UTC", Currency = "USD", BasePayRate = 20, BonusPay = 0, DeliveriesPerBonus = 10 }, current, at);
            Assert.Equal(2, v2.Version);
            await CourierTermsStore.AppendAsync(s, MerchantId, v2, at);
        }, CancellationToken.None);

        await engine.PostEventsAsync(Accepted("c", "after", "2027-05-03T13:00:00Z"), Fulfilled("c", "after", "2027-05-03T13:09:00Z"));
        var lines = (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Array("lineItems").ToDictionary(l => l.Str("orderId"));
        Assert.Equal(100, lines["before"].Num("amount"));
        Assert.Equal(200, lines["after"].Num("amount"));
    }

    [Theory]
    [BothDatabases]
    public async Task Terms_read_before_a_new_version_committed_are_read_again_under_the_courier_lock(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-05-03T08:00:00Z");
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        var database = engine.Database;
        var ids = engine.Server.GetRequiredService<IdGenerator>();

        // An ingestion reads the terms (version 1) and the epoch ...
        var (before, epoch) = await database.ReadAsync(
            async s => (await CourierTermsStore.GetManyAsync(s, MerchantId, ["c"]), await CourierTermsStore.EpochAsync(s, MerchantId)), CancellationToken.None);

        // ... a PUT elsewhere commits version 2, effective at 12:00 ...
        var at = new DateTimeOffset(2027, 5, 3, 12, 0, 0, TimeSpan.Zero);
        await database.WriteAsync(async s => await CourierTermsStore.AppendAsync(s, MerchantId, CourierTermsDecision.Decide(
            "c", new PutCourierRequest { TimeZone = "UTC", Currency = "USD", BasePayRate = 20, BonusPay = 0, DeliveriesPerBonus = 10 }, before["c"], at), at),
            CancellationToken.None);

        // ... and the ingestion goes on with what it read: an order fulfilled after 12:00 is still priced with version 2.
        var events = new[]
        {
            new DeliveryEvent("a1", "c", "o1", DeliveryStatus.Accepted, at.AddHours(1)),
            new DeliveryEvent("f1", "c", "o1", DeliveryStatus.Fulfilled, at.AddHours(1).AddMinutes(9)),
        };
        await database.WriteAsync(async s =>
        {
            var write = new EngineWrite(s, MerchantId, at.AddHours(2), ids, engine.Server.GetRequiredService<IEventOutbox>());
            await DeliveryEventStore.AppendAsync(write, events, before);
            await DeliveryRecalculation.ApplyAsync(write, [new OrderKey("c", "o1")], events, (before, epoch));
        }, CancellationToken.None);

        var line = Assert.Single((await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Array("lineItems"));
        Assert.Equal(200, line.Num("amount"));
    }

    [Theory]
    [BothDatabases]
    public async Task A_full_cache_starts_over_and_still_answers_for_every_courier(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("a", "UTC", rate: 10);
        await engine.PutCourierAsync("b", "Asia/Kolkata", rate: 20);
        var cache = new CourierTermsCache(capacity: 1);
        for (var round = 0; round < 3; round++)
        {
            var terms = await engine.Database.ReadAsync(
                async s => await cache.GetManyAsync(s, MerchantId, await CourierTermsStore.EpochAsync(s, MerchantId), ["a", "b", "nobody"]),
                CancellationToken.None);
            Assert.Equal(["a", "b"], terms.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(10, terms["a"].Current.BasePayRate);
            Assert.Equal("Asia/Kolkata", terms["b"].Current.Zone.Id);
        }
    }
}
