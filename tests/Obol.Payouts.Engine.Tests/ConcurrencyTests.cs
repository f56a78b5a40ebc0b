using Obol.Core.Storage;
using Obol.Payouts.Engine.Tests.Support;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;
using Obol.Testing;

namespace Obol.Payouts.Engine.Tests;

public class ConcurrencyTests
{
    [Theory]
    [BothDatabases]
    public async Task Halves_of_the_same_orders_sent_concurrently_pay_as_if_sent_one_after_the_other(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c1", "UTC", rate: 10, bonus: 5, perBonus: 3);
        await engine.PutCourierAsync("c2", "UTC", rate: 10, bonus: 5, perBonus: 3);
        // Accepts and fulfillments of the same orders race each other in separate requests, twice over (replays).
        var posts = new List<Task>();
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 20; i++)
            {
                var courier = i % 2 == 0 ? "c1" : "c2";
                var order = $"o{i}";
                posts.Add(engine.PostEventsAsync(Accepted(courier, order, "2027-05-03T09:00:00Z")));
                posts.Add(engine.PostEventsAsync(Fulfilled(courier, order, "2027-05-03T09:09:00Z")));
            }
        }

        await Task.WhenAll(posts);
        foreach (var courier in new[] { "c1", "c2" })
        {
            var earnings = await engine.EarningsAsync(courier, "2027-05-03", "2027-05-03");
            Assert.Equal(10, earnings.Array("lineItems").Length);
            Assert.All(earnings.Array("lineItems"), l => Assert.Equal(100, l.Num("amount")));
            Assert.Equal(1000 + (3 * 5), earnings.Num("total"));
            Assert.Empty(await engine.AnomaliesAsync(courier, "open"));
        }

        await engine.AssertRowsListEveryRawEventAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task The_same_batch_sent_many_times_at_once_appends_each_event_once(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider);
        await engine.PutCourierAsync("c1", "UTC", rate: 10, bonus: 5, perBonus: 3);
        var batch = Enumerable.Range(0, 25)
            .SelectMany(i => new[] { Accepted("c1", $"o{i}", "2027-05-03T09:00:00Z"), Fulfilled("c1", $"o{i}", "2027-05-03T09:09:00Z") })
            .ToArray();

        // On PostgreSQL the copies race past the check for stored ids; all but one meet the first's rows in the primary key.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => engine.PostEventsAsync(batch)));

        Assert.Equal(50, results.Sum(r => r.Num("accepted")));
        Assert.Equal(7 * 50, results.Sum(r => r.Num("duplicates")));
        Assert.All(results, r => Assert.Empty(r.Array("rejected")));
        var earnings = await engine.EarningsAsync("c1", "2027-05-03", "2027-05-03");
        Assert.Equal(25, earnings.Array("lineItems").Length);
        Assert.Equal((25 * 100) + (8 * 5), earnings.Num("total"));
        await engine.AssertRowsListEveryRawEventAsync();
    }
}
