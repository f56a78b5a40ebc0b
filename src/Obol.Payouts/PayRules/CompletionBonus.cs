namespace Obol.Payouts.PayRules;

/// <summary><see cref="BonusPay"/> cents for every full <see cref="DeliveriesPerBonus"/> completed deliveries.</summary>
internal sealed record CompletionBonus
{
    public const int MaxBonusPay = 1000;
    public const int MaxDeliveriesPerBonus = 99;

    private CompletionBonus(int bonusPay, int deliveriesPerBonus)
    {
        BonusPay = bonusPay;
        DeliveriesPerBonus = deliveriesPerBonus;
    }

    public int BonusPay { get; }

    public int DeliveriesPerBonus { get; }

    public static CompletionBonus Create(int bonusPay, int deliveryCountsToGetBonus)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bonusPay);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bonusPay, MaxBonusPay);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(deliveryCountsToGetBonus);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(deliveryCountsToGetBonus, MaxDeliveriesPerBonus);
        return new CompletionBonus(bonusPay, deliveryCountsToGetBonus);
    }

    /// <summary>Bonus in cents: <c>BonusPay × ⌊completed / DeliveriesPerBonus⌋</c>.</summary>
    public long For(long completedDeliveries)
    {
        return Compute(BonusPay, DeliveriesPerBonus, completedDeliveries);
    }

    /// <summary>The bonus rule itself, shared with the courier-earnings engine whose terms have wider limits.</summary>
    public static long Compute(long bonusPay, long deliveriesPerBonus, long completedDeliveries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bonusPay);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(deliveriesPerBonus);
        ArgumentOutOfRangeException.ThrowIfNegative(completedDeliveries);
        return checked(bonusPay * (completedDeliveries / deliveriesPerBonus));
    }
}
