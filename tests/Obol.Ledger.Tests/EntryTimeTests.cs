using Microsoft.Extensions.Time.Testing;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger.Booking;
using Obol.Testing;

namespace Obol.Ledger.Tests;

/// <summary>
/// Entries have no index by booking time: an account's booking times never go backwards, and a time maps to a sequence
/// by binary search over (account, sequence). These tests check that search against a plain model, and that the
/// times stay in order when a node's clock is behind the last entry's.
/// </summary>
public class EntryTimeTests
{
    [Theory]
    [BothDatabases]
    public async Task Balances_as_of_and_entry_ranges_match_a_scan_of_the_booking_times(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        var random = new Random(7);
        var booked = new List<(DateTimeOffset At, long Balance)>();
        var balance = 0L;
        for (var i = 0; i < 45; i++)
        {
            // Several bookings share an instant now and then; gaps vary from a microsecond to minutes.
            if (i == 0 || random.Next(3) > 0)
            {
                ledger.Clock.Advance(TimeSpan.FromMicroseconds(random.Next(4) switch { 0 => 1, 1 => 1_000, 2 => 1_000_000, _ => 90_000_000 }));
            }

            var amount = random.Next(1, 1_000);
            await ledger.TransferAsync(a.Id, b.Id, amount);
            balance += amount;
            booked.Add((ledger.Clock.GetUtcNow(), balance));
        }

        var row = await ledger.ReadAsync(s => LedgerQueries.GetAccountRowAsync(s, new LedgerScope(LedgerFixture.Merchant, false), a.Id));
        var instants = booked.SelectMany(x => new[] { x.At - TimeSpan.FromMicroseconds(1), x.At, x.At + TimeSpan.FromMicroseconds(1) })
            .Append(booked[0].At - TimeSpan.FromDays(1)).Append(booked[^1].At + TimeSpan.FromDays(1)).Distinct().Order().ToList();
        foreach (var instant in instants)
        {
            var upTo = booked.Count(x => x.At <= instant);
            var asOf = await ledger.ReadAsync(s => ledger.Ledger.GetAccountAsync(s, LedgerFixture.Merchant, a.Id, instant));
            Assert.Equal((upTo, upTo == 0 ? 0 : booked[upTo - 1].Balance), (asOf!.EntryCount, asOf.Balance));
        }

        for (var k = 0; k < 60; k++)
        {
            var from = instants[random.Next(instants.Count)];
            var to = instants[random.Next(instants.Count)];
            var expected = Enumerable.Range(1, booked.Count).Where(seq => booked[seq - 1].At >= from && booked[seq - 1].At < to)
                .Select(seq => (long)seq).Reverse().ToList();
            var page = await ledger.ReadAsync(s => LedgerQueries.ListEntriesAsync(s, row!, PageRequest.From(100, null), from, to));
            Assert.Equal(expected, page.Data.Select(e => e.Sequence));
        }
    }

    [Theory]
    [BothDatabases]
    public async Task A_node_whose_clock_is_behind_books_at_the_accounts_last_entry_time(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        var c = await ledger.AccountAsync("c", AccountType.Liability);
        await ledger.TransferAsync(a.Id, b.Id, 100);
        var first = ledger.Clock.GetUtcNow();

        var behind = new FakeTimeProvider(first - TimeSpan.FromSeconds(30));
        var otherNode = new Ledger(new Bookkeeper(behind), new IdGenerator(behind), behind);
        var late = await ledger.WriteAsync(s => otherNode.CreateTransactionAsync(s, LedgerFixture.Merchant,
            new NewTransaction([new NewTransfer(a.Id, c.Id, 7, LedgerFixture.Usd)])));

        Assert.Equal(first - TimeSpan.FromSeconds(30), late.Transaction.CreatedAt);
        var entries = await ledger.ReadAsync(async s =>
        {
            var row = await LedgerQueries.GetAccountRowAsync(s, new LedgerScope(LedgerFixture.Merchant, false), a.Id);
            return (await LedgerQueries.ListEntriesAsync(s, row!, PageRequest.From(10, null), null, null)).Data;
        });
        Assert.Equal([first, first], entries.Select(e => e.CreatedAt));
        var untouched = await ledger.ReadAsync(async s =>
        {
            var row = await LedgerQueries.GetAccountRowAsync(s, new LedgerScope(LedgerFixture.Merchant, false), c.Id);
            return Assert.Single((await LedgerQueries.ListEntriesAsync(s, row!, PageRequest.From(10, null), null, null)).Data);
        });
        Assert.Equal(first - TimeSpan.FromSeconds(30), untouched.CreatedAt);

        var asOf = await ledger.ReadAsync(s => ledger.Ledger.GetAccountAsync(s, LedgerFixture.Merchant, a.Id, first - TimeSpan.FromSeconds(1)));
        Assert.Equal(0, asOf!.EntryCount);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Verification_reports_entries_booked_out_of_order_and_a_last_entry_time_behind_them(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        await ledger.TransferAsync(a.Id, b.Id, 10);
        var booked = ledger.Clock.GetUtcNow();

        // A second transfer written by hand with balances that follow, but booked a second before the first.
        await ledger.WriteAsync(s => s.ExecuteAsync(
            """
            INSERT INTO ledger_entries (account_no, sequence, transfer_id, side, posted_amount, pending_amount,
                                        debits_posted, credits_posted, debits_pending, credits_pending, created_at)
            SELECT number, 2, 'tr_by_hand', CASE WHEN id = @a THEN 'debit' ELSE 'credit' END, 5, 0,
                   CASE WHEN id = @a THEN 15 ELSE 0 END, CASE WHEN id = @a THEN 0 ELSE 15 END, 0, 0, @earlier
            FROM ledger_accounts WHERE id IN (@a, @b);
            UPDATE ledger_accounts SET last_sequence = 2, debits_posted = CASE WHEN id = @a THEN 15 ELSE 0 END,
                                       credits_posted = CASE WHEN id = @a THEN 0 ELSE 15 END
            WHERE id IN (@a, @b);
            """, new { a = a.Id, b = b.Id, earlier = booked - TimeSpan.FromSeconds(1) }));
        var report = await ledger.ReadAsync(s => ledger.Ledger.VerifyAsync(s, null));
        Assert.Equal([("entry_time_backwards", a.Id), ("entry_time_backwards", b.Id)],
            report.Problems.Select(p => (p.Code, p.AccountId)).OrderBy(p => p.AccountId == a.Id ? 0 : 1));

        await ledger.WriteAsync(s => s.ExecuteAsync("UPDATE ledger_accounts SET last_entry_at = @behind WHERE id = @a",
            new { a = a.Id, behind = booked - TimeSpan.FromMinutes(1) }));
        report = await ledger.ReadAsync(s => ledger.Ledger.VerifyAsync(s, null));
        Assert.Contains(report.Problems, p => p is { Code: "entry_time_mismatch" } && p.AccountId == a.Id);
    }
}
