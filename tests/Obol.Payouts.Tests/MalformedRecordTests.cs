using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class MalformedRecordTests
{
    private readonly DasherPayoutService _service = new();

    public MalformedRecordTests() =>
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 10, bonusPay: 0, deliveryCountsToGetBonus: 1);

    public static TheoryData<string> MalformedRecords => new()
    {
        "",
        "garbage",
        "orderId=O1",
        "orderId=O1,action=START",
        "orderId=,action=START,time=09:00",
        "orderid=O1,action=START,time=09:00",
        "orderId=O1,action=start,time=09:00",
        "orderId=O1,action=PAUSE,time=09:00",
        "orderId=O1,action=,time=09:00",
        "orderId=O1,time=09:00,action=START",
        "action=START,orderId=O1,time=09:00",
        "orderId=O1,action=START,time=24:00",
        "orderId=O1,action=START,time=23:60",
        "orderId=O1,action=START,time=9:05",
        "orderId=O1,action=START,time=9:5",
        "orderId=O1,action=START,time=09:5",
        "orderId=O1,action=START,time=0900",
        "orderId=O1,action=START,time=09:00:00",
        "orderId=O1,action=START,time=-1:00",
        "orderId=O1,action=START,time=",
        "orderId=O1,action=START,time=09:00,",
        "orderId=O1,action=START,time=09:00,zone=UTC",
        "orderId=O1,action=START,time=09:00 ",
        " orderId=O1,action=START,time=09:00",
        "orderId=O 1,action=START,time=09:00",
        "orderId=O=1,action=START,time=09:00",
        "orderId=Ö1,action=START,time=09:00",
        "orderId=O1,,action=START,time=09:00",
        "orderId=O1,action=START,,time=09:00",
        "orderId=O1, action=START, time=09:00",
        "orderId=O1,action=START,time=٠٩:٠٠",
    };

    [Theory]
    [MemberData(nameof(MalformedRecords))]
    public void Malformed_record_is_rejected_and_named_in_the_message(string record)
    {
        var error = Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [record]));

        Assert.Contains($"'{record}'", error.Message, StringComparison.Ordinal);
        Assert.Equal("deliveryActivities", error.ParamName);
    }

    [Fact]
    public void Message_gives_the_position_of_the_malformed_record()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), Records.End("O1", "09:05"), "orderId=O2,action=END,time=25:00"]));

        Assert.Contains("#2 'orderId=O2,action=END,time=25:00'", error.Message, StringComparison.Ordinal);
        Assert.Contains("time", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_record_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [Records.Start("O1", "09:00"), null!]));

        Assert.Contains("#1 (null)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_batch_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => _service.AddDeliveryActivity("d1", null!));
    }

    [Fact]
    public void Order_id_of_up_to_100_characters_is_accepted()
    {
        var orderId = new string('x', 100);

        _service.AddDeliveryActivity("d1", [Records.Start(orderId, "09:00"), Records.End(orderId, "09:00")]);

        Assert.Equal(10, _service.Payout("d1"));
    }

    [Fact]
    public void Order_id_longer_than_100_characters_is_rejected()
    {
        var record = Records.Start(new string('x', 101), "09:00");

        var error = Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [record]));

        Assert.Contains("longer than 100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Very_long_record_is_shortened_in_the_message()
    {
        var record = "orderId=O1,action=START,time=09:00," + new string('z', 10_000);

        var error = Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [record]));

        Assert.Contains("(10035 chars)", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 500, error.Message);
    }

    [Theory]
    [InlineData("00:00", 1)]
    [InlineData("23:59", 1)]
    [InlineData("12:34", 1)]
    public void Boundary_times_are_accepted(string time, long expected)
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", time), Records.End("O1", time)]);

        Assert.Equal(expected * 10, _service.Payout("d1"));
    }

    [Fact]
    public void Whole_day_delivery_is_paid_1440_minutes()
    {
        _service.AddDeliveryActivity("d1", [Records.Start("O1", "00:00"), Records.End("O1", "23:59")]);

        Assert.Equal(1440 * 10, _service.Payout("d1"));
    }
}
