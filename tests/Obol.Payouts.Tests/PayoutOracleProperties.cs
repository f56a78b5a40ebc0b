using CsCheck;
using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class PayoutOracleProperties
{
    private const string DasherId = "d1";

    [Fact]
    public void Payout_equals_the_minute_by_minute_oracle()
    {
        Gen.Select(ActivityGen.Day, ActivityGen.Terms).Sample((activity, terms) =>
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
        Gen.Select(ActivityGen.Day, ActivityGen.Terms, ActivityGen.Terms).Sample((activity, before, after) =>
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
        Gen.Select(ActivityGen.Day, ActivityGen.Terms).Sample((activity, terms) =>
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
}
