using CsCheck;
using Obol.Core.Errors;
using Obol.Ledger.Booking;

namespace Obol.Ledger.Tests;

/// <summary>The booking rules without a database: plain functions over in-memory accounts.</summary>
public class BookingRulesTests
{
    private static readonly string[] AccountIds = ["acc_0", "acc_1", "acc_2", "acc_3", "acc_4", "acc_5"];

    private static Dictionary<string, AccountState> Accounts() => AccountIds.Select((id, i) => new AccountState
    {
        Id = id,
        Number = i + 1,
        MerchantId = "mer_a",
        Type = (AccountType)(i % 5),
        Currency = "USD",
        // Every other account may not go below zero on its credit side; one may not go above zero on it.
        Flags = i switch
        {
            0 or 2 => new AccountFlags(true, false),
            3 => new AccountFlags(false, true),
            _ => default,
        },
    }).ToDictionary(a => a.Id, StringComparer.Ordinal);

    [Fact]
    public void Balance_is_signed_on_the_normal_side()
    {
        var balances = new AccountBalances(DebitsPosted: 100, CreditsPosted: 30, DebitsPending: 5, CreditsPending: 7);
        Assert.Equal(70, balances.Balance(AccountType.Asset));
        Assert.Equal(70, balances.Balance(AccountType.Expense));
        Assert.Equal(-70, balances.Balance(AccountType.Liability));
        Assert.Equal(-70, balances.Balance(AccountType.Revenue));
        Assert.Equal(-70, balances.Balance(AccountType.Equity));
        Assert.Equal(63, balances.Available(AccountType.Asset));
        Assert.Equal(-75, balances.Available(AccountType.Liability));
    }

    [Fact]
    public void Pending_debits_count_against_a_debit_limit()
    {
        var flags = new AccountFlags(DebitsMustNotExceedCredits: true, CreditsMustNotExceedDebits: false);
        Assert.False(new AccountBalances(60, 100, 40, 0).Breaks(flags));
        Assert.True(new AccountBalances(60, 100, 41, 0).Breaks(flags));
        Assert.False(new AccountBalances(0, 0, 0, 1_000).Breaks(flags));
        Assert.True(new AccountBalances(long.MaxValue, long.MaxValue, 1, 0).Breaks(flags));
    }

    [Fact]
    public void A_rejected_transaction_leaves_every_account_unchanged()
    {
        var accounts = Accounts();
        var effects = new[]
        {
            new TransferEffect(0, TransferKind.Posted, "acc_1", "acc_0", 50, 0, "USD"),
            new TransferEffect(1, TransferKind.Posted, "acc_0", "acc_1", 51, 0, "USD"),
        };

        var problem = Assert.Throws<ProblemException>(() => BookingRules.Apply(effects, accounts, _ => true));

        Assert.Equal("balance_limit_exceeded", problem.Code);
        Assert.All(accounts.Values, a => Assert.Equal((AccountBalances.Zero, 0L, false), (a.Balances, a.LastSequence, a.Changed)));
    }

    [Fact]
    public void Resolving_a_hold_checks_the_amount()
    {
        Assert.Equal(-100, BookingRules.ResolutionOf(0, TransferKind.VoidPending, "tr_1", "a", "b", 100, "USD", null).PendingAmount);
        var post = BookingRules.ResolutionOf(0, TransferKind.PostPending, "tr_1", "a", "b", 100, "USD", 40);
        Assert.Equal((40L, -100L), (post.PostedAmount, post.PendingAmount));
        Assert.Equal("amount_exceeds_pending", Assert.Throws<ProblemException>(() => BookingRules.ResolutionOf(0, TransferKind.PostPending, "tr_1", "a", "b", 100, "USD", 101)).Code);
        Assert.Equal("invalid_amount", Assert.Throws<ProblemException>(() => BookingRules.ResolutionOf(0, TransferKind.PostPending, "tr_1", "a", "b", 100, "USD", 0)).Code);
    }

    /// <summary>An operation of a random workload: a transfer (single phase or a hold), or ending an earlier hold.</summary>
    private sealed record Operation(int Debit, int Credit, long Amount, int Kind, int HoldPick, long PostPart);

