using Obol.Core.Storage;

namespace Obol.Ledger.Tests;

public class BulkBookingTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_bulk_booking_accepts_and_rejects_each_transaction_on_its_own(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var funding = await ledger.AccountAsync("funding");
        var wallet = await ledger.AccountAsync("wallet", AccountType.Liability, new AccountFlags(true, false));
        var shop = await ledger.AccountAsync("shop", AccountType.Liability);

        // Enough rows that PostgreSQL takes the binary COPY path.
        var transactions = new List<NewTransaction> { new([new NewTransfer(funding.Id, wallet.Id, 1_000, LedgerFixture.Usd)]) { ExternalId = "fund" } };
        for (var i = 0; i < 300; i++)
        {
            transactions.Add(new NewTransaction([new NewTransfer(wallet.Id, shop.Id, 10, LedgerFixture.Usd) { Pending = i % 3 == 0, Timeout = i % 3 == 0 ? TimeSpan.FromHours(1) : null }])
            {
                ExternalId = i % 50 == 0 ? $"bulk-{i}" : null,
                Description = i % 2 == 0 ? $"purchase {i}" : null,
                Metadata = i % 7 == 0 ? new Dictionary<string, string> { ["batch"] = "b1", ["n"] = $"{i}" } : null,
            });
        }

        transactions.Add(new NewTransaction([new NewTransfer(funding.Id, wallet.Id, 1_000, LedgerFixture.Usd)]) { ExternalId = "fund" });

        var outcomes = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionsAsync(s, LedgerFixture.Merchant, transactions));

        Assert.Equal(transactions.Count, outcomes.Count);
        Assert.Equal(101, outcomes.Count(o => o.IsBooked && o.Booked!.Created));
        Assert.All(outcomes.Skip(101).Take(200), o => Assert.Equal("balance_limit_exceeded", o.Rejection?.Code));
        var repeated = outcomes[^1].Booked!;
        Assert.False(repeated.Created);
        Assert.Equal(outcomes[0].Booked!.Transaction.Id, repeated.Transaction.Id);
        var walletNow = await ledger.ReloadAsync(wallet.Id);
        Assert.Equal((1_000L, 660L, 340L, 0L), (walletNow.CreditsPosted, walletNow.DebitsPosted, walletNow.DebitsPending, walletNow.AvailableBalance));

        var tagged = await ledger.ReadAsync(s => Booking.LedgerQueries.ListTransactionsAsync(s, LedgerFixture.Merchant, Core.Http.PageRequest.From(100, null), "batch", "b1"));
        Assert.Equal(15, tagged.Data.Count);
        await ledger.AssertVerifiedAsync();
    }
}
