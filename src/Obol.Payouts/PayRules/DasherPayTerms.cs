namespace Obol.Payouts.PayRules;

/// <summary>
/// What a dasher is paid: <see cref="BasePayRate"/> cents per minute per ongoing delivery, plus a
/// <see cref="CompletionBonus"/>.
/// </summary>
/// <remarks>
/// Paying <c>ongoing × rate</c> for every minute of the day is the same as paying
/// <c>rate × Σ inclusive minutes</c> over the completed deliveries, which is why a payout needs only
/// two running totals and never a per-minute timeline.
/// </remarks>
internal sealed record DasherPayTerms
{
    public const int MaxBasePayRate = 99;

    private DasherPayTerms(int basePayRate, CompletionBonus bonus)
    {
        BasePayRate = basePayRate;
        Bonus = bonus;
    }

    /// <summary>Cents per minute for each ongoing delivery.</summary>
    public int BasePayRate { get; }

    public CompletionBonus Bonus { get; }

    public static DasherPayTerms Create(int basePayRate, int bonusPay, int deliveryCountsToGetBonus)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(basePayRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(basePayRate, MaxBasePayRate);
        return new DasherPayTerms(basePayRate, CompletionBonus.Create(bonusPay, deliveryCountsToGetBonus));
    }

    /// <summary>Payout in cents for completed deliveries that together span <paramref name="deliveryMinutes"/> inclusive minutes.</summary>
    public long PayFor(long deliveryMinutes, long completedDeliveries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deliveryMinutes);
        return checked(DeliveryMinutes.TimePay(deliveryMinutes, BasePayRate) + Bonus.For(completedDeliveries));
    }
}
