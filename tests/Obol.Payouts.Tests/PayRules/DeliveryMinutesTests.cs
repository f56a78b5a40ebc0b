using Obol.Payouts.PayRules;

namespace Obol.Payouts.Tests.PayRules;

public sealed class DeliveryMinutesTests
{
    [Theory]
    [InlineData(540, 540, 1)]
    [InlineData(540, 550, 11)]
    [InlineData(0, 1439, 1440)]
    [InlineData(551, 550, 0)]
    [InlineData(1439, 0, 0)]
    public void Both_ends_are_paid_and_a_reversed_delivery_is_not(int start, int end, int expected)
    {
        Assert.Equal(expected, DeliveryMinutes.Inclusive(MinuteOfDay.FromMinutes(start), MinuteOfDay.FromMinutes(end)));
    }
}
