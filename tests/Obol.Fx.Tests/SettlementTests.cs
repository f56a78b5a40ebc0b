using System.Net;
using System.Net.Http.Json;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Fx.Tests;

/// <summary>
/// A merchant that settles in USD takes a JPY payment. Sample rates: 1 EUR = 1.05 USD = 157.50 JPY, so JPY→USD is
/// 0.006666666667 (ten significant digits), less the default 1 % margin 0.00660000000033.
/// </summary>
public class SettlementTests
{
    [Theory]
    [BothDatabases]
    public async Task A_captured_payment_converts_into_the_settlement_currency_and_refunds_take_back_its_share_at_the_days_rate(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);
        await server.SettleInAsync("USD");

        var created = await server.PayAsync(10_000, "JPY");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var payment = await created.ReadJsonAsync();
        var id = payment.GetProperty("id").GetString();
        Assert.Equal("captured", payment.GetProperty("status").GetString());
        var settlement = payment.GetProperty("settlement");
        Assert.Equal("USD", settlement.GetProperty("currency").GetString());
        Assert.Equal(6_600, settlement.GetProperty("amount").GetInt64());      // ¥10,000 at 0.00660000000033 = $66.00
        Assert.Equal(0.00660000000033m, settlement.GetProperty("fxRate").GetDecimal());
        Assert.StartsWith("fxq_", settlement.GetProperty("fxQuote").GetString(), StringComparison.Ordinal);

        // ¥10,000 at the mid rate is $66.67: $66.00 to the merchant, $0.67 margin.
        Assert.Equal(10_000, await server.BalanceAsync("psp_receivable", "JPY"));
        Assert.Equal(0, await server.BalanceAsync("merchant_payable", "JPY"));
        Assert.Equal(-10_000, await server.BalanceAsync("fx_position", "JPY"));
        Assert.Equal(6_667, await server.BalanceAsync("fx_position", "USD"));
        Assert.Equal(6_600, await server.BalanceAsync("merchant_payable", "USD"));
        Assert.Equal(67, await server.BalanceAsync("fx_revenue", "USD"));

        // The next day the dollar is weaker (1 EUR = 1.06 USD): ¥4,000 now costs $26.92, the merchant gives back its $26.40.
        server.Clock.Advance(TimeSpan.FromDays(1));
        server.UseRatesFile("eurofxref-next-day.xml");
        Assert.True(await server.RefreshRatesAsync());
        var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", new { amount = 4_000 })).ReadJsonAsync();
        Assert.Equal("succeeded", refund.GetProperty("status").GetString());
        Assert.Equal(2_640, refund.GetProperty("settlement").GetProperty("amount").GetInt64());
        Assert.Equal(0.00673015873m, refund.GetProperty("settlement").GetProperty("dayRate").GetDecimal());
        Assert.Equal(3_960, await server.BalanceAsync("merchant_payable", "USD"));
        Assert.Equal(52, await server.BalanceAsync("fx_gain_loss", "USD")); // a loss of $0.52
        Assert.Equal(6_667 - 2_640 - 52, await server.BalanceAsync("fx_position", "USD"));
        Assert.Equal(-6_000, await server.BalanceAsync("fx_position", "JPY"));
        Assert.Equal(6_000, await server.BalanceAsync("psp_receivable", "JPY"));
        Assert.Equal(0, await server.BalanceAsync("merchant_payable", "JPY"));

        // The rest: the merchant has given back exactly what it was credited.
        var rest = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", new { })).ReadJsonAsync();
        Assert.Equal(3_960, rest.GetProperty("settlement").GetProperty("amount").GetInt64());
        Assert.Equal(0, await server.BalanceAsync("merchant_payable", "USD"));
        var refunded = await (await server.Client.GetAsync($"/v1/payments/{id}")).ReadJsonAsync();
        Assert.Equal("refunded", refunded.GetProperty("status").GetString());
        Assert.Equal(6_600, refunded.GetProperty("settlement").GetProperty("amountRefunded").GetInt64());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_payment_in_the_settlement_currency_is_not_converted(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);
        await server.SettleInAsync("USD");

        var payment = await (await server.PayAsync(1_999, "USD")).ReadJsonAsync();

