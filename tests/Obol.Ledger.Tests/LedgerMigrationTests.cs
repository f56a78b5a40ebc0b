using Obol.Core.Http;
using Obol.Core.Storage;
using Obol.Ledger.Booking;
using Obol.Testing;

namespace Obol.Ledger.Tests;

/// <summary>
/// Migrations ledger/0003 and 0004 re-key entries by account number, drop their index by time, key transactions by
/// merchant and derive new transfer ids from their transaction's; the books stay as they were.
/// </summary>
public class LedgerMigrationTests
{
    // Two transfers from a to b as the ledger wrote them before the migration. The second booking read the clock
    // (12:00:00.5) before it waited for the accounts' locks, so its entries follow the first's (12:00:01) with an
    // earlier time: the order a concurrent booking could leave.
    private const string StoredBefore = """
        INSERT INTO ledger_accounts (id, merchant_id, code, type, currency, owner_type, owner_id, metadata, debits_must_not_exceed_credits,
            credits_must_not_exceed_debits, debits_posted, credits_posted, debits_pending, credits_pending, last_sequence, created_at) VALUES
            ('acc_a', 'mer_test', 'a', 'asset', 'USD', 'merchant', 'mer_test', '{}', FALSE, FALSE, 300, 0, 0, 0, 2, '2026-11-25T11:00:00.000000Z'),
            ('acc_b', 'mer_test', 'b', 'liability', 'USD', 'merchant', 'mer_test', '{}', FALSE, FALSE, 0, 300, 0, 0, 2, '2026-11-25T11:00:00.000000Z'),
            ('acc_c', 'mer_test', 'c', 'liability', 'USD', 'merchant', 'mer_test', '{}', FALSE, FALSE, 0, 0, 0, 0, 0, '2026-11-25T11:00:00.000000Z');
        INSERT INTO ledger_transactions (id, merchant_id, external_id, description, metadata, effective_at, created_at) VALUES
            ('txn_01jdq7x3k90000000000000001', 'mer_test', NULL, NULL, '{}', '2026-11-01T00:00:00.000000Z', '2026-11-25T12:00:01.000000Z'),
            ('txn_01jdq7x3k90000000000000002', 'mer_test', NULL, NULL, '{}', '2026-11-25T12:00:00.500000Z', '2026-11-25T12:00:00.500000Z');
        INSERT INTO ledger_transfers (id, transaction_id, merchant_id, position, kind, debit_account_id, credit_account_id, amount, currency, created_at) VALUES
            ('tr_01jdq7x3k90000000000000001', 'txn_01jdq7x3k90000000000000001', 'mer_test', 0, 'posted', 'acc_a', 'acc_b', 100, 'USD', '2026-11-25T12:00:01.000000Z'),
            ('tr_01jdq7x3k90000000000000002', 'txn_01jdq7x3k90000000000000002', 'mer_test', 0, 'posted', 'acc_a', 'acc_b', 200, 'USD', '2026-11-25T12:00:00.500000Z');
        INSERT INTO ledger_entries (account_id, sequence, transfer_id, transaction_id, merchant_id, side, posted_amount, pending_amount,
            debits_posted, credits_posted, debits_pending, credits_pending, effective_at, created_at) VALUES
            ('acc_a', 1, 'tr_01jdq7x3k90000000000000001', 'txn_01jdq7x3k90000000000000001', 'mer_test', 'debit', 100, 0, 100, 0, 0, 0, '2026-11-01T00:00:00.000000Z', '2026-11-25T12:00:01.000000Z'),
            ('acc_a', 2, 'tr_01jdq7x3k90000000000000002', 'txn_01jdq7x3k90000000000000002', 'mer_test', 'debit', 200, 0, 300, 0, 0, 0, '2026-11-25T12:00:00.500000Z', '2026-11-25T12:00:00.500000Z'),
            ('acc_b', 1, 'tr_01jdq7x3k90000000000000001', 'txn_01jdq7x3k90000000000000001', 'mer_test', 'credit', 100, 0, 0, 100, 0, 0, '2026-11-01T00:00:00.000000Z', '2026-11-25T12:00:01.000000Z'),
            ('acc_b', 2, 'tr_01jdq7x3k90000000000000002', 'txn_01jdq7x3k90000000000000002', 'mer_test', 'credit', 200, 0, 0, 300, 0, 0, '2026-11-25T12:00:00.500000Z', '2026-11-25T12:00:00.500000Z');
        """;

