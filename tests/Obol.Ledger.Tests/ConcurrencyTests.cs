using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Ledger.GroupCommit;
using Obol.Testing;

namespace Obol.Ledger.Tests;

/// <summary>
/// Parallel writers over a few hot accounts, some of them limited. The full size (8 workers × 5,000) runs with
/// <c>OBOL_LEDGER_STRESS_TRANSFERS=5000</c>; by default each worker books 600 so the suite stays quick on two cores.
/// </summary>
public class ConcurrencyTests(ITestOutputHelper output)
{
    private const int Workers = 8;
    private const int HotAccounts = 10;

    private static int TransfersPerWorker =>
        int.TryParse(Environment.GetEnvironmentVariable("OBOL_LEDGER_STRESS_TRANSFERS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 600;

    [Theory]
    [BothDatabases]
    public async Task Parallel_writers_on_hot_accounts_only_see_limit_rejections_and_the_books_verify(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var accounts = await HotAccountsAsync(ledger);
        var rejections = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var stopwatch = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var i = 0; i < TransfersPerWorker; i++)
            {
                var transaction = RandomTransaction(random, accounts);
                try
                {
                    var booked = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionAsync(s, LedgerFixture.Merchant, transaction));
                    var hold = booked.Transaction.Transfers.FirstOrDefault(t => t.Kind == TransferKind.Pending);
                    if (hold is not null)
                    {
                        await ledger.WriteAsync(s => random.Next(2) == 0
                            ? ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, hold.Id, Math.Max(1, hold.Amount / 2))
                            : ledger.Ledger.VoidPendingTransferAsync(s, LedgerFixture.Merchant, hold.Id));
                    }
                }
                catch (ProblemException problem) when (problem.Code == "balance_limit_exceeded")
                {
                    rejections.AddOrUpdate(problem.Code, 1, (_, n) => n + 1);
                }
            }
        })));

        output.WriteLine($"{provider}: {Workers} × {TransfersPerWorker} transactions in {stopwatch.Elapsed.TotalSeconds:F1}s; rejected for limits: {rejections.GetValueOrDefault("balance_limit_exceeded")}");
        await ledger.AssertVerifiedAsync();
        await AssertWithinLimitsAsync(ledger, accounts);
    }

    [Theory]
    [BothDatabases]
    public async Task Group_commit_books_concurrent_callers_together_and_the_books_verify(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var accounts = await HotAccountsAsync(ledger);
        await using var groupCommit = new LedgerGroupCommit(ledger.Database, ledger.Bookkeeper, new LedgerGroupCommitOptions());
        var booked = 0;
        var rejected = 0;

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(100 + worker);
            for (var i = 0; i < TransfersPerWorker / 10; i++)
            {
                var batch = Enumerable.Range(0, 10).Select(_ => RandomTransaction(random, accounts)).ToList();
                var outcomes = i % 2 == 0
                    ? await groupCommit.BookManyAsync(LedgerFixture.Merchant, batch)
                    : await Task.WhenAll(batch.Select(t => BookOneAsync(groupCommit, t)));
                Tally(outcomes, ref booked, ref rejected);
            }
        })));

        output.WriteLine($"{provider}: group commit booked {booked}, rejected {rejected}");
        Assert.Equal(Workers * (TransfersPerWorker / 10) * 10, booked + rejected);
        await ledger.AssertVerifiedAsync();
        await AssertWithinLimitsAsync(ledger, accounts);
    }

    /// <summary>
    /// Bulk callers on the same hot accounts, each call large enough for PostgreSQL's binary COPY path: every
    /// call waits for the others' account locks, and their commits keep changing what the limits accept.
    /// </summary>
    [Theory]
    [BothDatabases]
    public async Task Parallel_bulk_callers_on_hot_accounts_keep_every_limit_and_the_books_verify(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var accounts = await HotAccountsAsync(ledger);
        var booked = 0;
        var rejected = 0;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var random = new Random(200 + worker);
            for (var call = 0; call < 5; call++)
            {
                var batch = Enumerable.Range(0, 300).Select(_ => RandomTransaction(random, accounts)).ToList();
                var outcomes = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionsAsync(s, LedgerFixture.Merchant, batch));
                Tally(outcomes, ref booked, ref rejected);
            }
        })));

        output.WriteLine($"{provider}: bulk booked {booked}, rejected {rejected}");
        Assert.Equal(4 * 5 * 300, booked + rejected);
        Assert.True(rejected > 0, "the limited accounts should have refused some");
        await ledger.AssertVerifiedAsync();
        await AssertWithinLimitsAsync(ledger, accounts);
    }

    [Theory]
    [BothDatabases]
    public async Task Concurrent_bookings_of_one_external_id_book_it_once(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => ledger.TransferAsync(a.Id, b.Id, 25, externalId: "once"))));

        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.Transaction.Id).Distinct());
        Assert.Equal(25, (await ledger.ReloadAsync(b.Id)).Balance);
        await ledger.AssertVerifiedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Concurrent_reversals_of_one_transaction_book_one(DatabaseProvider provider)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var a = await ledger.AccountAsync("a");
        var b = await ledger.AccountAsync("b", AccountType.Liability);
        var original = await ledger.TransferAsync(a.Id, b.Id, 25);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            try
            {
                await ledger.WriteAsync(s => ledger.Ledger.ReverseTransactionAsync(s, LedgerFixture.Merchant, original.Transaction.Id));
                return "ok";
            }
            catch (ProblemException problem)
            {
                return problem.Code;
            }
        })));

        Assert.Single(results, r => r == "ok");
        Assert.All(results.Where(r => r != "ok"), r => Assert.Equal("transaction_already_reversed", r));
        Assert.Equal(0, (await ledger.ReloadAsync(b.Id)).Balance);
        await ledger.AssertVerifiedAsync();
    }

    private static async Task<BookingOutcome> BookOneAsync(LedgerGroupCommit groupCommit, NewTransaction transaction)
    {
        try
        {
            return new BookingOutcome(await groupCommit.BookAsync(LedgerFixture.Merchant, transaction), null);
        }
        catch (ProblemException problem)
        {
            return new BookingOutcome(null, problem);
        }
    }

    /// <summary>Accounts 0–4 may not spend more than they received; 5–9 are unlimited and fund them.</summary>
    private static async Task<List<LedgerAccount>> HotAccountsAsync(LedgerFixture ledger)
    {
        var accounts = new List<LedgerAccount>();
        for (var i = 0; i < HotAccounts; i++)
        {
            accounts.Add(await ledger.AccountAsync($"hot{i}", i < 5 ? AccountType.Liability : AccountType.Asset, new AccountFlags(i < 5, false)));
        }

        return accounts;
    }

    /// <summary>One or two transfers between distinct random hot accounts; one in ten is a hold.</summary>
    private static NewTransaction RandomTransaction(Random random, List<LedgerAccount> accounts)
    {
        var count = random.Next(10) == 0 ? 2 : 1;
        var transfers = new List<NewTransfer>();
        for (var k = 0; k < count; k++)
        {
            var debit = random.Next(HotAccounts);
            var credit = (debit + 1 + random.Next(HotAccounts - 1)) % HotAccounts;
            transfers.Add(new NewTransfer(accounts[debit].Id, accounts[credit].Id, random.Next(1, 100), LedgerFixture.Usd)
            {
                Pending = count == 1 && random.Next(10) == 0,
            });
        }

        return new NewTransaction(transfers);
    }

    private static async Task AssertWithinLimitsAsync(LedgerFixture ledger, List<LedgerAccount> accounts)
    {
        foreach (var account in accounts)
        {
            var now = await ledger.ReloadAsync(account.Id);
            Assert.False(now.Balances.Breaks(now.Flags), $"{account.Code} is beyond its limit");
            Assert.True(!now.Flags.DebitsMustNotExceedCredits || now.Balance >= 0, $"{account.Code} went below zero");
        }
    }

    /// <summary>Counts booked and refused outcomes; a refusal may only be a limit that would be broken.</summary>
    private static void Tally(IEnumerable<BookingOutcome> outcomes, ref int booked, ref int rejected)
    {
        foreach (var outcome in outcomes)
        {
            if (outcome.IsBooked)
            {
                Interlocked.Increment(ref booked);
            }
            else
            {
                Assert.Equal("balance_limit_exceeded", outcome.Rejection!.Code);
                Interlocked.Increment(ref rejected);
            }
        }
    }
}
