using System.Net;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Fx.Tests;

/// <summary>
/// Random payments in several currencies for a merchant that settles in USD, captured and refunded in random parts over
/// the real server and ledger: converting never leaves a minor unit behind on the merchant's side.
/// </summary>
public class RoundTripTests
{
    private static readonly string[] Currencies = ["JPY", "GBP", "CHF", "KRW", "SEK", "EUR", "IDR"];

    [Theory]
    [BothDatabases(20261208)]
    [BothDatabases(7)]
    public async Task Fully_refunded_converted_payments_leave_the_merchant_exactly_where_it_started(DatabaseProvider provider, int seed)
    {
        await using var server = await FxServer.StartAsync(provider);
        await server.SettleInAsync("USD");
        var random = new Random(seed);
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 6; i++)
        {
            var currency = Currencies[random.Next(Currencies.Length)];
            used.Add(currency);
            var amount = random.NextInt64(100, 10_000_000);
            var created = await server.PayAsync(amount, currency);
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var id = (await created.ReadJsonAsync()).GetProperty("id").GetString();

            var left = amount;
            var takenBack = 0L;
            while (left > 0)
            {
                var part = left == 1 || random.Next(3) == 0 ? left : random.NextInt64(1, left);
                var refund = await (await server.Client.PostJsonAsync($"/v1/payments/{id}/refunds", new { amount = part })).ReadJsonAsync();
                Assert.Equal("succeeded", refund.GetProperty("status").GetString());
                takenBack += refund.GetProperty("settlement").GetProperty("amount").GetInt64();
                left -= part;
            }

            var payment = await (await server.Client.GetAsync($"/v1/payments/{id}")).ReadJsonAsync();
            Assert.Equal(payment.GetProperty("settlement").GetProperty("amount").GetInt64(), takenBack);
        }

        Assert.Equal(0, await server.BalanceAsync("merchant_payable", "USD"));
        foreach (var currency in used)
        {
            Assert.Equal(0, await server.BalanceAsync("merchant_payable", currency));
            Assert.Equal(0, await server.BalanceAsync("psp_receivable", currency));
        }

        await server.AssertLedgerBalancedAsync();
    }
}