    [Theory]
    [BothDatabases]
    public async Task Entries_keep_their_amounts_and_balances_and_the_ledger_books_on_from_them(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider, migrate: false);
        var migrations = new MigrationSource("ledger", typeof(ILedger).Assembly).For(provider);
        await ledger.WriteAsync(async s =>
        {
            foreach (var migration in migrations.Where(m => m.Version < 3))
            {
                await s.ExecuteAsync(migration.Sql);
            }

            await s.ExecuteAsync(StoredBefore);
            foreach (var migration in migrations.Where(m => m.Version >= 3))
            {
                await s.ExecuteAsync(migration.Sql);
            }

            return 0;
        });

        var numbers = await ledger.ReadAsync(s => s.QueryAsync<long>("SELECT number FROM ledger_accounts ORDER BY id"));
        Assert.Equal(3, numbers.Distinct().Count());
        await ledger.AssertVerifiedAsync();

        var history = await EntriesAsync(ledger, "acc_a");
        Assert.Equal([2L, 1L], history.Select(e => e.Sequence));
        Assert.Equal([300L, 100L], history.Select(e => e.Balance));
        Assert.Equal(["txn_01jdq7x3k90000000000000002", "txn_01jdq7x3k90000000000000001"], history.Select(e => e.TransactionId));
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), history[1].EffectiveAt);

        // The out-of-order entry now carries the time before it, so as of 12:00:00.7 neither booking counts: before
        // the migration the time index answered 300, a balance that already included the booking of 12:00:01.
        var at = DateTimeOffset.Parse("2026-11-25T12:00:01Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([at, at], history.Select(e => e.CreatedAt));
        var asOf = await ledger.ReadAsync(s => ledger.Ledger.GetAccountAsync(s, LedgerFixture.Merchant, "acc_a", at - TimeSpan.FromMilliseconds(300)));
        Assert.Equal((0L, 0L), (asOf!.EntryCount, asOf.Balance));

        // The fixture's clock (12:00:00) is behind the accounts' last entries: new entries are booked at 12:00:01.
        await ledger.TransferAsync("acc_a", "acc_c", 5);
        var after = await EntriesAsync(ledger, "acc_a");
        Assert.Equal((3L, 305L, at), (after[0].Sequence, after[0].Balance, after[0].CreatedAt));
        Assert.Equal(ledger.Clock.GetUtcNow(), Assert.Single(await EntriesAsync(ledger, "acc_c")).CreatedAt);

        // A transaction booked before keeps its transfers; reversing it books transfers whose ids derive from the reversal's.
        var old = await ledger.ReadAsync(s => ledger.Ledger.GetTransactionAsync(s, LedgerFixture.Merchant, "txn_01jdq7x3k90000000000000001"));
        Assert.Equal("tr_01jdq7x3k90000000000000001", Assert.Single(old!.Transfers).Id);
        var reversal = await ledger.WriteAsync(s => ledger.Ledger.ReverseTransactionAsync(s, LedgerFixture.Merchant, old.Id));
        var reversed = await ledger.ReadAsync(s => ledger.Ledger.GetTransactionAsync(s, LedgerFixture.Merchant, reversal.Transaction.Id));
        Assert.Equal("tr_" + reversal.Transaction.Id["txn_".Length..] + "00", Assert.Single(reversed!.Transfers).Id);
        Assert.Equal((old.Id, reversal.Transaction.Id), (reversed.ReversesTransactionId, (await ledger.ReadAsync(
            s => ledger.Ledger.GetTransactionAsync(s, LedgerFixture.Merchant, old.Id)))!.ReversedByTransactionId));
        Assert.Equal(205, (await ledger.ReloadAsync("acc_a")).Balance);
        await ledger.AssertVerifiedAsync();
    }

    private static Task<IReadOnlyList<LedgerEntry>> EntriesAsync(LedgerFixture ledger, string accountId) => ledger.ReadAsync(async s =>
    {
        var row = await LedgerQueries.GetAccountRowAsync(s, new LedgerScope(LedgerFixture.Merchant, false), accountId);
        return (await LedgerQueries.ListEntriesAsync(s, row!, PageRequest.From(10, null), null, null)).Data;
    });
}
