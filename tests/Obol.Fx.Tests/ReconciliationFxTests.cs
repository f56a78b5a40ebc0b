using System.Net;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Fx.Tests;

/// <summary>
/// Both PSPs pay the merchant out in USD (the simulator converts at its own reference rates, 1 EUR = 1.0540 USD = 158.42 JPY,
/// less a markup), while Obol's rates are the sample's (1.05 and 157.50): about 20 basis points apart before the markup.
/// </summary>
public class ReconciliationFxTests
{
    private static Dictionary<string, string?> Settings(string psp, int markupBps) => new()
    {
        ["PspSimulator:SettlementCurrency"] = "USD",
        ["PspSimulator:ConversionMarkupBps"] = markupBps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Obol:Payments:Routing:0:Currencies:0"] = "JPY",
        ["Obol:Payments:Routing:0:Psps:0"] = psp,
    };

    [Theory]
    [BothDatabases("stripe")]
    [BothDatabases("adyen")]
    public async Task Rows_paid_out_in_another_currency_are_booked_through_the_fx_positions_of_both(DatabaseProvider provider, string psp)
    {
        await using var server = await FxServer.StartAsync(provider, Settings(psp, markupBps: 100));
        await server.SettleInAsync("USD");
        var payment = await (await server.PayAsync(10_000, "JPY")).ReadJsonAsync();
        Assert.Equal(psp, payment.GetProperty("psp").GetString());
        Assert.Equal(HttpStatusCode.Created, (await server.Client.PostJsonAsync($"/v1/payments/{payment.GetProperty("id").GetString()}/refunds", new { amount = 4_000 })).StatusCode);

        var run = await ReconcileAsync(server, psp);

        Assert.Equal(2, run.GetProperty("matched").GetInt32());
        Assert.Equal(0, run.GetProperty("discrepancyCount").GetInt32());

        // The PSP owes nothing more in yen, and Obol's yen position closed: what it took in at capture (¥10,000) and gave
        // back at the refund (¥4,000) the PSP converted and paid out.
        Assert.Equal(0, await server.BalanceAsync("psp_receivable", "JPY"));
        Assert.Equal(0, await server.BalanceAsync("fx_position", "JPY"));
        Assert.True(await server.BalanceAsync("bank_cash", "USD") > 0);
        Assert.True(await server.BalanceAsync("psp_fee_expense", "USD") > 0);
        await server.AssertLedgerBalancedAsync();

        // A second run of the day changes nothing.
        var again = await ReconcileAsync(server, psp);
        Assert.Equal(2, again.GetProperty("alreadyReconciled").GetInt32());
        Assert.Equal(0, again.GetProperty("discrepancyCount").GetInt32());
    }

    [Theory]
    [BothDatabases("stripe")]
    [BothDatabases("adyen")]
    public async Task A_psp_rate_too_far_from_obols_is_a_discrepancy_and_the_row_is_booked_as_paid(DatabaseProvider provider, string psp)
    {
        await using var server = await FxServer.StartAsync(provider, Settings(psp, markupBps: 500));
        var payment = await (await server.PayAsync(10_000, "JPY")).ReadJsonAsync();

        var run = await ReconcileAsync(server, psp);

        Assert.Equal(1, run.GetProperty("matched").GetInt32());
        var discrepancy = Assert.Single(run.GetProperty("discrepancies").EnumerateArray());
        Assert.Equal("fx_rate_difference", discrepancy.GetProperty("code").GetString());
        Assert.Equal(payment.GetProperty("id").GetString(), discrepancy.GetProperty("paymentId").GetString());
        Assert.Equal("USD", discrepancy.GetProperty("currency").GetString());
        Assert.Equal(6_667, discrepancy.GetProperty("expectedAmount").GetInt64()); // ¥10,000 at Obol's 0.006666666667
        Assert.True(discrepancy.GetProperty("reportedAmount").GetInt64() < 6_400);
        Assert.Equal(0, await server.BalanceAsync("psp_receivable", "JPY"));
        await server.AssertLedgerBalancedAsync();
    }

    private static async Task<System.Text.Json.JsonElement> ReconcileAsync(FxServer server, string psp)
    {
        var response = await server.Client.PostJsonAsync("/v1/reconciliation/runs", new { psp, date = "2026-11-25" }, Guid.NewGuid().ToString("N"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var run = await response.ReadJsonAsync();
        return await (await server.Client.GetAsync($"/v1/reconciliation/runs/{run.GetProperty("id").GetString()}")).ReadJsonAsync();
    }
}
