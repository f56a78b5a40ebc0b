using System.Collections.Concurrent;
using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class ConcurrencyTests
{
    private const int Threads = 8;

    [Fact]
    public void Many_threads_adding_disjoint_orders_for_one_dasher_pay_the_sequential_result()
    {
        var random = new Random(7);
        var perThread = Enumerable.Range(0, Threads)
            .Select(t => Batches(Workload($"t{t}o", 2_000, random), random))
            .ToArray();

        var concurrent = new DasherPayoutService();
        concurrent.AddOrUpdatePayoutMetadata("d1", basePayRate: 7, bonusPay: 300, deliveryCountsToGetBonus: 3);
        var payoutsSeen = new ConcurrentBag<long>();
        RunTogether(
            perThread.Select(batches => (Action)(() =>
            {
                foreach (var batch in batches)
                {
                    concurrent.AddDeliveryActivity("d1", batch);
                    payoutsSeen.Add(concurrent.Payout("d1"));
                }
            })));

        var sequential = new DasherPayoutService();
        sequential.AddOrUpdatePayoutMetadata("d1", basePayRate: 7, bonusPay: 300, deliveryCountsToGetBonus: 3);
        foreach (var batch in perThread.SelectMany(b => b))
        {
            sequential.AddDeliveryActivity("d1", batch);
        }

        Assert.Equal(sequential.Payout("d1"), concurrent.Payout("d1"));
        Assert.All(payoutsSeen, p => Assert.InRange(p, 0, sequential.Payout("d1")));
    }

    [Fact]
    public void Threads_sharing_batches_of_several_dashers_pay_each_the_sequential_result()
    {
        var random = new Random(11);
        string[] dashers = ["d1", "d2", "d3", "d4", "d5"];

        // Every dasher's START, END and duplicate records are cut into batches that any thread may take,
        // so one order's START and END are often recorded by different threads.
        var batches = dashers
            .SelectMany(d => Batches(Workload("o", 1_500, random), random).Select(b => (Dasher: d, Batch: b)))
            .ToArray();
        random.Shuffle(batches);

        var concurrent = WithMetadata(dashers);
        var queue = new ConcurrentQueue<(string Dasher, string[] Batch)>(batches);
        RunTogether(Enumerable.Range(0, Threads).Select(t => (Action)(() =>
        {
            while (queue.TryDequeue(out var work))
            {
                concurrent.AddDeliveryActivity(work.Dasher, work.Batch);
                _ = concurrent.Payout(dashers[t % dashers.Length]);
            }
        })));

        var sequential = WithMetadata(dashers);
        foreach (var (dasher, batch) in batches)
        {
            sequential.AddDeliveryActivity(dasher, batch);
        }

        Assert.All(dashers, d => Assert.Equal(sequential.Payout(d), concurrent.Payout(d)));
    }

    [Fact]
    public void Metadata_updates_racing_with_activity_never_lose_activity()
    {
        var random = new Random(13);
        var batches = Batches(Workload("o", 3_000, random), random);
        var service = new DasherPayoutService();
        service.AddOrUpdatePayoutMetadata("d1", basePayRate: 1, bonusPay: 0, deliveryCountsToGetBonus: 1);
        var done = 0;

        RunTogether(
        [
            () =>
            {
                foreach (var batch in batches)
                {
                    service.AddDeliveryActivity("d1", batch);
                }

                Volatile.Write(ref done, 1);
            },
            () =>
            {
                for (var rate = 1; Volatile.Read(ref done) == 0; rate = (rate % 99) + 1)
                {
                    service.AddOrUpdatePayoutMetadata("d1", rate, bonusPay: 0, deliveryCountsToGetBonus: 1);
                }
            },
        ]);
        service.AddOrUpdatePayoutMetadata("d1", basePayRate: 5, bonusPay: 10, deliveryCountsToGetBonus: 2);

        var sequential = new DasherPayoutService();
        sequential.AddOrUpdatePayoutMetadata("d1", basePayRate: 5, bonusPay: 10, deliveryCountsToGetBonus: 2);
        foreach (var batch in batches)
        {
            sequential.AddDeliveryActivity("d1", batch);
        }

        Assert.Equal(sequential.Payout("d1"), service.Payout("d1"));
    }

    private static DasherPayoutService WithMetadata(string[] dashers)
    {
        var service = new DasherPayoutService();
        for (var i = 0; i < dashers.Length; i++)
        {
            service.AddOrUpdatePayoutMetadata(dashers[i], basePayRate: 10 + i, bonusPay: 100 * i, deliveryCountsToGetBonus: i + 1);
        }

        return service;
    }

    /// <summary>START and END records of <paramref name="orders"/> orders, with some exact duplicates.</summary>
    private static List<string> Workload(string orderPrefix, int orders, Random random)
    {
        var records = new List<string>();
        for (var i = 0; i < orders; i++)
        {
            var start = random.Next(24 * 60);
            var end = Math.Clamp(start + random.Next(-5, 60), 0, (24 * 60) - 1); // sometimes before start
            records.Add(Records.Start($"{orderPrefix}{i}", start));
            if (random.Next(10) > 0)
            {
                records.Add(Records.End($"{orderPrefix}{i}", end));
            }
        }

        records.AddRange(records.Where(_ => random.Next(20) == 0).ToList());
        return records;
    }

    private static List<string[]> Batches(List<string> records, Random random)
    {
        var shuffled = records.ToArray();
        random.Shuffle(shuffled);
        return shuffled.Chunk(random.Next(1, 101)).ToList();
    }

    private static void RunTogether(IEnumerable<Action> work)
    {
        var actions = work.ToArray();
        using var barrier = new Barrier(actions.Length);
        var errors = new ConcurrentQueue<Exception>();
        var threads = actions.Select(action => new Thread(() =>
        {
            barrier.SignalAndWait();
            try
            {
                action();
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToArray();

        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(errors);
    }
}
