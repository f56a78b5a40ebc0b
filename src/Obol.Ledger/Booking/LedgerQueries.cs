using System.Globalization;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;

namespace Obol.Ledger.Booking;

/// <summary>The read side: accounts (now or as of an instant), entries, transactions and transfers.</summary>
internal static class LedgerQueries
{
    public static async Task<AccountRow?> GetAccountRowAsync(DbSession session, LedgerScope scope, string accountId)
    {
        if (LedgerIds.CannotExist(accountId))
        {
            return null;
        }

        var row = await session.QuerySingleOrDefaultAsync<AccountRow>($"SELECT {AccountRow.Columns} FROM ledger_accounts WHERE id = @accountId", new { accountId });
        return row is not null && scope.CanSee(row.MerchantId) ? row : null;
    }

    /// <summary>
    /// The account; with <paramref name="asOf"/>, its balances after the last entry booked at or before that
    /// instant (every entry carries the balances after it), found by <see cref="LastSequenceBookedAsync"/>.
    /// </summary>
    public static async Task<LedgerAccount?> GetAccountAsync(DbSession session, LedgerScope scope, string accountId, DateTimeOffset? asOf)
    {
        var row = await GetAccountRowAsync(session, scope, accountId);
        if (row is null || asOf?.ToUniversalTime() is not { } instant)
        {
            return row?.ToAccount();
        }

        var sequence = await LastSequenceBookedAsync(session, row.Number, instant, inclusive: true);
        var entry = sequence == 0
            ? null
            : await session.QuerySingleAsync<EntryRow>(EntryRow.SelectBalances + " WHERE e.account_no = @Number AND e.sequence = @sequence", new { row.Number, sequence });
        return row.ToAccount(entry?.Balances ?? AccountBalances.Zero, sequence, instant);
    }

    /// <summary>
    /// The sequence of the account's last entry booked at or before (<paramref name="inclusive"/>) or before
    /// <paramref name="instant"/>; 0 if none. Booking times never go backwards within an account, so a binary search
    /// over the primary key finds it: about log2(entries) look-ups in one statement, and no index by time to maintain.
    /// </summary>
    public static async Task<long> LastSequenceBookedAsync(DbSession session, long accountNumber, DateTimeOffset instant, bool inclusive)
    {
        var booked = inclusive ? "e.created_at <= @instant" : "e.created_at < @instant";
        return await session.ExecuteScalarAsync<long>($"""
            WITH RECURSIVE probe (lo, hi) AS (
                SELECT CAST(0 AS BIGINT), last_sequence FROM ledger_accounts WHERE number = @accountNumber
                UNION ALL
                SELECT CASE WHEN {booked} THEN (p.lo + p.hi + 1) / 2 ELSE p.lo END,
                       CASE WHEN {booked} THEN p.hi ELSE (p.lo + p.hi + 1) / 2 - 1 END
                FROM probe p JOIN ledger_entries e ON e.account_no = @accountNumber AND e.sequence = (p.lo + p.hi + 1) / 2
                WHERE p.lo < p.hi
            )
            SELECT COALESCE(MAX(lo), 0) FROM probe
            """, new { accountNumber, instant = instant.ToUniversalTime() });
    }

    public static async Task<Page<LedgerAccount>> ListAccountsAsync(DbSession session, string merchantId, PageRequest page, string? code, string? currency)
    {
        var sql = $"SELECT {AccountRow.Columns} FROM ledger_accounts WHERE merchant_id = @merchantId";
        if (page.StartingAfter is not null)
        {
            sql += " AND id < @after";
        }

        if (code is not null)
        {
            sql += " AND code = @code";
        }

        if (currency is not null)
        {
            sql += " AND currency = @currency";
        }

        var rows = await session.QueryAsync<AccountRow>(sql + " ORDER BY id DESC LIMIT @take",
            new { merchantId, after = page.StartingAfter, code, currency, take = page.Limit + 1 });
        return page.ToPage(rows.Select(r => r.ToAccount()).ToList());
    }

    /// <summary>Newest first; <c>startingAfter</c> is an entry's sequence number; <c>from</c> inclusive, <c>to</c> exclusive (booking time).</summary>
    public static async Task<Page<LedgerEntry>> ListEntriesAsync(DbSession session, AccountRow account, PageRequest page, DateTimeOffset? from, DateTimeOffset? to)
    {
        var below = long.MaxValue;
        if (page.StartingAfter is not null)
        {
            if (!long.TryParse(page.StartingAfter, NumberStyles.None, CultureInfo.InvariantCulture, out below))
            {
                throw Obol.Core.Errors.Problems.Validation("startingAfter", "For entries this is the sequence number of the last entry seen.");
            }
        }

        if (to is { } end)
        {
            below = Math.Min(below, await LastSequenceBookedAsync(session, account.Number, end, inclusive: false) + 1);
        }

        var first = from is { } start ? await LastSequenceBookedAsync(session, account.Number, start, inclusive: false) + 1 : 1;
        var rows = first >= below
            ? []
            : await session.QueryAsync<EntryRow>(
                EntryRow.Select + " WHERE e.account_no = @Number AND e.sequence >= @first AND e.sequence < @below ORDER BY e.sequence DESC LIMIT @take",
                new { account.Number, first, below, take = page.Limit + 1 });
        var type = account.AccountType;
        return page.ToPage(rows.Select(r => r.ToEntry(account.Id, type)).ToList());
    }

