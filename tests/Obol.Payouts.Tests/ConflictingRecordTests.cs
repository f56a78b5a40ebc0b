using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class ConflictingRecordTests
{
    private readonly DasherPayoutService _service = new();

    public ConflictingRecordTests() =>
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 10, bonusPay: 0, deliveryCountsToGetBonus: 1);

    [Fact]
    public void Second_start_at_another_time_is_rejected()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00")]);

        var error = Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:01")]));

        Assert.Contains("'orderId=O1,action=START,time=09:01'", error.Message, StringComparison.Ordinal);
        Assert.Contains("already has START at 09:00", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Second_end_at_another_time_is_rejected_after_the_order_completed()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), Records.End("O1", "09:09")]);

        var error = Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [Records.End("O1", "09:30")]));

        Assert.Contains("already has END at 09:09", error.Message, StringComparison.Ordinal);
        Assert.Equal(100, _service.Payout("d1"));
    }

    [Fact]
    public void Conflict_inside_one_call_is_rejected_and_names_the_later_record()
    {
        var error = Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1",
        [
            Records.End("O1", "09:10"),
            Records.Start("O1", "09:00"),
            Records.End("O1", "09:20"),
        ]));

        Assert.Contains("#2 'orderId=O1,action=END,time=09:20'", error.Message, StringComparison.Ordinal);
        Assert.Contains("already has END at 09:10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_after_end_is_not_a_conflict()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "10:00"), Records.End("O1", "09:00")]);

        Assert.Equal(0, _service.Payout("d1"));
    }
}
