using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class SeedExampleTests
{
    [Fact]
    public void Non_overlapping_deliveries_pay_inclusive_minutes()
    {
        var service = new DasherPayoutService();
        service.AddOrUpdatePayoutMetadata("D1", basePayRate: 30, bonusPay: 200, deliveryCountsToGetBonus: 10);
        service.AddDeliveryActivity("D1",
        [
            "orderId=O1,action=START,time=09:00",
            "orderId=O1,action=END,time=09:10",
            "orderId=O2,action=START,time=09:20",
            "orderId=O2,action=END,time=09:30",
        ]);

        Assert.Equal(660, service.Payout("D1"));
    }

    [Fact]
    public void Overlapping_deliveries_pay_per_ongoing_delivery()
    {
        var service = new DasherPayoutService();
        service.AddOrUpdatePayoutMetadata("D2", basePayRate: 30, bonusPay: 200, deliveryCountsToGetBonus: 10);
        service.AddDeliveryActivity("D2",
        [
            "orderId=O10,action=START,time=09:00",
            "orderId=O10,action=END,time=09:20",
            "orderId=O11,action=START,time=09:10",
            "orderId=O11,action=END,time=09:30",
        ]);

        Assert.Equal(1260, service.Payout("D2"));
    }

    [Fact]
    public void Unordered_records_split_across_calls_are_paired_by_order()
    {
        var service = new DasherPayoutService();
        service.AddOrUpdatePayoutMetadata("D3", basePayRate: 25, bonusPay: 150, deliveryCountsToGetBonus: 2);
        service.AddDeliveryActivity("D3", ["orderId=O20,action=END,time=10:05", "orderId=O21,action=START,time=10:08"]);
        service.AddDeliveryActivity("D3", ["orderId=O20,action=START,time=10:00", "orderId=O21,action=END,time=10:10"]);

        Assert.Equal(375, service.Payout("D3"));
    }

    [Fact]
    public void Bonus_is_paid_once_per_full_group_of_completed_deliveries()
    {
        var service = new DasherPayoutService();
        service.AddOrUpdatePayoutMetadata("D4", basePayRate: 50, bonusPay: 120, deliveryCountsToGetBonus: 2);
        service.AddDeliveryActivity("D4",
        [
            Records.Start("O1", "08:00"), Records.End("O1", "08:00"),
            Records.Start("O2", "08:10"), Records.End("O2", "08:10"),
            Records.Start("O3", "08:20"), Records.End("O3", "08:20"),
            Records.Start("O4", "08:30"), Records.End("O4", "08:30"),
            Records.Start("O5", "08:40"), Records.End("O5", "08:40"),
        ]);

        Assert.Equal(490, service.Payout("D4"));
    }

    [Fact]
    public void Dasher_with_metadata_and_no_activity_is_paid_nothing()
    {
        var service = new DasherPayoutService();
        service.AddOrUpdatePayoutMetadata("D5", basePayRate: 30, bonusPay: 200, deliveryCountsToGetBonus: 10);

        Assert.Equal(0, service.Payout("D5"));
    }
}
