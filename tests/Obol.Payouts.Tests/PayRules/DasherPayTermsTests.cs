using Obol.Payouts.PayRules;

namespace Obol.Payouts.Tests.PayRules;

public sealed class DasherPayTermsTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(9, 0)]
    [InlineData(10, 200)]
    [InlineData(22, 400)]
    public void Bonus_is_paid_per_full_group_of_completed_deliveries(long completed, long expected)
    {
        Assert.Equal(expected, CompletionBonus.Create(bonusPay: 200, deliveryCountsToGetBonus: 10).For(completed));
    }

    [Fact]
    public void Payout_is_rate_times_minutes_plus_bonus()
    {
        var terms = DasherPayTerms.Create(basePayRate: 25, bonusPay: 150, deliveryCountsToGetBonus: 2);

        Assert.Equal(375, terms.PayFor(deliveryMinutes: 9, completedDeliveries: 2));
    }

    [Fact]
    public void Payout_that_does_not_fit_a_long_overflows_instead_of_wrapping()
    {
        var terms = DasherPayTerms.Create(basePayRate: 99, bonusPay: 1000, deliveryCountsToGetBonus: 1);

        Assert.Throws<OverflowException>(() => terms.PayFor(long.MaxValue / 99, completedDeliveries: long.MaxValue / 1000));
        Assert.Throws<OverflowException>(() => terms.PayFor(long.MaxValue / 2, completedDeliveries: 0));
    }

    [Fact]
    public void Negative_totals_are_rejected()
    {
        var terms = DasherPayTerms.Create(basePayRate: 1, bonusPay: 0, deliveryCountsToGetBonus: 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => terms.PayFor(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => terms.PayFor(0, -1));
    }
}
