using Obol.Payments.Psp;
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

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task An_adyen_failure_reported_after_a_modification_was_counted_done_goes_on_the_history_and_changes_nothing(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, EuroToAdyen);
        var id = (await (await server.CreateAsync("pm_card_visa", 6_000, "EUR", "manual")).ReadJsonAsync()).GetProperty("id").GetString()!;
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":5000}""")).ReadJsonAsync();
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        var before = await server.GetAsync(id);
        var pspReference = before.GetProperty("pspReference").GetString()!;

        var key = server.Service<PaymentsOptions>().Adyen.HmacKey;
        string Item(string reference, string eventCode, bool success, long value)
        {
            var signature = PspSimulator.Webhooks.AdyenHmac.Sign(
                PspSimulator.Webhooks.AdyenHmac.SigningString(reference, pspReference, "ObolTest", id, value, "EUR", eventCode, success), key);
            return $$$$"""
                {"NotificationRequestItem":{"pspReference":"{{{{reference}}}}","originalReference":"{{{{pspReference}}}}","merchantAccountCode":"ObolTest",
                "merchantReference":"{{{{id}}}}","amount":{"value":{{{{value}}}},"currency":"EUR"},"eventCode":"{{{{eventCode}}}}",
                "success":"{{{{(success ? "true" : "false")}}}}","reason":"Rejected by the scheme","additionalData":{"hmacSignature":"{{{{signature}}}}"}}}
                """;
        }

        using var anonymous = server.Server.CreateClient(apiKey: null);
        var notification = $$"""{"live":"false","notificationItems":[{{Item("CAPFAIL1", "CAPTURE", false, 5000)}},{{Item("REFFAIL1", "REFUND_FAILED", true, 1000)}}]}""";
        var response = await anonymous.PostJsonAsync("/webhooks/psp/adyen", notification);

        Assert.Equal("[accepted]", await response.Content.ReadAsStringAsync());
        var after = await server.GetAsync(id);
        Assert.Equal(before.GetProperty("status").GetString(), after.GetProperty("status").GetString());
        Assert.Equal(5000, after.GetProperty("amountCaptured").GetInt64());
        Assert.Equal(1000, after.GetProperty("amountRefunded").GetInt64());
        var reported = (await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync()).GetProperty("data").EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() == "payment.psp_reported_failure")
            .Select(e => e.GetProperty("data").GetProperty("eventCode").GetString());
        Assert.Equal(["CAPTURE", "REFUND_FAILED"], reported);
        Assert.Equal((4000, 0, 0), await server.AccountAsync("merchant_payable", "EUR"));
        await server.AssertLedgerBalancedAsync();
    }
}
