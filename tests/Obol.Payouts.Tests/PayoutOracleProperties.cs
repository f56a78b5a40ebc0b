using CsCheck;
using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class PayoutOracleProperties
{
    private const string DasherId = "d1";

    private static readonly Gen<int> Minute = Gen.Frequency(
        (3, Gen.Int[0, 24 * 60 - 1]),
        (2, Gen.Int[9 * 60, (9 * 60) + 15])); // a narrow window forces overlaps, same-minute deliveries and start > end

    private static readonly Gen<int?> MaybeMinute = Gen.Frequency(
        (9, Minute.Select(m => (int?)m)),
        (1, Gen.Const((int?)null)));

    private static readonly Gen<GeneratedDelivery[]> Deliveries =
        Gen.Select(MaybeMinute, MaybeMinute).Array[0, 40]
            .Select(sides => sides.Select((s, i) => new GeneratedDelivery($"O{i}", s.Item1, s.Item2)).ToArray());

    private static readonly Gen<(int Rate, int BonusPay, int PerBonus)> Terms =
        Gen.Select(Gen.Int[1, 99], Gen.Int[0, 1000], Gen.Int[1, 99]);

    /// <summary>The records of <paramref name="deliveries"/>, some sent twice, shuffled and cut into calls.</summary>
    private static readonly Gen<(GeneratedDelivery[] Deliveries, string[][] Calls)> Activity =
        Gen.Select(Deliveries, Gen.Int[0, 100], Gen.Int[1, 8], Gen.Int)
            .Select(t =>
            {
                var (deliveries, duplicatePercent, calls, seed) = t;
                var random = new Random(seed);
                var records = new List<string>();
                foreach (var d in deliveries)
                {
                    if (d.Start is { } start)
                    {
                        records.Add(Records.Start(d.OrderId, start));
                    }

                    if (d.End is { } end)
                    {
                        records.Add(Records.End(d.OrderId, end));
                    }
                }

                var duplicates = records.Where(_ => random.Next(100) < duplicatePercent / 3).ToList();
                var all = records.Concat(duplicates).ToArray();
                random.Shuffle(all);
                return (deliveries, Split(all, calls, random));
            });

    [Fact]
    public void Payout_equals_the_minute_by_minute_oracle()
    {
        Gen.Select(Activity, Terms).Sample((activity, terms) =>
        {
            var service = new DasherPayoutService();
            service.AddOrUpdatePayoutMetadata(DasherId, terms.Rate, terms.BonusPay, terms.PerBonus);
            foreach (var call in activity.Calls)
            {
                service.AddDeliveryActivity(DasherId, call);
            }

            var expected = PayoutOracle.Payout(activity.Deliveries, terms.Rate, terms.BonusPay, terms.PerBonus);
            return service.Payout(DasherId) == expected;
        }, iter: 400);
    }

    [Fact]
    public void Changed_metadata_reprices_all_activity_on_the_next_payout()
    {
        Gen.Select(Activity, Terms, Terms).Sample((activity, before, after) =>
        {
            var service = new DasherPayoutService();
            service.AddOrUpdatePayoutMetadata(DasherId, before.Rate, before.BonusPay, before.PerBonus);
            var half = activity.Calls.Length / 2;
            foreach (var call in activity.Calls[..half])
            {
                service.AddDeliveryActivity(DasherId, call);
            }

            _ = service.Payout(DasherId);
            service.AddOrUpdatePayoutMetadata(DasherId, after.Rate, after.BonusPay, after.PerBonus);
            foreach (var call in activity.Calls[half..])
            {
                service.AddDeliveryActivity(DasherId, call);
            }

            var expected = PayoutOracle.Payout(activity.Deliveries, after.Rate, after.BonusPay, after.PerBonus);
            return service.Payout(DasherId) == expected;
        }, iter: 200);
    }

    [Fact]
    public void Metadata_may_arrive_after_the_activity()
    {
        Gen.Select(Activity, Terms).Sample((activity, terms) =>
        {
            var service = new DasherPayoutService();
            foreach (var call in activity.Calls)
            {
                service.AddDeliveryActivity(DasherId, call);
            }

            service.AddOrUpdatePayoutMetadata(DasherId, terms.Rate, terms.BonusPay, terms.PerBonus);
            var expected = PayoutOracle.Payout(activity.Deliveries, terms.Rate, terms.BonusPay, terms.PerBonus);
            return service.Payout(DasherId) == expected;
        }, iter: 100);
    }

    private static string[][] Split(string[] records, int calls, Random random)
    {
        var cuts = Enumerable.Range(0, calls - 1).Select(_ => random.Next(records.Length + 1)).Order().ToArray();
        var result = new string[calls][];
        var from = 0;
        for (var i = 0; i < calls; i++)
        {
            var to = i < cuts.Length ? cuts[i] : records.Length;
            result[i] = records[from..to];
            from = to;
        }

        return result;
    }
}
