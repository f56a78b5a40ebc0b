using Obol.Core.Storage;
using Obol.Payouts.Couriers;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

/// <summary>Ingestion keeps couriers' terms in memory; a new version appended by any node is priced by the next batch.</summary>
public class CourierTermsCacheTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Terms_appended_by_another_node_price_this_nodes_next_batch(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-05-03T08:00:00Z");
        await engine.PutCourierAsync("c", "UTC", rate: 10);
        await engine.PostEventsAsync(Accepted("c", "before", "2027-05-03T09:00:00Z"), Fulfilled("c", "before", "2027-05-03T09:09:00Z"));

        // Another node (it shares the database, not this node's memory) appends version 2 at 12:00.
        var database = engine.Server.GetRequiredService<Database>();
        var at = new DateTimeOffset(2027, 5, 3, 12, 0, 0, TimeSpan.Zero);
        await database.WriteAsync(async s =>
        {
            var merchantId = await s.ExecuteScalarAsync<string>("SELECT merchant_id FROM courier_terms");
            var current = await CourierTermsStore.GetAsync(s, merchantId!, "c");
            var v2 = CourierTermsDecision.Decide("c", new PutCourierRequest { TimeZone = "UTC", Currency = "USD", BasePayRate = 20, BonusPay = 0, DeliveriesPerBonus = 10 }, current, at);
            Assert.Equal(2, v2.Version);
            await CourierTermsStore.AppendAsync(s, merchantId!, v2, at);
        }, CancellationToken.None);

        await engine.PostEventsAsync(Accepted("c", "after", "2027-05-03T13:00:00Z"), Fulfilled("c", "after", "2027-05-03T13:09:00Z"));
        var lines = (await engine.EarningsAsync("c", "2027-05-03", "2027-05-03")).Array("lineItems").ToDictionary(l => l.Str("orderId"));
        Assert.Equal(100, lines["before"].Num("amount"));
        Assert.Equal(200, lines["after"].Num("amount"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_full_cache_starts_over_and_still_answers_for_every_courier(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("a", "UTC", rate: 10);
        await engine.PutCourierAsync("b", "Asia/Kolkata", rate: 20);
        var database = engine.Server.GetRequiredService<Database>();
        var cache = new CourierTermsCache(capacityPerMerchant: 1);
        for (var round = 0; round < 3; round++)
        {
            var terms = await database.ReadAsync(async s =>
            {
                var merchantId = await s.ExecuteScalarAsync<string>("SELECT merchant_id FROM courier_terms WHERE courier_id = 'a'");
                return await cache.GetManyAsync(s, merchantId!, ["a", "b", "nobody"]);
            }, CancellationToken.None);
            Assert.Equal(["a", "b"], terms.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(10, terms["a"].Current.BasePayRate);
            Assert.Equal("Asia/Kolkata", terms["b"].Current.Zone.Id);
        }
    }
}
