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
}