    private static readonly Gen<Operation> AnyOperation =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 5], Gen.OneOf(Gen.Long[1, 1_000], Gen.Long[1, long.MaxValue / 4]), Gen.Int[0, 4], Gen.Int[0, 1_000], Gen.Long[1, 1_000])
            .Select((d, c, a, k, h, p) => new Operation(d, c, a, k, h, p));

    [Fact]
    public void Random_workloads_keep_the_books_balanced_and_the_limits_unbroken() =>
        AnyOperation.Array[1, 80].Sample(operations =>
        {
            var accounts = Accounts();
            var holds = new List<(string Debit, string Credit, long Amount)>();
            var entries = new List<PlannedEntry>();
            foreach (var op in operations)
            {
                TransferEffect effect;
                var holdIndex = holds.Count == 0 ? -1 : op.HoldPick % holds.Count;
                if (op.Kind >= 3 && holdIndex >= 0)
                {
                    var hold = holds[holdIndex];
                    var posted = op.Kind == 3 ? Math.Min(hold.Amount, op.PostPart) : (long?)null;
                    effect = BookingRules.ResolutionOf(0, op.Kind == 3 ? TransferKind.PostPending : TransferKind.VoidPending, "tr", hold.Debit, hold.Credit, hold.Amount, "USD", posted);
                }
                else
                {
                    effect = new TransferEffect(0, op.Kind == 2 ? TransferKind.Pending : TransferKind.Posted, AccountIds[op.Debit], AccountIds[op.Credit],
                        op.Kind == 2 ? 0 : op.Amount, op.Kind == 2 ? op.Amount : 0, "USD");
                }

                try
                {
                    entries.AddRange(BookingRules.Apply([effect], accounts, _ => true));
                    if (effect.Kind == TransferKind.Pending)
                    {
                        holds.Add((effect.DebitAccountId, effect.CreditAccountId, effect.PendingAmount));
                    }
                    else if (effect.Kind is TransferKind.PostPending or TransferKind.VoidPending)
                    {
                        holds.RemoveAt(holdIndex);
                    }
                }
                catch (ProblemException problem)
                {
                    Assert.Contains(problem.Code, new[] { "same_account", "balance_limit_exceeded", "amount_overflow" });
                }

                foreach (var account in accounts.Values)
                {
                    Assert.False(account.Balances.Breaks(account.Flags), $"{account.Id} broke its limit");
                }
            }

            // Σ debits = Σ credits, posted and pending; every account equals the sum of its entries; pending = open holds.
            Int128 debits = 0, credits = 0, debitsPending = 0, creditsPending = 0;
            foreach (var e in entries)
            {
                if (e.Side == EntrySide.Debit)
                {
                    debits += e.PostedAmount;
                    debitsPending += e.PendingAmount;
                }
                else
                {
                    credits += e.PostedAmount;
                    creditsPending += e.PendingAmount;
                }
            }

            Assert.Equal(debits, credits);
            Assert.Equal(debitsPending, creditsPending);
            foreach (var account in accounts.Values)
            {
                var own = entries.Where(e => e.AccountId == account.Id).ToList();
                var recomputed = own.Aggregate(AccountBalances.Zero, (b, e) => b.Apply(e.Side, e.PostedAmount, e.PendingAmount));
                Assert.Equal(recomputed, account.Balances);
                Assert.Equal(own.Count, account.LastSequence);
                Assert.Equal(Enumerable.Range(1, own.Count).Select(i => (long)i), own.Select(e => e.Sequence));
                Assert.Equal(holds.Where(h => h.Debit == account.Id).Sum(h => h.Amount), account.Balances.DebitsPending);
                Assert.Equal(holds.Where(h => h.Credit == account.Id).Sum(h => h.Amount), account.Balances.CreditsPending);
            }
        });

    [Fact]
    public void Posting_part_of_a_hold_releases_exactly_the_rest() =>
        Gen.Select(Gen.Long[1, long.MaxValue / 2], Gen.Long[1, long.MaxValue / 2]).Where((hold, post) => post <= hold).Sample((hold, post) =>
        {
            var accounts = Accounts();
            BookingRules.Apply([new TransferEffect(0, TransferKind.Posted, "acc_1", "acc_0", hold, 0, "USD")], accounts, _ => true);
            BookingRules.Apply([new TransferEffect(0, TransferKind.Pending, "acc_0", "acc_4", 0, hold, "USD")], accounts, _ => true);
            BookingRules.Apply([BookingRules.ResolutionOf(0, TransferKind.PostPending, "tr", "acc_0", "acc_4", hold, "USD", post)], accounts, _ => true);

            var payer = accounts["acc_0"].Balances;
            var payee = accounts["acc_4"].Balances;
            Assert.Equal((post, 0L, hold - post), (payer.DebitsPosted, payer.DebitsPending, payer.CreditsPosted - payer.DebitsPosted));
            Assert.Equal((post, 0L), (payee.CreditsPosted, payee.CreditsPending));
        });
}
