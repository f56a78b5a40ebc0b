using System.Net;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

/// <summary>
/// Payments in zero-, two- and three-decimal currencies through both PSPs of the simulator, each PSP counting amounts its own way
/// (docs/payments.md, "Currencies"): Obol's API and ledger always in ISO 4217 minor units, the PSP's charge in the PSP's.
/// </summary>
public class CurrencyTests
{
    private static Dictionary<string, string?> Route(string currency, params string[] psps)
    {
        var settings = new Dictionary<string, string?> { ["Obol:Payments:Routing:0:Currencies:0"] = currency };
        for (var i = 0; i < psps.Length; i++)
        {
            settings[$"Obol:Payments:Routing:0:Psps:{i}"] = psps[i];
        }

        return settings;
    }

    [Theory]
    [BothDatabases("USD", "stripe", 5_000, 4_000, 1_500, 4_000, 1_500)]
    [BothDatabases("USD", "adyen", 5_000, 4_000, 1_500, 4_000, 1_500)]
    [BothDatabases("JPY", "stripe", 5_000, 4_000, 1_500, 4_000, 1_500)]
    [BothDatabases("JPY", "adyen", 5_000, 4_000, 1_500, 4_000, 1_500)]
    [BothDatabases("KWD", "stripe", 5_000, 4_120, 1_530, 4_120, 1_530)]
    [BothDatabases("KWD", "adyen", 5_005, 4_125, 1_535, 4_125, 1_535)]
    [BothDatabases("ISK", "stripe", 5_000, 4_000, 1_500, 400_000, 150_000)] // two decimals at Stripe
    [BothDatabases("IDR", "adyen", 500_000, 400_000, 150_000, 4_000, 1_500)] // none at Adyen
    [BothDatabases("MGA", "stripe", 500_000, 400_000, 150_000, 4_000, 1_500)] // none at Stripe
    public async Task A_payment_is_authorized_partially_captured_and_partially_refunded_in_its_currency_at_either_psp(
        DatabaseProvider provider, string currency, string psp, long amount, long capture, long refund, long pspCaptured, long pspRefunded)
    {
        await using var server = await PaymentsServer.StartAsync(provider, Route(currency, psp));

        var created = await (await server.CreateAsync("pm_card_visa", amount, currency, "manual")).ReadJsonAsync();
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(("authorized", psp, amount, currency), (created.GetProperty("status").GetString(), created.GetProperty("psp").GetString(),
            created.GetProperty("amountCapturable").GetInt64(), created.GetProperty("currency").GetString()));

        var captured = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", $$"""{"amount":{{capture}}}""")).ReadJsonAsync();
        Assert.Equal(("captured", capture), (captured.GetProperty("status").GetString(), captured.GetProperty("amountCaptured").GetInt64()));
        var refunded = await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", $$"""{"amount":{{refund}}}""");
        Assert.Equal(HttpStatusCode.Created, refunded.StatusCode);
        var refundBody = await refunded.ReadJsonAsync();
        Assert.Equal(("succeeded", refund, currency), (refundBody.GetProperty("status").GetString(), refundBody.GetProperty("amount").GetInt64(),
            refundBody.GetProperty("currency").GetString()));

        var payment = await server.GetAsync(id);
        Assert.Equal(("partially_refunded", capture, refund), (payment.GetProperty("status").GetString(),
            payment.GetProperty("amountCaptured").GetInt64(), payment.GetProperty("amountRefunded").GetInt64()));
        var charge = Assert.Single(await server.ChargesAsync(id));
        Assert.Equal((psp, currency, pspCaptured, pspRefunded), (charge.GetProperty("psp").GetString(), charge.GetProperty("currency").GetString(),
            charge.GetProperty("amountCaptured").GetInt64(), charge.GetProperty("amountRefunded").GetInt64()));
        Assert.Equal((capture - refund, 0, 0), await server.AccountAsync("merchant_payable", currency));
        Assert.Equal((capture - refund, 0, 0), await server.AccountAsync("psp_receivable", currency));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task An_amount_the_first_psp_cannot_take_goes_to_the_next_one_without_a_call_to_the_first(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, Route("KWD", "stripe", "adyen"));

        // 1.005 KWD: Stripe takes three-decimal amounts only in steps of 0.010; Adyen takes fils.
        var payment = await (await server.CreateAsync("pm_card_visa", 1_005, "KWD")).ReadJsonAsync();

        Assert.Equal(("captured", "adyen", 1_005L), (payment.GetProperty("status").GetString(), payment.GetProperty("psp").GetString(),
            payment.GetProperty("amountCaptured").GetInt64()));
        var charge = Assert.Single(await server.ChargesAsync());
        Assert.Equal(("adyen", 1_005L), (charge.GetProperty("psp").GetString(), charge.GetProperty("amountCaptured").GetInt64()));
        var attempts = await server.Service<Database>().ReadAsync(
            s => server.Service<Storage.PaymentStore>().GetAttemptsAsync(s, payment.GetProperty("id").GetString()!), CancellationToken.None);
        Assert.Equal(["adyen"], attempts.Select(a => a.Psp));
        Assert.Equal((1_005, 0, 0), await server.AccountAsync("merchant_payable", "KWD"));
    }

    [Theory]
    [BothDatabases("KWD", 1_005L, "stripe")]
    [BothDatabases("ISK", 92_233_720_368_547_759L, "stripe", "adyen")] // × 100 at both PSPs: beyond a long
    [BothDatabases("IDR", 150_050L, "adyen")] // 1500.50 rupiah: Adyen counts whole rupiah
    public async Task An_amount_no_psp_of_the_route_can_take_is_refused_and_nothing_is_stored_or_sent(
        DatabaseProvider provider, string currency, long amount, params string[] psps)
    {
        await using var server = await PaymentsServer.StartAsync(provider, Route(currency, psps));

        var problem = await (await server.CreateAsync("pm_card_visa", amount, currency, key: "kwd-1")).ReadProblemAsync(400, "amount_not_supported");

        Assert.Contains(psps[0], problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await server.ChargesAsync());
        var list = await (await server.Client.GetAsync("/v1/payments")).ReadJsonAsync();
        Assert.Equal(0, list.GetProperty("data").GetArrayLength());
        // Nothing was stored under the key either: it takes an amount the PSP can take.
        var retried = await server.CreateAsync("pm_card_visa", 1_000, currency, key: "kwd-1");
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
    }

    [Theory]
    [BothDatabases]
    public async Task A_partial_capture_or_refund_the_payments_psp_cannot_take_is_refused_and_changes_nothing(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, Route("KWD", "stripe"));
        var id = (await (await server.CreateAsync("pm_card_visa", 5_000, "KWD", "manual")).ReadJsonAsync()).GetProperty("id").GetString()!;
        var events = await EventCountAsync(server, id);

        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":4125}""")).ReadProblemAsync(400, "amount_not_supported");

        var authorized = await server.GetAsync(id);
        Assert.Equal(("authorized", 5_000L), (authorized.GetProperty("status").GetString(), authorized.GetProperty("amountCapturable").GetInt64()));
        Assert.Equal(events, await EventCountAsync(server, id));
        Assert.Equal(0, Assert.Single(await server.ChargesAsync(id)).GetProperty("amountCaptured").GetInt64());

        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/capture", """{"amount":4120}""")).ReadJsonAsync();
        events = await EventCountAsync(server, id);
        await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1005}""")).ReadProblemAsync(400, "amount_not_supported");

        var captured = await server.GetAsync(id);
        Assert.Equal(("captured", 0L), (captured.GetProperty("status").GetString(), captured.GetProperty("amountRefunded").GetInt64()));
        Assert.Equal(events, await EventCountAsync(server, id));
        Assert.Equal(0, Assert.Single(await server.ChargesAsync(id)).GetProperty("amountRefunded").GetInt64());
        var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":1000}""")).ReadJsonAsync();
        Assert.Equal("succeeded", refund.GetProperty("status").GetString());
        Assert.Equal((3_120, 0, 0), await server.AccountAsync("merchant_payable", "KWD"));
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task An_adyen_report_about_a_rupiah_refund_is_read_in_iso_minor_units(DatabaseProvider provider)
    {
        await using var server = await PaymentsServer.StartAsync(provider, Route("IDR", "adyen"));
        var payment = await (await server.CreateAsync("pm_card_visa", 500_000, "IDR")).ReadJsonAsync();
        var id = payment.GetProperty("id").GetString()!;
        var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", """{"amount":150000}""")).ReadJsonAsync();
        var refundId = refund.GetProperty("id").GetString()!;

        // Adyen names the amount in whole rupiah: 1500 is Obol's 150000. 1500 of another refund would not be this one's.
        await AdyenNotifications.SendAsync(server.Server,
            new AdyenNotificationItem("REFFAIL1DR000001", payment.GetProperty("pspReference").GetString(), refundId, "REFUND_FAILED", true, 1_500, "IDR"));

        var reversed = await (await server.Client.GetAsync($"/v1/refunds/{refundId}")).ReadJsonAsync();
        Assert.Equal("failed", reversed.GetProperty("status").GetString());
        Assert.Equal(("captured", 0L), ((await server.GetAsync(id)).GetProperty("status").GetString(), (await server.GetAsync(id)).GetProperty("amountRefunded").GetInt64()));
        Assert.Equal((500_000, 0, 0), await server.AccountAsync("merchant_payable", "IDR"));
        await server.AssertLedgerBalancedAsync();
    }

    private static async Task<int> EventCountAsync(PaymentsServer server, string id) =>
        (await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync()).GetProperty("data").GetArrayLength();
}