        Assert.Equal(System.Text.Json.JsonValueKind.Null, payment.TryGetProperty("settlement", out var s) ? s.ValueKind : System.Text.Json.JsonValueKind.Null);
        Assert.Equal(1_999, await server.BalanceAsync("merchant_payable", "USD"));
        Assert.Equal(0, await server.BalanceAsync("fx_position", "USD"));
    }

    [Theory]
    [BothDatabases]
    public async Task A_manual_capture_converts_the_captured_amount_at_the_quote_taken_when_the_payment_was_made(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);
        await server.SettleInAsync("EUR");

        var payment = await (await server.PayAsync(10_000, "USD", captureMethod: "manual")).ReadJsonAsync(); // $100.00, EUR per USD 0.9523809524
        var id = payment.GetProperty("id").GetString();
        Assert.Equal("authorized", payment.GetProperty("status").GetString());
        Assert.Equal(0, payment.GetProperty("settlement").GetProperty("amount").GetInt64());

        server.Clock.Advance(TimeSpan.FromDays(2)); // the quote's lock has run out; it was used when the payment was made
        var captured = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", new { amount = 5_000 })).ReadJsonAsync();
        Assert.Equal("captured", captured.GetProperty("status").GetString());
        Assert.Equal(4_714, captured.GetProperty("settlement").GetProperty("amount").GetInt64()); // 5000 × 0.9523809524 × 0.99 = 4714.2857
        Assert.Equal(4_714, await server.BalanceAsync("merchant_payable", "EUR"));
        Assert.Equal(0, await server.BalanceAsync("merchant_payable", "USD"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_named_quote_converts_one_payment_and_an_expired_or_used_one_refuses_it_before_the_psp_is_asked(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);

        var quote = await server.QuoteAsync("JPY", "USD", amount: 5_000, lockDuration: "PT10M");
        var quoteId = quote.GetProperty("id").GetString();
        await (await server.PayAsync(4_999, "JPY", quoteId)).ReadProblemAsync(400, "fx_quote_mismatch");
        await (await server.PayAsync(5_000, "EUR", quoteId)).ReadProblemAsync(400, "fx_quote_mismatch");
        await (await server.PayAsync(5_000, "JPY", "fxq_nosuchquote")).ReadProblemAsync(400, "validation_failed");

        var paid = await (await server.PayAsync(5_000, "JPY", quoteId)).ReadJsonAsync();
        Assert.Equal(quoteId, paid.GetProperty("settlement").GetProperty("fxQuote").GetString());
        Assert.Equal(quote.GetProperty("convertedAmount").GetInt64(), paid.GetProperty("settlement").GetProperty("amount").GetInt64());
        var used = await (await server.Client.GetAsync($"/v1/fx/quotes/{quoteId}")).ReadJsonAsync();
        Assert.Equal(paid.GetProperty("id").GetString(), used.GetProperty("usedBy").GetString());
        await (await server.PayAsync(5_000, "JPY", quoteId)).ReadProblemAsync(409, "fx_quote_used");

        var later = await server.QuoteAsync("JPY", "USD", lockDuration: "PT10M");
        server.Clock.Advance(TimeSpan.FromMinutes(10));
        await (await server.PayAsync(5_000, "JPY", later.GetProperty("id").GetString())).ReadProblemAsync(409, "fx_quote_expired");

        var payments = await (await server.Client.GetAsync("/v1/payments")).ReadJsonAsync();
        Assert.Single(payments.GetProperty("data").EnumerateArray());
        var charges = await server.Client.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/sim/charges");
        Assert.Single(charges!);
    }

    [Theory]
    [BothDatabases]
    public async Task Many_payments_racing_for_one_quote_use_it_once(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);
        var quoteId = (await server.QuoteAsync("JPY", "USD", amount: 3_000)).GetProperty("id").GetString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => server.PayAsync(3_000, "JPY", quoteId)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.Created))
        {
            await refused.ReadProblemAsync(409, "fx_quote_used");
        }

        var charges = await server.Client.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/sim/charges");
        Assert.Single(charges!);
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Stale_rates_refuse_a_payment_that_needs_converting_and_charge_nothing(DatabaseProvider provider)
    {
        await using var server = await FxServer.StartAsync(provider);
        await server.SettleInAsync("USD");
        server.Clock.Advance(TimeSpan.FromDays(7));

        await (await server.PayAsync(10_000, "JPY")).ReadProblemAsync(503, "fx_rates_stale");
        Assert.Equal(HttpStatusCode.Created, (await server.PayAsync(1_000, "USD")).StatusCode);

        var charges = await server.Client.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/sim/charges");
        Assert.Single(charges!);
    }
}
