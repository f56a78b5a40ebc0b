using Obol.Core.Storage;
using Obol.Payouts.Engine.Tests.Support;
using Obol.Testing;
using static Obol.Payouts.Engine.Tests.Support.EngineServer;

namespace Obol.Payouts.Engine.Tests;

/// <summary>Courier pay in currencies with no minor unit (yen) and three (dinars): rates, earnings and payouts all in minor units.</summary>
public class CurrencyTests
{
    [Theory]
    [BothDatabases]
    public async Task Yen_and_dinar_couriers_are_paid_in_their_own_minor_units_as_a_dollar_courier_is_in_cents(DatabaseProvider provider)
    {
        await using var engine = await StartAsync(provider, now: "2027-03-01T00:00:00Z");
        var couriers = new[] { ("usd", "USD", "America/New_York"), ("jpy", "JPY", "Asia/Tokyo"), ("kwd", "KWD", "Asia/Kuwait") };
        foreach (var (id, currency, zone) in couriers)
        {
            var terms = await engine.PutCourierAsync(id, zone, rate: 125, bonus: 1_005, perBonus: 2, currency: currency);
            Assert.Equal((currency, 125L), (terms.Str("currency"), terms.Num("basePayRate")));
            await engine.PostEventsAsync(
                Accepted(id, $"{id}-1", "2027-03-09T01:00:00Z"), Fulfilled(id, $"{id}-1", "2027-03-09T01:09:00Z"),
                Accepted(id, $"{id}-2", "2027-03-09T02:00:00Z"), Fulfilled(id, $"{id}-2", "2027-03-09T02:13:00Z"));
        }

        engine.SetNow("2027-03-20T00:00:00Z");
        var paid = new List<(string Currency, long Total, long Payout)>();
        foreach (var (id, currency, _) in couriers)
        {
            var period = await engine.PayPeriodContainingAsync(id, "2027-03-09");
            var closed = await engine.PostAsync($"/v1/pay-periods/{period.Str("id")}/close");
            Assert.Equal("closed", closed.Str("status"));
            paid.Add((closed.Str("currency"), closed.Num("total"), closed.GetProperty("payout").Num("amount")));
        }

        // The same work at the same rates earns the same number of minor units whatever the currency's exponent: 4 005 cents,
        // 4 005 yen, 4.005 dinars (base pay and one bonus of 1 005), none of it scaled or rounded to two decimals.
        Assert.Equal([("USD", 4_005L, 4_005L), ("JPY", 4_005L, 4_005L), ("KWD", 4_005L, 4_005L)], paid);
        var verify = await engine.GetJsonAsync("/v1/ledger/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
    }
}
