using System.Net;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Fx.Tests;

public class FxApiTests
{
    [Theory]
    [BothDatabases]
    public async Task Rates_are_served_with_their_provenance_and_crossed_to_any_base(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);

        var euro = await (await server.Client.GetAsync("/v1/fx/rates")).ReadJsonAsync();
        Assert.Equal("EUR", euro.GetProperty("base").GetString());
        Assert.Equal("ecb", euro.GetProperty("provenance").GetProperty("source").GetString());
        Assert.Equal("2026-11-24T15:00:00+00:00", euro.GetProperty("provenance").GetProperty("publishedAt").GetDateTimeOffset().ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(euro.GetProperty("stale").GetBoolean());
        Assert.Equal(1.05m, euro.GetProperty("rates").EnumerateArray().Single(r => r.GetProperty("currency").GetString() == "USD").GetProperty("rate").GetDecimal());

        var dollar = await (await server.Client.GetAsync("/v1/fx/rates?base=USD")).ReadJsonAsync();
        Assert.Equal(150m, dollar.GetProperty("rates").EnumerateArray().Single(r => r.GetProperty("currency").GetString() == "JPY").GetProperty("rate").GetDecimal());
        await (await server.Client.GetAsync("/v1/fx/rates?base=KWD")).ReadProblemAsync(400, "fx_rate_unavailable");
    }

    [Theory]
    [BothDatabases]
    public async Task A_malformed_rates_file_is_refused_and_the_rates_before_it_stay(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);
        server.WriteRatesFile("<html>maintenance</html>");

        await Assert.ThrowsAsync<FormatException>(server.RefreshRatesAsync);

        var rates = await (await server.Client.GetAsync("/v1/fx/rates")).ReadJsonAsync();
        Assert.Equal(1.05m, rates.GetProperty("rates").EnumerateArray().Single(r => r.GetProperty("currency").GetString() == "USD").GetProperty("rate").GetDecimal());

        server.UseRatesFile("eurofxref-next-day.xml");
        Assert.True(await server.RefreshRatesAsync());
        Assert.False(await server.RefreshRatesAsync()); // the same publication again is not stored twice
        rates = await (await server.Client.GetAsync("/v1/fx/rates")).ReadJsonAsync();
        Assert.Equal(1.06m, rates.GetProperty("rates").EnumerateArray().Single(r => r.GetProperty("currency").GetString() == "USD").GetProperty("rate").GetDecimal());
    }

    [Theory]
    [BothDatabases]
    public async Task A_quote_locks_the_mid_rate_less_the_margin(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider, new Dictionary<string, string?> { ["Obol:Fx:MarginBps"] = "200" });

        var quote = await server.QuoteAsync("USD", "JPY", amount: 10_000, lockDuration: "PT15M");

        Assert.Equal(150m, quote.GetProperty("midRate").GetDecimal());
        Assert.Equal(200, quote.GetProperty("marginBps").GetInt32());
        Assert.Equal(147m, quote.GetProperty("rate").GetDecimal());
        Assert.Equal(14_700, quote.GetProperty("convertedAmount").GetInt64()); // $100.00 → ¥14,700
        Assert.Equal(FxServer.Start.AddMinutes(15), quote.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, JsonValueKind(quote, "usedBy"));

        var again = await (await server.Client.GetAsync($"/v1/fx/quotes/{quote.GetProperty("id").GetString()}")).ReadJsonAsync();
        Assert.Equal(147m, again.GetProperty("rate").GetDecimal());
    }

    [Theory]
    [BothDatabases]
    public async Task Quote_requests_that_cannot_be_priced_are_refused(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);

        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "KWD" })).ReadProblemAsync(400, "fx_rate_unavailable");
        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "usd" })).ReadProblemAsync(400, "validation_failed");
        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "JPY", lockDuration = "P2D" })).ReadProblemAsync(400, "validation_failed");
        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "JPY", lockDuration = "PT999999999999H" })).ReadProblemAsync(400, "validation_failed");
        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "JPY", lockDuration = "PT0S" })).ReadProblemAsync(400, "validation_failed");
        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "JPY", lockDuration = "5 minutes" })).ReadProblemAsync(400, "validation_failed");
        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "JPY", amount = 0 })).ReadProblemAsync(400, "validation_failed");
        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "IDR", amount = long.MaxValue / 1000 })).ReadProblemAsync(400, "amount_too_large");

        server.Clock.Advance(TimeSpan.FromDays(7));
        await (await server.Client.PostJsonAsync("/v1/fx/quotes", new { from = "USD", to = "JPY" })).ReadProblemAsync(503, "fx_rates_stale");
        var rates = await (await server.Client.GetAsync("/v1/fx/rates")).ReadJsonAsync();
        Assert.True(rates.GetProperty("stale").GetBoolean());
    }

    private static System.Text.Json.JsonValueKind JsonValueKind(System.Text.Json.JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind : System.Text.Json.JsonValueKind.Null;
}
