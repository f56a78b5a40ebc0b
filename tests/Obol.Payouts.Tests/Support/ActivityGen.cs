using CsCheck;

namespace Obol.Payouts.Tests.Support;

/// <summary>Generators of pay terms and of a day's activity as it might reach the service.</summary>
internal static class ActivityGen
{
    public static readonly Gen<int> Minute = Gen.Frequency(
        (3, Gen.Int[0, 24 * 60 - 1]),
        (2, Gen.Int[9 * 60, (9 * 60) + 15])); // a narrow window forces overlaps, same-minute deliveries and start > end

    public static readonly Gen<int?> MaybeMinute = Gen.Frequency(
        (9, Minute.Select(m => (int?)m)),
        (1, Gen.Const((int?)null)));

    public static readonly Gen<GeneratedDelivery[]> Deliveries =
        Gen.Select(MaybeMinute, MaybeMinute).Array[0, 40]
            .Select(sides => sides.Select((s, i) => new GeneratedDelivery($"O{i}", s.Item1, s.Item2)).ToArray());

    public static readonly Gen<(int Rate, int BonusPay, int PerBonus)> Terms =
        Gen.Select(Gen.Int[1, 99], Gen.Int[0, 1000], Gen.Int[1, 99]);

    /// <summary>Generated deliveries and their records, some sent twice, shuffled and cut into calls.</summary>
    public static readonly Gen<(GeneratedDelivery[] Deliveries, string[][] Calls)> Day =
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
