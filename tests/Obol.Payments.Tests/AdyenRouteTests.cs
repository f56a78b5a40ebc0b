using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

public class AdyenRouteTests
{
    private static readonly Dictionary<string, string?> EuroToAdyen = new()
    {
        ["Obol:Payments:Routing:0:Currencies:0"] = "EUR",
        ["Obol:Payments:Routing:0:Psps:0"] = "adyen",
        ["Obol:Payments:Routing:0:Psps:1"] = "stripe",
    };

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Routing_rules_send_euro_payments_to_adyen_through_their_whole_life(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);

        var created = await server.CreateAsync("pm_card_visa", 6_000, "EUR", "manual");
        var payment = await created.ReadJsonAsync();
        var id = payment.GetProperty("id").GetString()!;
        Assert.Equal("adyen", payment.GetProperty("psp").GetString());
        Assert.Equal("authorized", payment.GetProperty("status").GetString());

        var captured = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":5000}""")).ReadJsonAsync();
        Assert.Equal("captured", captured.GetProperty("status").GetString());
        var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        Assert.Equal("succeeded", refund.GetProperty("status").GetString());

        var charge = Assert.Single(await server.ChargesAsync(id));
        Assert.Equal("adyen", charge.GetProperty("psp").GetString());
        Assert.Equal(5000, charge.GetProperty("amountCaptured").GetInt64());
        Assert.Equal(1000, charge.GetProperty("amountRefunded").GetInt64());
        Assert.Equal((4000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();

        var usd = await server.CreatedAsync("pm_card_visa", 100);
        Assert.Equal("stripe", usd.GetProperty("psp").GetString());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Adyen_declines_and_cancellations_are_recorded(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);

        var declined = await (await server.CreateAsync("pm_card_insufficient_funds", 100, "EUR")).ReadJsonAsync();
        Assert.Equal("declined", declined.GetProperty("status").GetString());
        Assert.Equal("insufficient_funds", declined.GetProperty("lastError").GetProperty("code").GetString());

        var id = (await (await server.CreateAsync("pm_card_visa", 300, "EUR", "manual")).ReadJsonAsync()).GetProperty("id").GetString();
        var cancelled = await (await server.Client.PostAsync($"/v1/payments/{id}/cancel", null)).ReadJsonAsync();
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal((0, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }
}
