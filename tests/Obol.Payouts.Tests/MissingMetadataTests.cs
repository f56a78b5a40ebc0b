using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class MissingMetadataTests
{
    private readonly DasherPayoutService _service = new();

    [Fact]
    public void Unknown_dasher_is_paid_nothing()
    {
        // No records means no pay whatever the terms would be, so missing metadata does not matter here.
        Assert.Equal(0, _service.Payout("nobody"));
    }

    [Fact]
    public void Asking_about_an_unknown_dasher_does_not_make_it_known()
    {
        _ = _service.Payout("d1");
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00")]);

        Assert.Throws<InvalidOperationException>(() => _service.Payout("d1"));
    }

    [Fact]
    public void Activity_without_metadata_cannot_be_paid_out()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), Records.End("O1", "09:10")]);

        var error = Assert.Throws<InvalidOperationException>(() => _service.Payout("d1"));

        Assert.Contains("'d1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unfinished_activity_without_metadata_cannot_be_paid_out_either()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00")]);

        Assert.Throws<InvalidOperationException>(() => _service.Payout("d1"));
    }

    [Fact]
    public void Empty_call_is_not_activity()
    {
        _service.AddDeliveryActivity("d1", []);

        Assert.Equal(0, _service.Payout("d1"));
    }

    [Fact]
    public void Rejected_call_is_not_activity()
    {
        Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), "bad"]));

        Assert.Equal(0, _service.Payout("d1"));
    }

    [Fact]
    public void Metadata_arriving_later_prices_the_earlier_activity()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), Records.End("O1", "09:10")]);
        Assert.Throws<InvalidOperationException>(() => _service.Payout("d1"));

        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 3, bonusPay: 5, deliveryCountsToGetBonus: 1);

        Assert.Equal(38, _service.Payout("d1"));
    }
}
