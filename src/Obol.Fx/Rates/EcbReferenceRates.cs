using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using NodaTime;
using Obol.Core;

namespace Obol.Fx.Rates;

/// <summary>
/// Reads the European Central Bank's euro foreign exchange reference rates (the <c>eurofxref</c> XML the ECB publishes
/// daily, or its 90-day and historical files): <c>Cube time="YYYY-MM-DD"</c> elements each holding
/// <c>Cube currency="USD" rate="1.0543"</c>. The latest day in the file is taken. The ECB publishes around 16:00
/// Central European Time, so that is a day's publication time. A file that is not such a document, or has a rate that is
/// not a positive decimal or a currency twice, is refused whole.
/// </summary>
public static class EcbReferenceRates
{
    public const string SourceName = "ecb";

    private static readonly DateTimeZone Frankfurt = DateTimeZoneProviders.Tzdb["Europe/Berlin"];

    public static RateSet Parse(string xml, DateTimeOffset fetchedAt)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xml, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new FormatException($"Not XML: {e.Message}", e);
        }

        var days = document.Descendants().Where(e => e.Name.LocalName == "Cube" && e.Attribute("time") is not null).ToList();
        if (days.Count == 0)
        {
            throw new FormatException("No Cube element with a 'time' attribute: not an ECB reference rates file.");
        }

        var latest = days
            .Select(day => (Day: ParseDay(day.Attribute("time")!.Value), Element: day))
            .MaxBy(d => d.Day);
        var rates = new Dictionary<Currency, decimal>();
        foreach (var cube in latest.Element.Elements().Where(e => e.Name.LocalName == "Cube"))
        {
            var code = cube.Attribute("currency")?.Value;
            var text = cube.Attribute("rate")?.Value;
            if (code is null || text is null)
            {
                throw new FormatException($"A rate of {latest.Day:yyyy-MM-dd} lacks its 'currency' or 'rate'.");
            }

            if (!Currency.TryFromCode(code, out var currency))
            {
                // A code outside ISO 4217's active list (the ECB once published some) cannot be priced in minor units anyway.
                continue;
            }

            if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) || rate <= 0)
            {
                throw new FormatException($"The rate '{text}' of {code} is not a positive decimal.");
            }

            if (currency.Code == "EUR" || !rates.TryAdd(currency, rate))
            {
                throw new FormatException($"{code} appears twice, or EUR is priced in euros.");
            }
        }

        if (rates.Count == 0)
        {
            throw new FormatException($"No rates for {latest.Day:yyyy-MM-dd}.");
        }

        var published = new LocalDateTime(latest.Day.Year, latest.Day.Month, latest.Day.Day, 16, 0).InZoneLeniently(Frankfurt).ToDateTimeOffset();
        return new RateSet(SourceName, Currency.FromCode("EUR"), published.ToUniversalTime(), fetchedAt, rates);
    }

    private static DateOnly ParseDay(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new FormatException($"'{text}' is not a date (YYYY-MM-DD).");
}
