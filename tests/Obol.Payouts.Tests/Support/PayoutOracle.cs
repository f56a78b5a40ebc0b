namespace Obol.Payouts.Tests.Support;

/// <summary>One order as generated: either side may be missing, and start may be after end.</summary>
internal sealed record GeneratedDelivery(string OrderId, int? Start, int? End)
{
    public bool IsComplete => Start is not null && End is not null;
}

/// <summary>The payout worked out the slow, literal way: minute by minute over the whole day.</summary>
internal static class PayoutOracle
{
    public static long Payout(IReadOnlyCollection<GeneratedDelivery> deliveries, int basePayRate, int bonusPay, int deliveryCountsToGetBonus)
    {
        var completed = deliveries.Where(d => d.IsComplete).ToArray();
        long total = 0;
        for (var minute = 0; minute < 24 * 60; minute++)
        {
            var ongoing = completed.Count(d => d.Start <= minute && minute <= d.End);
            total += (long)ongoing * basePayRate;
        }

        return total + ((long)bonusPay * (completed.Length / deliveryCountsToGetBonus));
    }

    /// <summary>The deliveries that well-formed, non-conflicting <paramref name="records"/> describe.</summary>
    public static GeneratedDelivery[] Deliveries(IEnumerable<string> records) =>
        records
            .Select(r => r.Split(','))
            .Select(f => (OrderId: f[0]["orderId=".Length..], Action: f[1]["action=".Length..], Minute: Minute(f[2]["time=".Length..])))
            .GroupBy(r => r.OrderId, StringComparer.Ordinal)
            .Select(g => new GeneratedDelivery(
                g.Key,
                g.Where(r => r.Action == "START").Select(r => (int?)r.Minute).FirstOrDefault(),
                g.Where(r => r.Action == "END").Select(r => (int?)r.Minute).FirstOrDefault()))
            .ToArray();

    private static int Minute(string hhmm) =>
        (int.Parse(hhmm[..2], System.Globalization.CultureInfo.InvariantCulture) * 60)
        + int.Parse(hhmm[3..], System.Globalization.CultureInfo.InvariantCulture);
}
