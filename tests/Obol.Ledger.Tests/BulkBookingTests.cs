using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger.Booking;
using Obol.Testing;

namespace Obol.Ledger.Tests;

public class BulkBookingTests
{
    [Theory]
    [BothDatabases]
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

    /// <summary>
    /// 3,000 transactions in one call against wallets that may not spend more than they received: the outcome of
    /// each is what a plain in-memory model of the limits says, including holds counting against the limit, a
    /// repeated external id and invalid transactions rejected in their place; then a small call (the unnest path
    /// on PostgreSQL) continues from the balances the large one (binary COPY) left.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task A_large_bulk_booking_keeps_every_limit_and_rejects_each_transaction_on_its_own(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var funding = await ledger.AccountAsync("funding");
        var shop = await ledger.AccountAsync("shop", AccountType.Liability);
        var wallets = new List<LedgerAccount>();
        for (var w = 0; w < 20; w++)
        {
            wallets.Add(await ledger.AccountAsync($"wallet{w}", AccountType.Liability, new AccountFlags(true, false)));
        }

        var model = wallets.ToDictionary(w => w.Id, _ => (Credits: 0L, Debits: 0L, Pending: 0L), StringComparer.Ordinal);
        var random = new Random(42);
        var expected = new List<string>();

        List<NewTransaction> Generate(int count)
        {
            var transactions = new List<NewTransaction>();
            for (var i = 0; i < count; i++)
            {
                var wallet = wallets[random.Next(wallets.Count)].Id;
                var (credits, debits, pending) = model[wallet];
                if (i % 97 == 50)
                {
                    transactions.Add(new NewTransaction([new NewTransfer(funding.Id, wallet, 1, LedgerFixture.Usd)]) { ExternalId = "bad\nid" });
                    expected.Add("validation_failed");
                }
                else if (random.Next(10) < 3)
                {
                    var amount = random.Next(1, 500);
                    transactions.Add(new NewTransaction([new NewTransfer(funding.Id, wallet, amount, LedgerFixture.Usd)]) { ExternalId = $"fund-{expected.Count}" });
                    model[wallet] = (credits + amount, debits, pending);
                    expected.Add("booked");
                }
                else
                {
                    var amount = random.Next(1, 400);
                    var hold = random.Next(10) == 0;
                    transactions.Add(new NewTransaction([new NewTransfer(wallet, shop.Id, amount, LedgerFixture.Usd) { Pending = hold }]));
                    if (debits + pending + amount <= credits)
                    {
                        model[wallet] = hold ? (credits, debits, pending + amount) : (credits, debits + amount, pending);
                        expected.Add("booked");
                    }
                    else
                    {
                        expected.Add("balance_limit_exceeded");
                    }
                }
            }

            return transactions;
        }

