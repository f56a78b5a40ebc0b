using Obol.Core;
using Obol.Fx.Rates;

namespace Obol.Fx.Tests;

public class EcbReferenceRatesTests
{
    private static readonly DateTimeOffset FetchedAt = DateTimeOffset.Parse("2026-11-25T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    public static string Sample => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Rates", "eurofxref-sample.xml"));

    [Fact]
    public void The_daily_file_gives_euro_rates_published_at_16_00_in_Frankfurt()
    {
        var rates = EcbReferenceRates.Parse(Sample, FetchedAt);

        Assert.Equal("ecb", rates.Source);
        Assert.Equal("EUR", rates.Base.Code);
        Assert.Equal(DateTimeOffset.Parse("2026-11-24T15:00:00Z", System.Globalization.CultureInfo.InvariantCulture), rates.PublishedAt);
        Assert.Equal(FetchedAt, rates.FetchedAt);
        Assert.Equal(1.05m, rates.PerBase[Currency.FromCode("USD")]);
        Assert.Equal(157.5m, rates.PerBase[Currency.FromCode("JPY")]);
        Assert.Equal(8, rates.PerBase.Count);
    }

    [Fact]
    public void Cross_rates_go_through_the_euro()
    {
        var rates = EcbReferenceRates.Parse(Sample, FetchedAt);

        Assert.Equal(150m, rates.Rate(Currency.FromCode("USD"), Currency.FromCode("JPY")));
        Assert.Equal(0.006666666667m, rates.Rate(Currency.FromCode("JPY"), Currency.FromCode("USD")));
        Assert.Equal(1.05m, rates.Rate(Currency.FromCode("EUR"), Currency.FromCode("USD")));
        Assert.Equal(1m, rates.Rate(Currency.FromCode("USD"), Currency.FromCode("USD")));
        Assert.Null(rates.Rate(Currency.FromCode("USD"), Currency.FromCode("KWD")));
    }

    [Fact]
    public void A_file_with_several_days_gives_the_latest()
    {
        var twoDays = Sample.Replace("<Cube time='2026-11-24'>", "<Cube time='2026-11-23'><Cube currency='USD' rate='1.0400'/></Cube><Cube time='2026-11-24'>", StringComparison.Ordinal);
        var rates = EcbReferenceRates.Parse(twoDays, FetchedAt);
        Assert.Equal(1.05m, rates.PerBase[Currency.FromCode("USD")]);
    }

    [Theory]
    [InlineData("not xml at all")]
    [InlineData("<html><body>Service unavailable</body></html>")]
    [InlineData("<Envelope><Cube><Cube time='2026-11-24'></Cube></Cube></Envelope>")]
    [InlineData("<Envelope><Cube><Cube time='24.11.2026'><Cube currency='USD' rate='1.05'/></Cube></Cube></Envelope>")]
    [InlineData("<Envelope><Cube><Cube time='2026-11-24'><Cube currency='USD' rate='1,05'/></Cube></Cube></Envelope>")]
    [InlineData("<Envelope><Cube><Cube time='2026-11-24'><Cube currency='USD' rate='-1.05'/></Cube></Cube></Envelope>")]
    [InlineData("<Envelope><Cube><Cube time='2026-11-24'><Cube currency='USD' rate='0'/></Cube></Cube></Envelope>")]
    [InlineData("<Envelope><Cube><Cube time='2026-11-24'><Cube currency='USD' rate='1.05'/><Cube currency='USD' rate='1.06'/></Cube></Cube></Envelope>")]
    [InlineData("<Envelope><Cube><Cube time='2026-11-24'><Cube currency='USD'/></Cube></Cube></Envelope>")]
    public void A_malformed_file_is_refused_whole(string xml) =>
        Assert.Throws<FormatException>(() => EcbReferenceRates.Parse(xml, FetchedAt));
}
