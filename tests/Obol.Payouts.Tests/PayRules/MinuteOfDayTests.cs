using Obol.Payouts.PayRules;

namespace Obol.Payouts.Tests.PayRules;

public sealed class MinuteOfDayTests
{
    [Theory]
    [InlineData("00:00", 0)]
    [InlineData("09:05", 545)]
    [InlineData("23:59", 1439)]
    public void Parses_two_digit_hours_and_minutes(string text, int expected)
    {
        Assert.True(MinuteOfDay.TryParse(text, out var minute));
        Assert.Equal(expected, minute.Value);
        Assert.Equal(text, minute.ToString());
    }

    [Theory]
    [InlineData("24:00")]
    [InlineData("12:60")]
    [InlineData("9:05")]
    [InlineData("09:5")]
    [InlineData("09.05")]
    [InlineData("+9:05")]
    [InlineData("")]
    public void Rejects_anything_but_HH_MM_on_a_24_hour_clock(string text)
    {
        Assert.False(MinuteOfDay.TryParse(text, out _));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1440)]
    public void Minutes_outside_the_day_are_out_of_range(int value)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MinuteOfDay.FromMinutes(value));
    }
}
