using Obol.Core.Storage;
using Obol.Ledger.Booking;

namespace Obol.Ledger;

public sealed record VerificationReport(
    bool Ok,
    DateTimeOffset CheckedAt,
    long AccountsChecked,
    long EntriesChecked,
    IReadOnlyList<CurrencyTotals> Currencies,
    IReadOnlyList<VerificationProblem> Problems);

/// <summary>Sums of all entries in one currency: debits equal credits, posted and pending alike.</summary>
public sealed record CurrencyTotals(string Currency, decimal DebitsPosted, decimal CreditsPosted, decimal DebitsPending, decimal CreditsPending, bool Balanced);

public sealed record VerificationProblem(string Code, string? AccountId, string Detail);

/// <summary>
/// Recomputes the books from the entries and reports every disagreement: per-currency debits against credits,
/// each account's cached balances, sequence and last entry time against its entries, each entry's running balances
/// and booking time against the one before, flag limits at every entry, open holds against pending balances, and
/// holds past their timeout.
/// </summary>
internal static class LedgerVerifier
{
    private const int MaxReported = 100;

    public static async Task<VerificationReport> VerifyAsync(DbSession session, string? merchantId, DateTimeOffset now)
    {
        var problems = new List<VerificationProblem>();
        // A merchant's totals are over the entries of its own transactions, platform accounts' sides included.
        var entryScope = merchantId is null ? "" : " JOIN ledger_transfers tr ON tr.id = e.transfer_id AND tr.merchant_id = @merchantId";
        var accountScope = merchantId is null ? "" : " WHERE a.merchant_id = @merchantId";
        var accountScopeAnd = merchantId is null ? "" : " AND a.merchant_id = @merchantId";
        var transferScopeAnd = merchantId is null ? "" : " AND t.merchant_id = @merchantId";

        // Summed per account in SQL and per currency here, as decimals: SQLite's SUM fails on a 64-bit overflow, and a
        // currency's total over many accounts can pass 2^63 while each account's own sums (its balances) cannot.
        var perAccount = await session.QueryAsync<TotalsRow>($"""
            SELECT a.currency AS Currency,
                   SUM(CASE WHEN e.side = 'debit' THEN e.posted_amount ELSE 0 END) AS DebitsPosted,
                   SUM(CASE WHEN e.side = 'credit' THEN e.posted_amount ELSE 0 END) AS CreditsPosted,
                   SUM(CASE WHEN e.side = 'debit' THEN e.pending_amount ELSE 0 END) AS DebitsPending,
                   SUM(CASE WHEN e.side = 'credit' THEN e.pending_amount ELSE 0 END) AS CreditsPending,
                   COUNT(*) AS Entries
            FROM ledger_entries e JOIN ledger_accounts a ON a.number = e.account_no{entryScope}
            GROUP BY a.currency, e.account_no
            """, new { merchantId });
        var totals = perAccount.GroupBy(r => r.Currency, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new TotalsRow
            {
                Currency = g.Key,
                DebitsPosted = g.Sum(r => r.DebitsPosted),
                CreditsPosted = g.Sum(r => r.CreditsPosted),
                DebitsPending = g.Sum(r => r.DebitsPending),
                CreditsPending = g.Sum(r => r.CreditsPending),
                Entries = g.Sum(r => r.Entries),
            }).ToList();
        var currencies = new List<CurrencyTotals>();
        foreach (var t in totals)
        {
            var balanced = t.DebitsPosted == t.CreditsPosted && t.DebitsPending == t.CreditsPending;
            currencies.Add(new CurrencyTotals(t.Currency, t.DebitsPosted, t.CreditsPosted, t.DebitsPending, t.CreditsPending, balanced));
            if (!balanced)
            {
                problems.Add(new VerificationProblem("currency_unbalanced", null,
                    $"{t.Currency}: debits posted {t.DebitsPosted} vs credits posted {t.CreditsPosted}, debits pending {t.DebitsPending} vs credits pending {t.CreditsPending}."));
            }
        }

        var accounts = await session.QueryAsync<AccountCheckRow>($"""
            SELECT a.id AS AccountId, a.debits_posted AS StoredDebitsPosted, a.credits_posted AS StoredCreditsPosted,
                   a.debits_pending AS StoredDebitsPending, a.credits_pending AS StoredCreditsPending, a.last_sequence AS StoredSequence,
                   a.last_entry_at AS StoredLastEntryAt, s.last_at AS LastEntryAt,
                   a.debits_must_not_exceed_credits AS DebitsMustNotExceedCredits, a.credits_must_not_exceed_debits AS CreditsMustNotExceedDebits,
                   COALESCE(s.dp, 0) AS DebitsPosted, COALESCE(s.cp, 0) AS CreditsPosted, COALESCE(s.dpe, 0) AS DebitsPending,
                   COALESCE(s.cpe, 0) AS CreditsPending, COALESCE(s.n, 0) AS EntryCount, COALESCE(s.maxseq, 0) AS MaxSequence,
                   COALESCE(hd.held, 0) AS HeldDebits, COALESCE(hc.held, 0) AS HeldCredits
            FROM ledger_accounts a
            LEFT JOIN (SELECT account_no,
                              SUM(CASE WHEN side = 'debit' THEN posted_amount ELSE 0 END) AS dp,
                              SUM(CASE WHEN side = 'credit' THEN posted_amount ELSE 0 END) AS cp,
                              SUM(CASE WHEN side = 'debit' THEN pending_amount ELSE 0 END) AS dpe,
                              SUM(CASE WHEN side = 'credit' THEN pending_amount ELSE 0 END) AS cpe,
                              COUNT(*) AS n, MAX(sequence) AS maxseq, MAX(created_at) AS last_at
                       FROM ledger_entries GROUP BY account_no) s ON s.account_no = a.number
            LEFT JOIN (SELECT t.debit_account_id AS account_id, SUM(t.amount) AS held
                       FROM ledger_pending_holds h JOIN ledger_transfers t ON t.id = h.transfer_id GROUP BY t.debit_account_id) hd ON hd.account_id = a.id
            LEFT JOIN (SELECT t.credit_account_id AS account_id, SUM(t.amount) AS held
                       FROM ledger_pending_holds h JOIN ledger_transfers t ON t.id = h.transfer_id GROUP BY t.credit_account_id) hc ON hc.account_id = a.id
            {accountScope}
            """, new { merchantId });
        foreach (var a in accounts)
        {
            if (a.StoredDebitsPosted != a.DebitsPosted || a.StoredCreditsPosted != a.CreditsPosted
                || a.StoredDebitsPending != a.DebitsPending || a.StoredCreditsPending != a.CreditsPending)
            {
                Report("account_balance_mismatch", a.AccountId,
                    $"Stored balances (dp {a.StoredDebitsPosted}, cp {a.StoredCreditsPosted}, dpe {a.StoredDebitsPending}, cpe {a.StoredCreditsPending}) differ from the sum of its entries (dp {a.DebitsPosted}, cp {a.CreditsPosted}, dpe {a.DebitsPending}, cpe {a.CreditsPending}).");
            }

            if (a.StoredSequence != a.EntryCount || a.StoredSequence != a.MaxSequence)
            {
                Report("entry_sequence_mismatch", a.AccountId, $"Last sequence {a.StoredSequence}, but {a.EntryCount} entries up to sequence {a.MaxSequence}.");
            }

            // The next entry is booked no earlier than last_entry_at, so it must not lag the account's entries.
            if (a.LastEntryAt is { } last && (a.StoredLastEntryAt is not { } stored || stored < last))
            {
                Report("entry_time_mismatch", a.AccountId, $"Last entry time {a.StoredLastEntryAt:O} is before its latest entry's booking time {last:O}.");
            }

            if (a.StoredDebitsPending != a.HeldDebits || a.StoredCreditsPending != a.HeldCredits)
            {
                Report("pending_balance_mismatch", a.AccountId,
                    $"Pending balances (dpe {a.StoredDebitsPending}, cpe {a.StoredCreditsPending}) differ from its open holds (debits {a.HeldDebits}, credits {a.HeldCredits}).");
            }

            var balances = new AccountBalances((long)a.StoredDebitsPosted, (long)a.StoredCreditsPosted, (long)a.StoredDebitsPending, (long)a.StoredCreditsPending);
            if (balances.Breaks(new AccountFlags(a.DebitsMustNotExceedCredits, a.CreditsMustNotExceedDebits)))
            {
                Report("balance_limit_broken", a.AccountId, "The account's current balances break its flag limit.");
            }
        }

        var brokenChains = await session.QueryAsync<EntryKeyRow>($"""
            SELECT x.account_id AS AccountId, x.sequence AS Sequence, CASE WHEN x.created_at < x.previous_created_at THEN 1 ELSE 0 END AS Backwards FROM (
                SELECT a.id AS account_id, e.sequence, e.side, e.posted_amount, e.pending_amount, e.created_at,
                       e.debits_posted, e.credits_posted, e.debits_pending, e.credits_pending,
                       LAG(e.sequence, 1, 0) OVER w AS previous_sequence,
                       LAG(e.debits_posted, 1, 0) OVER w AS previous_dp, LAG(e.credits_posted, 1, 0) OVER w AS previous_cp,
                       LAG(e.debits_pending, 1, 0) OVER w AS previous_dpe, LAG(e.credits_pending, 1, 0) OVER w AS previous_cpe,
                       LAG(e.created_at) OVER w AS previous_created_at
                FROM ledger_entries e JOIN ledger_accounts a ON a.number = e.account_no{accountScope}
                WINDOW w AS (PARTITION BY e.account_no ORDER BY e.sequence)) x
            WHERE x.sequence <> x.previous_sequence + 1
               OR x.created_at < x.previous_created_at
               OR x.debits_posted <> x.previous_dp + CASE WHEN x.side = 'debit' THEN x.posted_amount ELSE 0 END
               OR x.credits_posted <> x.previous_cp + CASE WHEN x.side = 'credit' THEN x.posted_amount ELSE 0 END
               OR x.debits_pending <> x.previous_dpe + CASE WHEN x.side = 'debit' THEN x.pending_amount ELSE 0 END
               OR x.credits_pending <> x.previous_cpe + CASE WHEN x.side = 'credit' THEN x.pending_amount ELSE 0 END
            LIMIT {MaxReported}
            """, new { merchantId });
        foreach (var e in brokenChains)
        {
            if (e.Backwards == 1)
            {
                Report("entry_time_backwards", e.AccountId, $"Entry {e.Sequence} was booked before the entry before it.");
            }
            else
            {
                Report("running_balance_mismatch", e.AccountId, $"Entry {e.Sequence} does not follow from the entry before it.");
            }
        }

        var limitBreaks = await session.QueryAsync<EntryKeyRow>($"""
            SELECT a.id AS AccountId, e.sequence AS Sequence
            FROM ledger_entries e JOIN ledger_accounts a ON a.number = e.account_no
            WHERE ((a.debits_must_not_exceed_credits AND e.debits_posted > e.credits_posted - e.debits_pending)
                OR (a.credits_must_not_exceed_debits AND e.credits_posted > e.debits_posted - e.credits_pending)){accountScopeAnd}
            LIMIT {MaxReported}
            """, new { merchantId });
        foreach (var e in limitBreaks)
        {
            Report("balance_limit_broken", e.AccountId, $"After entry {e.Sequence} the account's balances break its flag limit.");
        }

        var overdue = await session.QueryAsync<string>($"""
            SELECT h.transfer_id FROM ledger_pending_holds h JOIN ledger_transfers t ON t.id = h.transfer_id
            WHERE h.expires_at IS NOT NULL AND h.expires_at <= @now{transferScopeAnd}
            LIMIT {MaxReported}
            """, new { merchantId, now });
        foreach (var transferId in overdue)
        {
            Report("pending_transfer_overdue", null, $"Pending transfer '{transferId}' is past its timeout but still holds funds.");
        }

        return new VerificationReport(problems.Count == 0, now, accounts.Count, totals.Sum(t => t.Entries), currencies, problems);

        void Report(string code, string? accountId, string detail)
        {
            if (problems.Count < MaxReported)
            {
                problems.Add(new VerificationProblem(code, accountId, detail));
            }
        }
    }

