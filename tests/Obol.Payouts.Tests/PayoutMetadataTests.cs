using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class PayoutMetadataTests
{
    private readonly DasherPayoutService _service = new();

    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(99, 1000, 99)]
    [InlineData(30, 200, 10)]
    public void Values_inside_the_documented_ranges_are_accepted(int basePayRate, int bonusPay, int deliveryCountsToGetBonus)
    {
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate, bonusPay, deliveryCountsToGetBonus);

        Assert.Equal(0, _service.Payout("d1"));
    }

    [Theory]
    [InlineData(0, 0, 1, "basePayRate")]
    [InlineData(-5, 0, 1, "basePayRate")]
    [InlineData(100, 0, 1, "basePayRate")]
    [InlineData(10, -1, 1, "bonusPay")]
    [InlineData(10, 1001, 1, "bonusPay")]
    [InlineData(10, 0, 0, "deliveryCountsToGetBonus")]
    [InlineData(10, 0, -1, "deliveryCountsToGetBonus")]
    [InlineData(10, 0, 100, "deliveryCountsToGetBonus")]
    public void Values_outside_the_documented_ranges_are_rejected(int basePayRate, int bonusPay, int deliveryCountsToGetBonus, string offending)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            _service.AddOrUpdatePayoutMetadata("d1", basePayRate, bonusPay, deliveryCountsToGetBonus));

        Assert.Equal(offending, error.ParamName);
    }

    [Fact]
    public void Rejected_update_keeps_the_previous_metadata()
    {
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 10, bonusPay: 0, deliveryCountsToGetBonus: 1);
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), Records.End("O1", "09:00")]);

        Assert.ThrowsAny<ArgumentException>(() => _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 100, bonusPay: 0, deliveryCountsToGetBonus: 1));

        Assert.Equal(10, _service.Payout("d1"));
    }

    [Fact]
    public void Updated_rate_applies_to_activity_recorded_before_the_update()
    {
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 10, bonusPay: 0, deliveryCountsToGetBonus: 1);
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), Records.End("O1", "09:09")]);
        Assert.Equal(100, _service.Payout("d1"));

        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 20, bonusPay: 7, deliveryCountsToGetBonus: 1);

        Assert.Equal(207, _service.Payout("d1"));
    }

    [Theory]
    [InlineData("d")]
    [InlineData("dasher42")]
    [InlineData("0123456789")]
    [InlineData("D1")]
    public void Dasher_ids_of_letters_and_digits_are_accepted(string dasherId)
    {
        _service.AddOrUpdatePayoutMetadata(dasherId, basePayRate: 1, bonusPay: 0, deliveryCountsToGetBonus: 1);
        _service.AddDeliveryActivity(dasherId, [Records.Start("O1", "09:00"), Records.End("O1", "09:00")]);

        Assert.Equal(1, _service.Payout(dasherId));
    }

    [Fact]
    public void Dasher_id_of_100_characters_is_accepted()
    {
        var dasherId = new string('a', 100);

        _service.AddOrUpdatePayoutMetadata(dasherId, basePayRate: 1, bonusPay: 0, deliveryCountsToGetBonus: 1);

        Assert.Equal(0, _service.Payout(dasherId));
    }

    public static TheoryData<string> InvalidDasherIds => new()
    {
        "",
        new string('a', 101),
        "d-1",
        "d 1",
        " d1",
        "d_1",
        "dä",
        "d1\n",
    };

    [Theory]
    [MemberData(nameof(InvalidDasherIds))]
    public void Invalid_dasher_id_is_rejected_by_every_operation(string dasherId)
    {
        Assert.Equal("dasherId", Assert.Throws<ArgumentException>(() => _service.AddOrUpdatePayoutMetadata(dasherId, 1, 0, 1)).ParamName);
        Assert.Equal("dasherId", Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity(dasherId, [])).ParamName);
        Assert.Equal("dasherId", Assert.Throws<ArgumentException>(() => _service.Payout(dasherId)).ParamName);
    }

    [Fact]
    public void Null_dasher_id_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => _service.Payout(null!));
    }

    [Fact]
    public void Dasher_ids_that_differ_only_in_case_are_the_same_dasher()
    {
        _service.AddOrUpdatePayoutMetadata("D1", basePayRate: 10, bonusPay: 0, deliveryCountsToGetBonus: 1);
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00")]);
        _service.AddDeliveryActivity("D1", [Records.End("O1", "09:00")]);

        Assert.Equal(10, _service.Payout("d1"));
        Assert.Equal(10, _service.Payout("D1"));
    }

    [Fact]
    public void Dashers_are_paid_independently()
    {
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 10, bonusPay: 0, deliveryCountsToGetBonus: 1);
        _service.AddOrUpdatePayoutMetadata("d2", basePayRate: 20, bonusPay: 0, deliveryCountsToGetBonus: 1);
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), Records.End("O1", "09:00")]);
        _service.AddDeliveryActivity("d2", [Records.Start("O1", "09:00"), Records.End("O1", "09:01")]);

        Assert.Equal(10, _service.Payout("d1"));
        Assert.Equal(40, _service.Payout("d2"));
    }
}
