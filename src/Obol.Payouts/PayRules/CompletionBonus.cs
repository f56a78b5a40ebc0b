namespace Obol.Payouts.PayRules;

/// <summary><see cref="BonusPay"/> cents for every full <see cref="DeliveriesPerBonus"/> completed deliveries.</summary>
public sealed record CompletionBonus
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
        ArgumentOutOfRangeException.ThrowIfNegative(completedDeliveries);
        return checked(BonusPay * (completedDeliveries / DeliveriesPerBonus));
    }
}
