using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Reconciliation.Tests;

/// <summary>
/// Issue 18: a PSP's late word that contradicts what Obol recorded and cannot be applied is never dropped. It stays on the
/// payment's history, and reconciliation lists it with the day's discrepancies, since no settlement report would show it.
/// </summary>
public class UnappliedPspReportTests
{
    [Theory]
    [BothDatabases]
    public async Task A_charge_reported_by_a_psp_obol_never_sent_the_payment_to_is_listed_by_reconciliation(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.SetFaultsAsync("""{"seed":18,"stripe":{"webhooks":{"dropRate":1}}}""");
        var id = await server.CapturedAsync(4_000);

        // Adyen says it charged this payment too: nothing Obol recorded can take that, so a person must look.
        Assert.Equal("[accepted]", await AdyenNotifications.SendAsync(server.Server,
            new AdyenNotificationItem("ADYENREF00000001", null, id, "AUTHORISATION", true, 4_000, "USD")));

        Assert.Equal("captured", await server.StatusAsync(id));
        var history = await (await server.Client.GetAsync($"/v1/payments/{id}/events")).ReadJsonAsync();
        var reported = Assert.Single(history.GetProperty("data").EnumerateArray(), e => e.GetProperty("type").GetString() == "payment.psp_reported_success");
        Assert.Equal(("adyen", "AUTHORISATION"), (reported.GetProperty("data").GetProperty("psp").GetString(), reported.GetProperty("data").GetProperty("eventCode").GetString()));

        var adyen = await server.ReconcileAsync("adyen");
        var discrepancy = Assert.Single(adyen.GetProperty("discrepancies").EnumerateArray());
        Assert.Equal(("psp_report_unapplied", id), (discrepancy.GetProperty("code").GetString(), discrepancy.GetProperty("paymentId").GetString()));
        Assert.Contains("AUTHORISATION", discrepancy.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var stripe = await server.ReconcileAsync("stripe");
        Assert.DoesNotContain("psp_report_unapplied", stripe.Codes());
        Assert.Equal(4_000, await server.BalanceAsync("merchant_payable"));
    }
}