    public static async Task<LedgerTransaction?> GetTransactionAsync(DbSession session, string merchantId, string transactionId)
    {
        if (LedgerIds.CannotExist(transactionId))
        {
            return null;
        }

        var rows = await session.QueryAsync<TransactionRow>(TransactionRow.Select + " WHERE t.id = @transactionId AND t.merchant_id = @merchantId",
            new { transactionId, merchantId });
        return rows.Count == 0 ? null : (await WithTransfersAsync(session, rows))[0];
    }

    public static async Task<LedgerTransaction?> GetTransactionByExternalIdAsync(DbSession session, string merchantId, string externalId)
    {
        var rows = await session.QueryAsync<TransactionRow>(TransactionRow.Select + " WHERE t.merchant_id = @merchantId AND t.external_id = @externalId",
            new { merchantId, externalId });
        return rows.Count == 0 ? null : (await WithTransfersAsync(session, rows))[0];
    }

    /// <summary>Newest first, optionally only those with metadata <paramref name="metadataKey"/> = <paramref name="metadataValue"/>.</summary>
    public static async Task<Page<LedgerTransaction>> ListTransactionsAsync(DbSession session, string merchantId, PageRequest page, string? metadataKey, string? metadataValue)
    {
        var sql = TransactionRow.Select;
        if (metadataKey is not null)
        {
            sql += " JOIN ledger_transaction_metadata m ON m.transaction_id = t.id AND m.merchant_id = @merchantId AND m.key = @metadataKey AND m.value = @metadataValue";
        }

        sql += " WHERE t.merchant_id = @merchantId";
        if (page.StartingAfter is not null)
        {
            sql += " AND t.id < @after";
        }

        var rows = await session.QueryAsync<TransactionRow>(sql + " ORDER BY t.id DESC LIMIT @take",
            new { merchantId, metadataKey, metadataValue = metadataValue ?? "", after = page.StartingAfter, take = page.Limit + 1 });
        return page.ToPage(await WithTransfersAsync(session, rows));
    }

    public static async Task<LedgerTransfer?> GetTransferAsync(DbSession session, string merchantId, string transferId)
    {
        if (LedgerIds.CannotExist(transferId))
        {
            return null;
        }

        var row = await session.QuerySingleOrDefaultAsync<TransferRow>(TransferRow.Select + " WHERE t.id = @transferId AND t.merchant_id = @merchantId",
            new { transferId, merchantId });
        return row?.ToTransfer();
    }

    private static async Task<List<LedgerTransaction>> WithTransfersAsync(DbSession session, IReadOnlyList<TransactionRow> rows)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        // A transaction's transfer ids follow from its own; those booked before ledger/0004 come from the index on
        // old transfer ids (29 characters), whose condition the query repeats so that the partial index applies.
        var derived = rows.Where(r => r.TransferCount is not null)
            .SelectMany(r => Enumerable.Range(0, r.TransferCount!.Value).Select(position => IdGenerator.Part("tr", r.Id, position))).ToArray();
        var legacy = rows.Where(r => r.TransferCount is null).Select(r => r.Id).ToArray();
        var found = new List<TransferRow>();
        if (derived.Length > 0)
        {
            found.AddRange(await session.QueryAsync<TransferRow>(TransferRow.Select + " WHERE " + session.InList("t.id", "derived"),
                new { derived = session.ListOf(derived) }));
        }

        if (legacy.Length > 0)
        {
            found.AddRange(await session.QueryAsync<TransferRow>(TransferRow.Select + " WHERE " + session.InList("t.transaction_id", "legacy") + " AND length(t.id) = 29",
                new { legacy = session.ListOf(legacy) }));
        }

        var transfers = found.OrderBy(t => t.Position).ToLookup(t => t.TransactionId, StringComparer.Ordinal);
        return rows.Select(r => new LedgerTransaction
        {
            Id = r.Id,
            ExternalId = r.ExternalId,
            Description = r.Description,
            Metadata = LedgerJson.ReadMetadata(r.Metadata),
            EffectiveAt = r.EffectiveAt,
            CreatedAt = r.CreatedAt,
            ReversesTransactionId = r.ReversesTransactionId,
            ReversedByTransactionId = r.ReversedByTransactionId,
            Transfers = transfers[r.Id].Select(t => t.ToTransfer()).ToList(),
        }).ToList();
    }
}
