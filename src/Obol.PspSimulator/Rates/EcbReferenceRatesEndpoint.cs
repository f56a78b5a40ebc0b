using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Obol.PspSimulator.Rates;

/// <summary>
/// A stand-in for the ECB's daily euro reference rates file (<c>eurofxref-daily.xml</c>), in its format, so a host without
/// internet access has fresh rates: fixed rates, dated the latest weekday whose 16:00 CET publication has passed.
/// </summary>
public static class EcbReferenceRatesEndpoint
{
    private static readonly (string Currency, string Rate)[] Rates =
    [
        ("USD", "1.0540"), ("JPY", "158.42"), ("BGN", "1.9558"), ("CZK", "25.107"), ("DKK", "7.4576"), ("GBP", "0.83210"),
        ("HUF", "410.15"), ("PLN", "4.2705"), ("RON", "4.9753"), ("SEK", "11.4930"), ("CHF", "0.93050"), ("ISK", "146.30"),
        ("NOK", "11.7455"), ("TRY", "36.5410"), ("AUD", "1.6342"), ("BRL", "6.3781"), ("CAD", "1.4812"), ("CNY", "7.6734"),
        ("HKD", "8.2012"), ("IDR", "16801.55"), ("ILS", "3.8011"), ("INR", "89.2815"), ("KRW", "1478.12"), ("MXN", "21.4873"),
        ("MYR", "4.6875"), ("NZD", "1.7991"), ("PHP", "61.913"), ("SGD", "1.4155"), ("THB", "36.118"), ("ZAR", "19.0412"),
    ];

    /// <summary>Units of <paramref name="to"/> per unit of <paramref name="from"/> at these rates, or null for a currency they do not price.</summary>
    public static decimal? Rate(string from, string to) =>
        PerEuro(from) is { } fromPerEuro && PerEuro(to) is { } toPerEuro ? toPerEuro / fromPerEuro : null;

    private static decimal? PerEuro(string code) =>
        code.Equals("EUR", StringComparison.OrdinalIgnoreCase) ? 1m
        : Rates.FirstOrDefault(r => r.Currency.Equals(code, StringComparison.OrdinalIgnoreCase)) is { Rate: { } text }
            ? decimal.Parse(text, CultureInfo.InvariantCulture)
            : null;

    private static readonly TimeZoneInfo Frankfurt = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    public static IEndpointRouteBuilder MapEcbReferenceRates(this IEndpointRouteBuilder endpoints, string prefix)
    {
        endpoints.MapGet(prefix + "/eurofxref-daily.xml", (TimeProvider clock) =>
            Results.Text(Document(LatestPublication(clock.GetUtcNow())), "text/xml", Encoding.UTF8));
        return endpoints;
    }

    private static DateOnly LatestPublication(DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, Frankfurt);
        var day = DateOnly.FromDateTime(local.Hour < 16 ? local.Date.AddDays(-1) : local.Date);
        while (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            day = day.AddDays(-1);
        }

        return day;
    }

    private static string Document(DateOnly day)
    {
        var xml = new StringBuilder();
        xml.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.Append("<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n");
        xml.Append("\t<gesmes:subject>Reference rates</gesmes:subject>\n");
        xml.Append("\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n\t</gesmes:Sender>\n");
        xml.Append("\t<Cube>\n");
        xml.Append(CultureInfo.InvariantCulture, $"\t\t<Cube time='{day:yyyy-MM-dd}'>\n");
        foreach (var (currency, rate) in Rates)
        {
            xml.Append(CultureInfo.InvariantCulture, $"\t\t\t<Cube currency='{currency}' rate='{rate}'/>\n");
        }

        xml.Append("\t\t</Cube>\n\t</Cube>\n</gesmes:Envelope>\n");
        return xml.ToString();
    }
}
