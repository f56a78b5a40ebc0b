using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class DuplicateRecordTests
{
    private readonly DasherPayoutService _service = new();

    public DuplicateRecordTests() =>
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 10, bonusPay: 100, deliveryCountsToGetBonus: 1);

    [Fact]
    public void Exact_duplicate_in_the_same_call_is_ignored()
    {
        _service.AddDeliveryActivity("d1",
        [
            Records.Start("O1", "09:00"), Records.Start("O1", "09:00"),
            Records.End("O1", "09:09"), Records.End("O1", "09:09"),
        ]);

        Assert.Equal((10 * 10) + 100, _service.Payout("d1"));
    }

    [Fact]
    public void Redelivered_call_is_ignored()
    {
        string[] call = [Records.Start("O1", "09:00"), Records.End("O1", "09:09")];

        _service.AddDeliveryActivity("d1", call);
        _service.AddDeliveryActivity("d1", call);

        Assert.Equal((10 * 10) + 100, _service.Payout("d1"));
    }

    [Fact]
    public void Duplicate_of_a_completed_order_does_not_count_it_twice_for_the_bonus()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), Records.End("O1", "09:00")]);

        _service.AddDeliveryActivity("d1", [Records.End("O1", "09:00")]);
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00")]);

        Assert.Equal(10 + 100, _service.Payout("d1"));
    }

    [Fact]
    public void Duplicate_of_a_started_order_keeps_it_open()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00")]);
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00")]);

        Assert.Equal(0, _service.Payout("d1"));

        _service.AddDeliveryActivity("d1", [Records.End("O1", "09:01")]);
        Assert.Equal(20 + 100, _service.Payout("d1"));
    }

    [Fact]
    public void Order_ids_that_differ_only_in_case_are_different_orders()
    {
        _service.AddDeliveryActivity("d1",
        [
            Records.Start("o1", "09:00"), Records.End("o1", "09:00"),
            Records.Start("O1", "10:00"), Records.End("O1", "10:00"),
        ]);

        Assert.Equal((2 * 10) + (2 * 100), _service.Payout("d1"));
    }
}
