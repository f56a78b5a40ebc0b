using CsCheck;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Ledger.Tests;

/// <summary>Random transfer sequences through the real ledger on each database, checked against verification and a model.</summary>
public class RandomWorkloadTests
{
    private sealed record Step(int Debit, int Credit, long Amount, int Kind, int Pick, bool Multi);

    private static readonly Gen<Step> AnyStep = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 5], Gen.Long[1, 500], Gen.Int[0, 6], Gen.Int[0, 1000], Gen.Bool)
        .Select((d, c, a, k, p, m) => new Step(d, c, a, k, p, m));

    [Theory]
    [BothDatabases]
    public Task Random_sequences_keep_the_books_verified(DatabaseProvider provider) =>
        AnyStep.Array[150].SampleAsync(steps => RunAsync(provider, steps), iter: 4, threads: 1);

    private static async Task RunAsync(DatabaseProvider provider, Step[] steps)
    {
        await using var ledger = await LedgerFixture.CreateAsync(provider);
        var accounts = new List<LedgerAccount>();
        for (var i = 0; i < 6; i++)
        {
            accounts.Add(await ledger.AccountAsync($"acc{i}", (AccountType)(i % 5), i % 2 == 0 ? new AccountFlags(true, false) : default));
        }

        var holds = new List<(string Id, long Amount)>();
        var transactions = new List<string>();
        var expectedRejections = new HashSet<string>(StringComparer.Ordinal)
        {
            "same_account", "balance_limit_exceeded", "transaction_already_reversed",
        };
        foreach (var step in steps)
        {
            try
            {
                if (step.Kind is 4 or 5 && holds.Count > 0)
                {
                    var index = step.Pick % holds.Count;
                    var (id, amount) = holds[index];
                    var result = step.Kind == 4
                        ? await ledger.WriteAsync(s => ledger.Ledger.PostPendingTransferAsync(s, LedgerFixture.Merchant, id, Math.Min(amount, step.Amount)))
                        : await ledger.WriteAsync(s => ledger.Ledger.VoidPendingTransferAsync(s, LedgerFixture.Merchant, id));
                    holds.RemoveAt(index);
                    Assert.NotEqual(TransferStatus.Pending, result.Status);
                }
                else if (step.Kind == 6 && transactions.Count > 0)
                {
                    var reversal = await ledger.WriteAsync(s => ledger.Ledger.ReverseTransactionAsync(s, LedgerFixture.Merchant, transactions[step.Pick % transactions.Count]));
                    Assert.NotNull(reversal.Transaction.ReversesTransactionId);
                }
                else
                {
                    var pending = step.Kind == 3;
                    var debit = accounts[step.Debit].Id;
                    var credit = accounts[step.Credit].Id;
                    var transfers = new List<NewTransfer> { new(debit, credit, step.Amount, LedgerFixture.Usd) { Pending = pending } };
                    if (step.Multi)
                    {
                        transfers.Add(new NewTransfer(credit, accounts[(step.Credit + 1) % 6].Id, Math.Max(1, step.Amount / 2), LedgerFixture.Usd));
                    }

                    var booked = await ledger.WriteAsync(s => ledger.Ledger.CreateTransactionAsync(s, LedgerFixture.Merchant, new NewTransaction(transfers)));
                    if (pending)
                    {
                        holds.Add((booked.Transaction.Transfers[0].Id, step.Amount));
                    }
                    else
                    {
                        transactions.Add(booked.Transaction.Id);
                    }
                }
            }
            catch (ProblemException problem)
            {
                Assert.Contains(problem.Code, expectedRejections);
            }
        }

        await ledger.AssertVerifiedAsync();
        foreach (var account in accounts)
        {
            var now = await ledger.ReloadAsync(account.Id);
            Assert.False(now.Balances.Breaks(now.Flags));
        }
    }
}
