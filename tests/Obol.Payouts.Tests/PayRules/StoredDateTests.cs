using CsCheck;
using NodaTime;
using NodaTime.Text;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.Tests.PayRules;

public sealed class StoredDateTests
{
    [Fact]
    public void Stored_dates_are_iso_and_read_back_as_written_across_the_whole_calendar()
    {
        var days = Period.Between(LocalDate.MinIsoValue, LocalDate.MaxIsoValue, PeriodUnits.Days).Days;
        Gen.Int[0, days].Sample(offset =>
        {
            var date = LocalDate.MinIsoValue.PlusDays(offset);
            var stored = DayPricing.Format(date);
            Assert.Equal(LocalDatePattern.Iso.Format(date), stored);
            Assert.Equal(date, DayPricing.ParseStored(stored));
        });
    }

    [Theory]
    [InlineData("0001-01-01")]
    [InlineData("2027-03-14")]
    [InlineData("9999-12-31")]
    public void Edge_years_keep_four_digits(string text)
    {
        Assert.Equal(text, DayPricing.Format(DayPricing.ParseStored(text)));
    }
}