        var first = new NewTransaction([new NewTransfer(funding.Id, wallets[0].Id, 1_000, LedgerFixture.Usd)]) { ExternalId = "first" };
        model[wallets[0].Id] = (1_000, 0, 0);
        expected.Add("booked");
        var large = new List<NewTransaction> { first };
        large.AddRange(Generate(3000));
        large.Add(first with { });
        expected.Add("repeat");
        var outcomes = (await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionsAsync(s, LedgerFixture.Merchant, large))).ToList();
        outcomes.AddRange(await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionsAsync(s, LedgerFixture.Merchant, Generate(60))));

        Assert.Equal(expected.Count, outcomes.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var actual = outcomes[i].IsBooked ? (outcomes[i].Booked!.Created ? "booked" : "repeat") : outcomes[i].Rejection!.Code;
            Assert.True(expected[i] == actual, $"transaction {i}: expected {expected[i]}, got {actual}");
        }

        Assert.Equal(outcomes[0].Booked!.Transaction.Id, outcomes[3001].Booked!.Transaction.Id);
        Assert.Contains("balance_limit_exceeded", expected);
        foreach (var wallet in wallets)
        {
            var now = await ledger.ReloadAsync(wallet.Id);
            var (credits, debits, pending) = model[wallet.Id];
            Assert.Equal((credits, debits, pending), (now.CreditsPosted, now.DebitsPosted, now.DebitsPending));
        }

        var booked = expected.Count(e => e == "booked");
        var entryCounts = (await ledger.ReloadAsync(funding.Id)).EntryCount + (await ledger.ReloadAsync(shop.Id)).EntryCount;
        foreach (var wallet in wallets)
        {
            entryCounts += (await ledger.ReloadAsync(wallet.Id)).EntryCount;
        }

        Assert.Equal(booked * 2, entryCounts);
        await ledger.AssertVerifiedAsync();
    }

    /// <summary>The bulk path (binary COPY on PostgreSQL) stores instants exactly as the single-booking path does.</summary>
    [Theory]
    [BothDatabases]
    public async Task Bulk_and_single_bookings_store_the_same_instants(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        DateTimeOffset[] instants =
        [
            new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999),
            new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567),
            new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(5),
        ];

        foreach (var instant in instants)
        {
            var transaction = new NewTransaction([new NewTransfer(a.Id, b.Id, 1, LedgerFixture.Usd)]) { EffectiveAt = instant };
            var single = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionAsync(s, LedgerFixture.Merchant, transaction));
            var bulk = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionsAsync(s, LedgerFixture.Merchant, Enumerable.Repeat(transaction, 200).ToList()));

            var stored = await ledger.ReadAsync(s => LedgerQueries.GetTransactionAsync(s, LedgerFixture.Merchant, single.Transaction.Id));
            var storedBulk = await ledger.ReadAsync(s => LedgerQueries.GetTransactionAsync(s, LedgerFixture.Merchant, bulk[199].Booked!.Transaction.Id));
            Assert.Equal(stored!.EffectiveAt, storedBulk!.EffectiveAt);
            Assert.Equal(stored.CreatedAt, storedBulk.CreatedAt);
            Assert.True((instant - stored.EffectiveAt).Duration() < TimeSpan.FromMilliseconds(1), $"{instant:O} stored as {stored.EffectiveAt:O}");
        }

        await ledger.AssertVerifiedAsync();
    }

    [Fact]
    public void Sequential_ids_have_the_usual_shape_and_increase_within_a_booking()
    {
        var now = DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var ids = new SequentialIds(now);
        var made = Enumerable.Range(0, 10_000).Select(i => ids.Next(i % 2 == 0 ? "txn" : "tr")).ToList();

        Assert.All(made.Where((_, i) => i % 2 == 0), id => Assert.True(IdGenerator.HasShape(id, "txn"), id));
        Assert.All(made.Where((_, i) => i % 2 == 1), id => Assert.True(IdGenerator.HasShape(id, "tr"), id));
        var bodies = made.Select(id => id[(id.IndexOf('_', StringComparison.Ordinal) + 1)..]).ToList();
        Assert.Equal(bodies.Order(StringComparer.Ordinal), bodies);
        Assert.Equal(bodies.Count, bodies.Distinct(StringComparer.Ordinal).Count());

        // Same millisecond as IdGenerator: the first ten characters are the time.
        Assert.Equal(new IdGenerator(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now)).New("txn")[..14], made[0][..14]);
        Assert.NotEqual(new SequentialIds(now).Next("txn"), new SequentialIds(now).Next("txn"));
    }

    /// <summary>A character PostgreSQL text cannot store is refused for that transaction alone, on both databases.</summary>
    [Theory]
    [BothDatabases]
    public async Task A_nul_character_rejects_only_its_own_transaction(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        var transactions = Enumerable.Range(0, 300).Select(i => new NewTransaction([new NewTransfer(a.Id, b.Id, 1, LedgerFixture.Usd)])
        {
            Description = i == 7 ? "bad\0description" : $"ok {i}",
            Metadata = i == 8 ? new Dictionary<string, string> { ["k"] = "v\0" } : null,
        }).ToList();

        var outcomes = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionsAsync(s, LedgerFixture.Merchant, transactions));

        Assert.Equal("validation_failed", outcomes[7].Rejection?.Code);
        Assert.Equal("validation_failed", outcomes[8].Rejection?.Code);
        Assert.Equal(298, outcomes.Count(o => o.IsBooked));
        Assert.Equal(298, (await ledger.ReloadAsync(b.Id)).Balance);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_page_of_transactions_with_more_transfers_than_SQLite_has_variables_comes_back_whole(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b");
        // 40 transactions of 1,000 transfers: 40,000 transfer ids on one page, above SQLite's 32,766 variables.
        var transactions = Enumerable.Range(0, 40).Select(_ => new NewTransaction(Enumerable.Range(0, 1000)
            .Select(k => k % 2 == 0 ? new NewTransfer(a.Id, b.Id, k + 1, LedgerFixture.Usd) : new NewTransfer(b.Id, a.Id, k + 1, LedgerFixture.Usd)).ToList())).ToList();
        var outcomes = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionsAsync(s, LedgerFixture.Merchant, transactions));
        Assert.All(outcomes, o => Assert.True(o.IsBooked));

        var page = await ledger.ReadAsync(s => LedgerQueries.ListTransactionsAsync(s, LedgerFixture.Merchant, PageRequest.From(100, null), null, null));
        Assert.Equal(40, page.Data.Count);
        Assert.All(page.Data, t => Assert.Equal(Enumerable.Range(1, 1000).Select(k => (long)k), t.Transfers.Select(x => x.Amount)));
        await ledger.AssertVerifiedAsync();
    }

    /// <summary>
    /// One external id several times in one call: the first occurrence that passes is booked and the later ones are
    /// answered against it, so a rejected first (here refused by the wallet's limit) does not take a valid retry with it.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task A_repeated_external_id_is_booked_by_its_first_occurrence_that_passes(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var funding = await ledger.AccountAsync("funding");
        var wallet = await ledger.AccountAsync("wallet", AccountType.Liability, new AccountFlags(true, false));
        var shop = await ledger.AccountAsync("shop", AccountType.Liability);
        await ledger.TransferAsync(funding.Id, wallet.Id, 100);
        NewTransaction Spend(long amount) => new([new NewTransfer(wallet.Id, shop.Id, amount, LedgerFixture.Usd)]) { ExternalId = "order-1" };

        var outcomes = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionsAsync(s, LedgerFixture.Merchant, [Spend(500), Spend(50), Spend(50), Spend(60)]));

        Assert.Equal("balance_limit_exceeded", outcomes[0].Rejection?.Code);
        Assert.True(outcomes[1].Booked!.Created);
        Assert.Equal((false, outcomes[1].Booked!.Transaction.Id), (outcomes[2].Booked!.Created, outcomes[2].Booked!.Transaction.Id));
        Assert.Equal("external_id_reused", outcomes[3].Rejection?.Code);
        Assert.Equal(50, (await ledger.ReloadAsync(wallet.Id)).DebitsPosted);
        await ledger.AssertVerifiedAsync();
    }
}
