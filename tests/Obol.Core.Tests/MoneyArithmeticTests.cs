
namespace Obol.Core.Tests;

public class MoneyArithmeticTests
{
    private static readonly Currency Usd = Currency.FromCode("USD");
    private static readonly Currency Eur = Currency.FromCode("EUR");

    [Fact]
    public void Adding_and_subtracting_works_in_minor_units()
    {
        var sum = new Money(1999, Usd) + new Money(1, Usd);
        Assert.Equal(new Money(2000, Usd), sum);
        Assert.Equal(new Money(-1, Usd), new Money(1, Usd) - new Money(2, Usd));
        Assert.Equal(new Money(300, Usd), new Money(100, Usd) * 3);
    }

    [Fact]
    public void Overflow_is_an_error_not_a_wrap()
    {
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue, Usd) + new Money(1, Usd));
        Assert.Throws<OverflowException>(() => new Money(long.MinValue, Usd) - new Money(1, Usd));
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue / 2 + 1, Usd) * 2);
        Assert.Throws<OverflowException>(() => -new Money(long.MinValue, Usd));
    }

    [Fact]
    public void Mixing_currencies_is_refused()
    {
        Assert.Throws<CurrencyMismatchException>(() => new Money(1, Usd) + new Money(1, Eur));
        Assert.Throws<CurrencyMismatchException>(() => new Money(1, Usd) < new Money(1, Eur));
    }

    [Theory]
    [InlineData("USD", 1234, "12.34")]
    [InlineData("USD", -5, "-0.05")]
    [InlineData("JPY", 1234, "1234")]
    [InlineData("KWD", 1234, "1.234")]
    [InlineData("BHD", 1000, "1.000")]
    [InlineData("CLF", 12345, "1.2345")]
    [InlineData("USD", long.MinValue, "-92233720368547758.08")]
    public void Formats_with_the_currency_exponent(string code, long minor, string expected)
    {
        Assert.Equal(expected, Money.Of(minor, code).ToDecimalString());
    }

    [Theory]
    [InlineData("USD", "12.34", 1234)]
    [InlineData("USD", "12.3", 1230)]
    [InlineData("USD", "12", 1200)]
    [InlineData("USD", "-0.05", -5)]
    [InlineData("JPY", "500", 500)]
    [InlineData("KWD", "1.5", 1500)]
    public void Parses_decimal_strings_without_floating_point(string code, string text, long expected)
    {
        Assert.Equal(expected, Money.Parse(text, Currency.FromCode(code)).MinorUnits);
    }

    [Theory]
    [InlineData("USD", "12.345")]
    [InlineData("JPY", "1.5")]
    [InlineData("USD", "1e3")]
    [InlineData("USD", "1,000.00")]
    [InlineData("USD", "")]
    [InlineData("USD", ".5")]
    [InlineData("USD", "5.")]
    [InlineData("USD", "92233720368547758.08")]
    [InlineData("USD", "١٢")]
    public void Refuses_amounts_the_currency_cannot_hold(string code, string text)
    {
        Assert.False(Money.TryParse(text, Currency.FromCode(code), out _));
    }

    [Theory]
    [InlineData("usd")]
    [InlineData("XXX")]
    [InlineData("US")]
    [InlineData("")]
    [InlineData("XAU")]
    public void Unknown_or_lower_case_currency_codes_are_refused(string code)
    {
        Assert.False(Currency.TryFromCode(code, out _));
    }

    [Fact]
    public void Exponents_match_iso_4217()
    {
        Assert.Equal(0, Currency.FromCode("JPY").Exponent);
        Assert.Equal(0, Currency.FromCode("KRW").Exponent);
        Assert.Equal(2, Currency.FromCode("USD").Exponent);
        Assert.Equal(2, Currency.FromCode("EUR").Exponent);
        Assert.Equal(3, Currency.FromCode("KWD").Exponent);
        Assert.Equal(3, Currency.FromCode("BHD").Exponent);
        Assert.Equal(3, Currency.FromCode("TND").Exponent);
        Assert.Equal(4, Currency.FromCode("CLF").Exponent);
        Assert.True(Currency.All.Count > 150);
    }

    [Fact]
    public void Every_currency_round_trips_through_its_decimal_form()
    {
        foreach (var currency in Currency.All)
        {
            foreach (var minor in new[] { 0L, 1L, -1L, 7L, 123_456_789L, long.MaxValue, long.MinValue + 1 })
            {
                var money = new Money(minor, currency);
                Assert.Equal(money, Money.Parse(money.ToDecimalString(), currency));
            }

            Assert.Equal(currency, Currency.FromCode(currency.Code));
        }
    }

    [Fact]
    public void Allocation_by_parts_spreads_the_remainder_from_the_first_part()
    {
        var parts = new Money(100, Usd).Allocate(3);
        Assert.Equal([34L, 33L, 33L], parts.Select(p => p.MinorUnits));
    }

    [Fact]
    public void Allocation_by_ratio_uses_largest_remainders()
    {
        // 5 split 3:7 -> exact 1.5 and 3.5; both remainders equal, the earlier part wins the spare unit.
        Assert.Equal([2L, 3L], new Money(5, Usd).Allocate([3, 7]).Select(p => p.MinorUnits));
        // 10 split 1:1:1 -> 3.33 each; one spare unit to the first.
        Assert.Equal([4L, 3L, 3L], new Money(10, Usd).Allocate([1, 1, 1]).Select(p => p.MinorUnits));
        // 100 split 70:20:10 is exact.
        Assert.Equal([70L, 20L, 10L], new Money(100, Usd).Allocate([70, 20, 10]).Select(p => p.MinorUnits));
        // Zero ratio gets nothing.
        Assert.Equal([0L, 7L], new Money(7, Usd).Allocate([0, 5]).Select(p => p.MinorUnits));
    }

    [Fact]
    public void Allocation_rejects_meaningless_ratios()
    {
        Assert.Throws<ArgumentException>(() => new Money(5, Usd).Allocate([]));
        Assert.Throws<ArgumentException>(() => new Money(5, Usd).Allocate([0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Money(5, Usd).Allocate([1, -1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Money(5, Usd).Allocate(0));
    }
}
