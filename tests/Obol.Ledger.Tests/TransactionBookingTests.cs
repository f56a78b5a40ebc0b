using System.Globalization;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Ledger.Booking;
using Obol.Testing;

namespace Obol.Ledger.Tests;

public class TransactionBookingTests
{
    [Theory]
    [BothDatabases]
    public async Task A_transfer_moves_the_amount_and_keeps_balances_on_the_normal_side(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var cash = await ledger.AccountAsync("cash", AccountType.Asset);
        var payable = await ledger.AccountAsync("payable", AccountType.Liability);

        var booked = await ledger.TransferAsync(cash.Id, payable.Id, 1250);

        Assert.True(booked.Created);
        Assert.StartsWith("txn_", booked.Transaction.Id, StringComparison.Ordinal);
        var transfer = Assert.Single(booked.Transaction.Transfers);
        Assert.StartsWith("tr_", transfer.Id, StringComparison.Ordinal);
        Assert.Equal(TransferStatus.Posted, transfer.Status);
        var cashNow = await ledger.ReloadAsync(cash.Id);
        var payableNow = await ledger.ReloadAsync(payable.Id);
        Assert.Equal((1250, 0, 1250), (cashNow.DebitsPosted, cashNow.CreditsPosted, cashNow.Balance));
        Assert.Equal((0, 1250, 1250), (payableNow.DebitsPosted, payableNow.CreditsPosted, payableNow.Balance));
        Assert.Equal(1, cashNow.EntryCount);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_transaction_with_one_bad_transfer_books_nothing(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        var limited = await ledger.AccountAsync("limited", AccountType.Liability, new AccountFlags(true, false));

        var problem = await Assert.ThrowsAsync<ProblemException>(() => ledger.WriteAsync(s => ledger.Ledger.CreateTransactionAsync(s, LedgerFixture.Merchant,
            new NewTransaction([new NewTransfer(a.Id, b.Id, 100, LedgerFixture.Usd), new NewTransfer(limited.Id, a.Id, 1, LedgerFixture.Usd)]))));

        Assert.Equal("balance_limit_exceeded", problem.Code);
        Assert.Equal(0, (await ledger.ReloadAsync(a.Id)).EntryCount);
        Assert.Equal(0, (await ledger.ReloadAsync(b.Id)).EntryCount);
        Assert.Empty((await ledger.ReadAsync(s => Booking.LedgerQueries.ListTransactionsAsync(s, LedgerFixture.Merchant, Core.Http.PageRequest.From(null, null), null, null))).Data);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Each_invalid_transfer_has_its_own_problem_code(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var usd = await ledger.AccountAsync("usd");
        var usd2 = await ledger.AccountAsync("usd2", AccountType.Liability);
        var eur = await ledger.AccountAsync("eur", currency: LedgerFixture.Eur);
        var limited = await ledger.AccountAsync("limited", AccountType.Liability, new AccountFlags(true, false));
        var otherMerchants = await ledger.AccountAsync("theirs", merchant: "mer_other");

        async Task<string> CodeOf(NewTransfer transfer) =>
            (await Assert.ThrowsAsync<ProblemException>(() => ledger.WriteAsync(s => ledger.Ledger.CreateTransactionAsync(s, LedgerFixture.Merchant, new NewTransaction([transfer]))))).Code;

        Assert.Equal("same_account", await CodeOf(new NewTransfer(usd.Id, usd.Id, 1, LedgerFixture.Usd)));
        Assert.Equal("currency_mismatch", await CodeOf(new NewTransfer(usd.Id, eur.Id, 1, LedgerFixture.Usd)));
        Assert.Equal("currency_mismatch", await CodeOf(new NewTransfer(usd.Id, usd2.Id, 1, LedgerFixture.Eur)));
        Assert.Equal("invalid_amount", await CodeOf(new NewTransfer(usd.Id, usd2.Id, 0, LedgerFixture.Usd)));
        Assert.Equal("invalid_amount", await CodeOf(new NewTransfer(usd.Id, usd2.Id, -5, LedgerFixture.Usd)));
        Assert.Equal("account_not_found", await CodeOf(new NewTransfer(usd.Id, "acc_missing", 1, LedgerFixture.Usd)));
        Assert.Equal("account_not_found", await CodeOf(new NewTransfer(usd.Id, otherMerchants.Id, 1, LedgerFixture.Usd)));
        Assert.Equal("balance_limit_exceeded", await CodeOf(new NewTransfer(limited.Id, usd.Id, 1, LedgerFixture.Usd)));

        await ledger.TransferAsync(usd.Id, usd2.Id, long.MaxValue);
        Assert.Equal("amount_overflow", await CodeOf(new NewTransfer(usd.Id, usd2.Id, 1, LedgerFixture.Usd)));
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Booking_an_external_id_again_returns_the_first_transaction(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);

        var first = await ledger.TransferAsync(a.Id, b.Id, 10, externalId: "order-1");
        var again = await ledger.TransferAsync(a.Id, b.Id, 10, externalId: "order-1");
        var different = await Assert.ThrowsAsync<ProblemException>(() => ledger.TransferAsync(a.Id, b.Id, 11, externalId: "order-1"));

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Transaction.Id, again.Transaction.Id);
        Assert.Equal("external_id_reused", different.Code);
        Assert.Equal(10, (await ledger.ReloadAsync(a.Id)).Balance);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Reversal_books_the_opposite_transfers_once_and_links_them(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        var original = await ledger.TransferAsync(a.Id, b.Id, 700);

        var reversal = await ledger.WriteAsync(s => ledger.Ledger.ReverseTransactionAsync(s, LedgerFixture.Merchant, original.Transaction.Id));
        var twice = await Assert.ThrowsAsync<ProblemException>(() => ledger.WriteAsync(s => ledger.Ledger.ReverseTransactionAsync(s, LedgerFixture.Merchant, original.Transaction.Id)));

        Assert.Equal(original.Transaction.Id, reversal.Transaction.ReversesTransactionId);
        var transfer = Assert.Single(reversal.Transaction.Transfers);
        Assert.Equal((b.Id, a.Id, 700L), (transfer.DebitAccountId, transfer.CreditAccountId, transfer.Amount));
        Assert.Equal("transaction_already_reversed", twice.Code);
        var reloaded = await ledger.ReadAsync(s => ledger.Ledger.GetTransactionAsync(s, LedgerFixture.Merchant, original.Transaction.Id));
        Assert.Equal(reversal.Transaction.Id, reloaded!.ReversedByTransactionId);
        var aNow = await ledger.ReloadAsync(a.Id);
        Assert.Equal((700, 700, 0, 2), (aNow.DebitsPosted, aNow.CreditsPosted, aNow.Balance, aNow.EntryCount));
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Entries_are_append_only_in_the_database(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        await ledger.TransferAsync(a.Id, b.Id, 5);

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ledger.WriteAsync(s => s.ExecuteAsync("UPDATE ledger_entries SET posted_amount = 6")));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ledger.WriteAsync(s => s.ExecuteAsync("DELETE FROM ledger_entries")));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ledger.WriteAsync(s => s.ExecuteAsync("DELETE FROM ledger_transfers")));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ledger.WriteAsync(s => s.ExecuteAsync("UPDATE ledger_transactions SET description = 'x'")));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => ledger.WriteAsync(s => s.ExecuteAsync("DELETE FROM ledger_transactions")));
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Balance_as_of_an_instant_and_entry_history_come_from_the_entries(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        var start = ledger.Clock.GetUtcNow();
        await ledger.TransferAsync(a.Id, b.Id, 100);
        ledger.Clock.Advance(TimeSpan.FromMinutes(1));
        var afterFirst = ledger.Clock.GetUtcNow();
        await ledger.TransferAsync(a.Id, b.Id, 20);
        ledger.Clock.Advance(TimeSpan.FromMinutes(1));
        await ledger.TransferAsync(b.Id, a.Id, 5);

        var before = await ledger.ReadAsync(s => ledger.Ledger.GetAccountAsync(s, LedgerFixture.Merchant, a.Id, start - TimeSpan.FromSeconds(1)));
        var mid = await ledger.ReadAsync(s => ledger.Ledger.GetAccountAsync(s, LedgerFixture.Merchant, a.Id, afterFirst));
        var now = await ledger.ReloadAsync(a.Id);
        Assert.Equal((0L, 0L), (before!.Balance, before.EntryCount));
        Assert.Equal((120L, 2L), (mid!.Balance, mid.EntryCount));
        Assert.Equal((115L, 3L), (now.Balance, now.EntryCount));

        var row = await ledger.ReadAsync(s => Booking.LedgerQueries.GetAccountRowAsync(s, new Booking.LedgerScope(LedgerFixture.Merchant, false), a.Id));
        var page = await ledger.ReadAsync(s => Booking.LedgerQueries.ListEntriesAsync(s, row!, Core.Http.PageRequest.From(2, null), null, null));
        Assert.True(page.HasMore);
        Assert.Equal([3L, 2L], page.Data.Select(e => e.Sequence));
        Assert.Equal([115L, 120L], page.Data.Select(e => e.Balance));
        var next = await ledger.ReadAsync(s => Booking.LedgerQueries.ListEntriesAsync(s, row!, Core.Http.PageRequest.From(2, "2"), null, null));
        Assert.False(next.HasMore);
        Assert.Equal(100L, Assert.Single(next.Data).Balance);
        var ranged = await ledger.ReadAsync(s => Booking.LedgerQueries.ListEntriesAsync(s, row!, Core.Http.PageRequest.From(10, null), afterFirst, afterFirst + TimeSpan.FromSeconds(1)));
        Assert.Equal(2L, Assert.Single(ranged.Data).Sequence);
    }

    [Theory]
    [BothDatabases]
    public async Task Platform_accounts_are_created_once_per_code_and_currency(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var first = await ledger.WriteAsync(s => ledger.Ledger.GetOrCreatePlatformAccountAsync(s, null, "psp_receivable", LedgerFixture.Usd));
        var again = await ledger.WriteAsync(s => ledger.Ledger.GetOrCreatePlatformAccountAsync(s, null, "psp_receivable", LedgerFixture.Usd));
        var euro = await ledger.WriteAsync(s => ledger.Ledger.GetOrCreatePlatformAccountAsync(s, null, "psp_receivable", LedgerFixture.Eur));
        var payable = await ledger.WriteAsync(s => ledger.Ledger.GetOrCreatePlatformAccountAsync(s, LedgerFixture.Merchant, "merchant_payable", LedgerFixture.Usd));

        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Id, euro.Id);
        Assert.Equal(AccountType.Asset, first.Type);
        Assert.Equal(AccountType.Liability, payable.Type);
        Assert.Equal(new AccountOwner(OwnerType.Merchant, LedgerFixture.Merchant), payable.Owner);

        // A capture: the platform-wide receivable against the merchant's payable, in one in-process transaction.
        await ledger.TransferAsync(first.Id, payable.Id, 990);
        Assert.Equal(990, (await ledger.ReloadAsync(payable.Id)).Balance);
        await ledger.AssertVerifiedAsync();

        // The merchant's own verification counts both sides of its transaction, the platform's receivable included.
        var own = await ledger.ReadAsync(s => ledger.Ledger.VerifyAsync(s, LedgerFixture.Merchant));
        Assert.True(own.Ok);
        Assert.Equal(2, own.EntriesChecked);
        Assert.Equal(("USD", 990m, 990m, true), Assert.Single(own.Currencies) is var usd ? (usd.Currency, usd.DebitsPosted, usd.CreditsPosted, usd.Balanced) : default);
    }

    /// <summary>Both databases keep instants to the microsecond: what a booking returns is what a later read gives.</summary>
    [Theory]
    [BothDatabases]
    public async Task A_booking_returns_its_instants_as_they_are_stored(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var cash = await ledger.AccountAsync("cash");
        var wallet = await ledger.AccountAsync("wallet", AccountType.Liability);
        ledger.Clock.SetUtcNow(DateTimeOffset.Parse("2026-11-25T12:00:00.1234567Z", CultureInfo.InvariantCulture));

        var booked = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionAsync(s, LedgerFixture.Merchant,
            new NewTransaction([new NewTransfer(cash.Id, wallet.Id, 10, LedgerFixture.Usd) { Pending = true, Timeout = TimeSpan.FromTicks(TimeSpan.TicksPerHour + 1) }])
            {
                EffectiveAt = DateTimeOffset.Parse("1999-12-31T23:59:59.9999999Z", CultureInfo.InvariantCulture),
            }));
        var stored = (await ledger.ReadAsync(s => ledger.Ledger.GetTransactionAsync(s, LedgerFixture.Merchant, booked.Transaction.Id)))!;

        var returned = booked.Transaction;
        Assert.Equal(DateTimeOffset.Parse("2026-11-25T12:00:00.123456Z", CultureInfo.InvariantCulture), returned.CreatedAt);
        Assert.Equal(DateTimeOffset.Parse("1999-12-31T23:59:59.999999Z", CultureInfo.InvariantCulture), returned.EffectiveAt);
        Assert.Equal((returned.CreatedAt, returned.EffectiveAt), (stored.CreatedAt, stored.EffectiveAt));
        Assert.Equal((returned.Transfers[0].CreatedAt, returned.Transfers[0].ExpiresAt), (stored.Transfers[0].CreatedAt, stored.Transfers[0].ExpiresAt));
    }

    /// <summary>A currency's totals may pass 2^63 while every account stays in range: verification adds them up exactly.</summary>
    [Theory]
    [BothDatabases]
    public async Task Verification_adds_up_currency_totals_beyond_64_bits(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        for (var pair = 0; pair < 2; pair++)
        {
            var asset = await ledger.AccountAsync($"asset-{pair}");
            var liability = await ledger.AccountAsync($"liability-{pair}", AccountType.Liability);
            await ledger.TransferAsync(asset.Id, liability.Id, 5_000_000_000_000_000_000);
        }

        var report = await ledger.ReadAsync(s => ledger.Ledger.VerifyAsync(s, null));

        Assert.True(report.Ok, string.Join("\n", report.Problems.Select(p => p.Detail)));
        var usd = Assert.Single(report.Currencies);
        Assert.Equal((10_000_000_000_000_000_000m, 10_000_000_000_000_000_000m), (usd.DebitsPosted, usd.CreditsPosted));
    }

    [Theory]
    [BothDatabases]
    public async Task A_hold_timeout_beyond_366_days_is_refused(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var cash = await ledger.AccountAsync("cash");
        var wallet = await ledger.AccountAsync("wallet", AccountType.Liability);

        var refused = await Assert.ThrowsAsync<Core.Errors.ProblemException>(() => ledger.TransferAsync(cash.Id, wallet.Id, 10, pending: true, timeout: TimeSpan.MaxValue));

        Assert.Equal("validation_failed", refused.Code);
        Assert.Equal(0, (await ledger.ReloadAsync(wallet.Id)).EntryCount);
    }

    /// <summary>
    /// The accounts Obol's modules keep in a merchant's books are the merchant's to read but only the modules' to book
    /// into, and external ids holding ':' are theirs: the merchant's API (its own books) can neither touch those
    /// accounts (and so not reverse, post or void what the modules booked) nor take such an id first.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task The_merchants_api_cannot_book_into_the_accounts_obol_keeps(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var receivable = await ledger.WriteAsync(s => ledger.Ledger.GetOrCreatePlatformAccountAsync(s, LedgerFixture.Merchant, "psp_receivable", LedgerFixture.Usd));
        var payable = await ledger.WriteAsync(s => ledger.Ledger.GetOrCreatePlatformAccountAsync(s, LedgerFixture.Merchant, "merchant_payable", LedgerFixture.Usd));
        var cash = await ledger.AccountAsync("cash");
        var shop = await ledger.AccountAsync("shop", AccountType.Liability);
        var capture = await ledger.TransferAsync(receivable.Id, payable.Id, 100, externalId: "settlement:stripe:1");
        var ownBooks = Ledger.OwnBooks(LedgerFixture.Merchant);

        var intoKept = await Assert.ThrowsAsync<ProblemException>(() => ledger.WriteAsync(s => ledger.Ledger.CreateTransactionAsync(s, ownBooks,
            new NewTransaction([new NewTransfer(cash.Id, payable.Id, 5, LedgerFixture.Usd)]))));
        var reversal = await Assert.ThrowsAsync<ProblemException>(() => ledger.WriteAsync(s => ledger.Ledger.ReverseAsync(s, ownBooks, capture.Transaction.Id, null)));
        var reservedId = await Assert.ThrowsAsync<ProblemException>(() => ledger.WriteAsync(s => ledger.Ledger.CreateTransactionAsync(s, ownBooks,
            new NewTransaction([new NewTransfer(cash.Id, shop.Id, 5, LedgerFixture.Usd)]) { ExternalId = "courier_earnings:per_1" })));

        Assert.Equal(("account_kept_by_obol", 403), (intoKept.Code, intoKept.Status));
        Assert.Equal("account_kept_by_obol", reversal.Code);
        Assert.Equal("validation_failed", reservedId.Code);
        Assert.Equal(100, (await ledger.ReadAsync(s => LedgerQueries.GetAccountAsync(s, ownBooks, payable.Id, null)))!.Balance);
        await ledger.AssertVerifiedAsync();
    }
}