    private sealed class TotalsRow
    {
        public string Currency { get; set; } = "";
        public decimal DebitsPosted { get; set; }
        public decimal CreditsPosted { get; set; }
        public decimal DebitsPending { get; set; }
        public decimal CreditsPending { get; set; }
        public long Entries { get; set; }
    }

    private sealed class AccountCheckRow
    {
        public string AccountId { get; set; } = "";
        public decimal StoredDebitsPosted { get; set; }
        public decimal StoredCreditsPosted { get; set; }
        public decimal StoredDebitsPending { get; set; }
        public decimal StoredCreditsPending { get; set; }
        public long StoredSequence { get; set; }
        public DateTimeOffset? StoredLastEntryAt { get; set; }
        public DateTimeOffset? LastEntryAt { get; set; }
        public bool DebitsMustNotExceedCredits { get; set; }
        public bool CreditsMustNotExceedDebits { get; set; }
        public decimal DebitsPosted { get; set; }
        public decimal CreditsPosted { get; set; }
        public decimal DebitsPending { get; set; }
        public decimal CreditsPending { get; set; }
        public long EntryCount { get; set; }
        public long MaxSequence { get; set; }
        public decimal HeldDebits { get; set; }
        public decimal HeldCredits { get; set; }
    }

    private sealed class EntryKeyRow
    {
        public string AccountId { get; set; } = "";
        public long Sequence { get; set; }
        public long Backwards { get; set; }
    }
}
