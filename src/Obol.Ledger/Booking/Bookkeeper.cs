using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Obol.Core.Errors;
using Obol.Core.Storage;

namespace Obol.Ledger.Booking;

/// <summary>Whose books a call works in: one merchant's, and for in-process callers also the platform-wide accounts.</summary>
internal readonly record struct LedgerScope(string MerchantId, bool IncludesPlatformBooks)
{
    public bool CanSee(string? accountMerchantId) => accountMerchantId is null
        ? IncludesPlatformBooks
        : string.Equals(accountMerchantId, MerchantId, StringComparison.Ordinal);
}

internal abstract record TransferIntent;

internal sealed record NewTransferIntent(NewTransfer Transfer) : TransferIntent;

/// <summary>Ends a hold: <see cref="TransferKind.PostPending"/>, <see cref="TransferKind.VoidPending"/> or <see cref="TransferKind.ExpirePending"/>.</summary>
internal sealed record ResolveIntent(string PendingTransferId, TransferKind Kind, long? Amount) : TransferIntent;

internal sealed record BookingRequest(LedgerScope Scope, IReadOnlyList<TransferIntent> Transfers)
{
    public string? ExternalId { get; init; }
    public string? Description { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    public DateTimeOffset? EffectiveAt { get; init; }
    public string? ReversesTransactionId { get; init; }
}

/// <summary>
/// Books transactions: locks the involved accounts in a fixed order (PostgreSQL: <c>SELECT … FOR UPDATE</c>
/// ordered by id; SQLite: the single writer), applies <see cref="BookingRules"/> in memory, then writes the
/// transactions, transfers, entries and account balances in one round trip. Many requests can be booked in one
/// call (group commit, bulk); each is accepted or rejected on its own. No effects outside the database, so the
/// caller's transaction may be retried as a whole.
/// </summary>
internal sealed class Bookkeeper(TimeProvider clock)
{
    public async Task<IReadOnlyList<BookingOutcome>> BookAsync(DbSession session, IReadOnlyList<BookingRequest> requests)
    {
        var started = BookingTimings.Start();
        var outcomes = new BookingOutcome?[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                ValidateShape(requests[i]);
            }
            catch (ProblemException problem)
            {
                outcomes[i] = new BookingOutcome(null, problem);
            }
        }

        var (existingByIndex, duplicateOf) = await FindExternalIdsAsync(session, requests, outcomes);

        started = BookingTimings.Lap(BookingPhase.Checks, started);
        var pendingIds = new HashSet<string>(StringComparer.Ordinal);
        var reversed = new HashSet<string>(StringComparer.Ordinal);
        var accountIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in Live())
        {
            foreach (var intent in requests[i].Transfers)
            {
                switch (intent)
                {
                    case NewTransferIntent n:
                        accountIds.Add(n.Transfer.DebitAccountId);
                        accountIds.Add(n.Transfer.CreditAccountId);
                        break;
                    case ResolveIntent r:
                        pendingIds.Add(r.PendingTransferId);
                        break;
                }
            }

            if (requests[i].ReversesTransactionId is { } reverses)
            {
                reversed.Add(reverses);
            }
        }

        // An id holding U+0000 names nothing (PostgreSQL text cannot store it): left out of every look-up, so it is not
        // found, in its transaction's place, instead of failing the statement and with it the whole booking.
        accountIds.RemoveWhere(LedgerIds.CannotExist);
        pendingIds.RemoveWhere(LedgerIds.CannotExist);
        reversed.RemoveWhere(LedgerIds.CannotExist);
        var pendingTransfers = pendingIds.Count == 0
            ? new Dictionary<string, TransferRow>(StringComparer.Ordinal)
            : (await session.QueryAsync<TransferRow>(TransferRow.Select + " WHERE " + session.InList("t.id", "ids"), new { ids = session.ListOf(pendingIds) }))
                .ToDictionary(t => t.Id, StringComparer.Ordinal);
        foreach (var transfer in pendingTransfers.Values)
        {
            accountIds.Add(transfer.DebitAccountId);
            accountIds.Add(transfer.CreditAccountId);
        }

        var lockedAccounts = await LockAccountsAsync(session, accountIds);

        // Read after the locks: a concurrent post, void or reversal of the same thing has committed or not started.
        var openHolds = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        var endedHolds = new Dictionary<string, TransferKind>(StringComparer.Ordinal);
        if (pendingIds.Count > 0)
        {
            var ids = session.ListOf(pendingIds);
            foreach (var hold in await session.QueryAsync<HoldRow>(
                         "SELECT transfer_id AS TransferId, expires_at AS ExpiresAt FROM ledger_pending_holds WHERE " + session.InList("transfer_id", "ids"), new { ids }))
            {
                openHolds[hold.TransferId] = hold.ExpiresAt;
            }

            foreach (var ended in await session.QueryAsync<EndedHoldRow>(
                         "SELECT pending_transfer_id AS PendingTransferId, kind AS Kind FROM ledger_transfers WHERE " + session.InList("pending_transfer_id", "ids"), new { ids }))
            {
                endedHolds[ended.PendingTransferId] = LedgerNames.ParseTransferKind(ended.Kind);
            }
        }

        var alreadyReversed = reversed.Count == 0
            ? new HashSet<string>(StringComparer.Ordinal)
            : (await session.QueryAsync<string>(
                "SELECT reverses_transaction_id FROM ledger_transactions WHERE " + session.InList("reverses_transaction_id", "ids"), new { ids = session.ListOf(reversed) }))
            .ToHashSet(StringComparer.Ordinal);

        // The booking time is read once everything is locked, so the entries' times trail their commit by no more than
        // this booking's own work (see "as of" in docs/ledger.md); to the microsecond, as both databases store it.
        var now = StoredInstant.Of(clock.GetUtcNow());
        var accounts = lockedAccounts.ToDictionary(r => r.Id, r => r.ToState(now), StringComparer.Ordinal);
        started = BookingTimings.Lap(BookingPhase.Lock, started);
        var batch = new WriteBatch();
        var newIds = new SequentialIds(now);
        // A repeated external id is booked by its first occurrence that passes; later ones are answered against it.
        var bookedUnder = new Dictionary<int, int>();
        foreach (var i in Live())
        {
            var request = requests[i];
            var firstOfId = duplicateOf.TryGetValue(i, out var first) ? first : i;
            if (existingByIndex.ContainsKey(firstOfId) || bookedUnder.ContainsKey(firstOfId))
            {
                continue;
            }

            try
            {
                if (request.ReversesTransactionId is { } reverses && !alreadyReversed.Add(reverses))
                {
                    throw LedgerProblems.TransactionAlreadyReversed(reverses);
                }

                var effects = new TransferEffect[request.Transfers.Count];
                for (var k = 0; k < effects.Length; k++)
                {
                    effects[k] = request.Transfers[k] switch
                    {
                        NewTransferIntent n => BookingRules.EffectOf(n.Transfer, k),
                        ResolveIntent r => Resolve(request.Scope, r, k),
                        _ => throw new InvalidOperationException("Unknown transfer intent."),
                    };
                }

                var entries = BookingRules.Apply(effects, accounts, request.Scope);
                outcomes[i] = new BookingOutcome(new BookedTransaction(batch.Add(newIds, request, effects, entries, now), true), null);
                if (request.ExternalId is not null)
                {
                    bookedUnder[firstOfId] = i;
                }

                foreach (var intent in request.Transfers)
                {
                    if (intent is ResolveIntent r)
                    {
                        endedHolds[r.PendingTransferId] = r.Kind;
                        openHolds.Remove(r.PendingTransferId);
                    }
                }
            }
            catch (ProblemException problem)
            {
                if (request.ReversesTransactionId is { } reverses && problem.Code != "transaction_already_reversed")
                {
                    alreadyReversed.Remove(reverses);
                }

                outcomes[i] = new BookingOutcome(null, problem);
            }
        }

        started = BookingTimings.Lap(BookingPhase.Apply, started);
        await WriteAsync(session, batch, accounts.Values.Where(a => a.Changed).ToList());
        BookingTimings.Lap(BookingPhase.Write, started);
        BookingTimings.Count(requests.Count);

        var holders = new Dictionary<int, LedgerTransaction>();
        foreach (var (i, transactionId) in existingByIndex)
        {
            var existing = await LedgerQueries.GetTransactionAsync(session, requests[i].Scope.MerchantId, transactionId)
                ?? throw new InvalidOperationException($"Transaction {transactionId} vanished.");
            holders[i] = existing;
            outcomes[i] = Against(requests[i], existing);
        }

        foreach (var (firstOfId, booked) in bookedUnder)
        {
            holders[firstOfId] = outcomes[booked]!.Booked!.Transaction;
        }

        foreach (var (i, firstOfId) in duplicateOf)
        {
            if (outcomes[i] is null)
            {
                outcomes[i] = Against(requests[i], holders[firstOfId]);
            }
        }

        return outcomes.Select(o => o!).ToList();

        // The request repeats the external id of a booked transaction: the same booking is answered with it, a
        // different one is refused.
        static BookingOutcome Against(BookingRequest request, LedgerTransaction holder) => IsSameBooking(request, holder)
            ? new BookingOutcome(new BookedTransaction(holder, false), null)
            : new BookingOutcome(null, LedgerProblems.ExternalIdReused(request.ExternalId!));

        IEnumerable<int> Live()
        {
            for (var i = 0; i < requests.Count; i++)
            {
                if (outcomes[i] is null && !existingByIndex.ContainsKey(i))
                {
                    yield return i;
                }
            }
        }

        TransferEffect Resolve(LedgerScope scope, ResolveIntent intent, int index)
        {
            var id = intent.PendingTransferId;
            if (!pendingTransfers.TryGetValue(id, out var pending) || !string.Equals(pending.MerchantId, scope.MerchantId, StringComparison.Ordinal))
            {
                throw Problems.NotFound("transfer", id);
            }

            if (pending.Kind != "pending")
            {
                throw LedgerProblems.TransferNotPending(id);
            }

            if (endedHolds.TryGetValue(id, out var ended) || !openHolds.TryGetValue(id, out var expiresAt))
            {
                throw ended switch
                {
                    TransferKind.PostPending => LedgerProblems.TransferAlreadyPosted(id),
                    TransferKind.VoidPending => LedgerProblems.TransferAlreadyVoided(id),
                    _ => LedgerProblems.TransferExpired(id),
                };
            }

            var due = expiresAt is { } at && at <= now;
            if (intent.Kind == TransferKind.ExpirePending ? !due : due)
            {
                throw intent.Kind == TransferKind.ExpirePending
                    ? Problems.InvalidStateTransition($"Pending transfer '{id}' is not due to expire.")
                    : LedgerProblems.TransferExpired(id);
            }

            return BookingRules.ResolutionOf(index, intent.Kind, id, pending.DebitAccountId, pending.CreditAccountId, pending.Amount, pending.Currency, intent.Amount);
        }
    }

    private static void ValidateShape(BookingRequest request)
    {
        if (request.Transfers.Count == 0)
        {
            throw LedgerProblems.NoTransfers();
        }

        if (!request.Scope.IncludesPlatformBooks && request.ExternalId is { } externalId && LedgerNames.IsReservedExternalId(externalId))
        {
            throw Problems.Validation("externalId", "External ids holding ':' or starting with 'att_' are reserved for the bookings Obol's own modules make.");
        }

        for (var k = 0; k < request.Transfers.Count; k++)
        {
            if (request.Transfers[k] is NewTransferIntent n)
            {
                BookingRules.ValidateShape(n.Transfer, k);
            }
        }
    }

    private static bool IsSameBooking(BookingRequest request, LedgerTransaction existing)
    {
        if (request.Transfers.Count != existing.Transfers.Count
            || !string.Equals(request.ReversesTransactionId, existing.ReversesTransactionId, StringComparison.Ordinal))
        {
            return false;
        }

        for (var k = 0; k < request.Transfers.Count; k++)
        {
            var booked = existing.Transfers[k];
            var same = request.Transfers[k] switch
            {
                NewTransferIntent { Transfer: var t } => booked.Kind == (t.Pending ? TransferKind.Pending : TransferKind.Posted)
                    && booked.DebitAccountId == t.DebitAccountId && booked.CreditAccountId == t.CreditAccountId
                    && booked.Amount == t.Amount && booked.Currency == t.Currency.Code,
                ResolveIntent r => booked.Kind == r.Kind && booked.PendingTransferId == r.PendingTransferId
                    && (r.Amount is null || r.Kind != TransferKind.PostPending || booked.Amount == r.Amount),
                _ => false,
            };
            if (!same)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Finds requests whose external id is already booked, and later requests in the batch repeating an earlier
    /// one's. On PostgreSQL a transaction-scoped advisory lock per external id (taken before any account lock,
    /// in key order) makes a concurrent booking of the same id wait, then see the first one.
    /// </summary>
    private static async Task<(Dictionary<int, string> Existing, Dictionary<int, int> DuplicateOf)> FindExternalIdsAsync(
        DbSession session, IReadOnlyList<BookingRequest> requests, BookingOutcome?[] outcomes)
    {
        var existing = new Dictionary<int, string>();
        var duplicateOf = new Dictionary<int, int>();
        var first = new Dictionary<(string Merchant, string ExternalId), int>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (outcomes[i] is null && requests[i].ExternalId is { } externalId)
            {
                var key = (requests[i].Scope.MerchantId, externalId);
                if (first.TryGetValue(key, out var earlier))
                {
                    duplicateOf[i] = earlier;
                }
                else
                {
                    first[key] = i;
                }
            }
        }

        if (first.Count == 0)
        {
            return (existing, duplicateOf);
        }

        if (session.IsPostgres)
        {
            var keys = first.Keys.Select(k => AdvisoryKey(k.Merchant, k.ExternalId)).Distinct().Order().ToArray();
            await session.ExecuteAsync("SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(@keys) AS k ORDER BY 1) AS ordered", new { keys });
        }

        var rows = await session.QueryAsync<ExternalIdRow>(
            "SELECT id AS Id, merchant_id AS MerchantId, external_id AS ExternalId FROM ledger_transactions WHERE "
                + session.InList("merchant_id", "merchants") + " AND " + session.InList("external_id", "externalIds"),
            new { merchants = session.ListOf(first.Keys.Select(k => k.Merchant).Distinct()), externalIds = session.ListOf(first.Keys.Select(k => k.ExternalId).Distinct()) });
        foreach (var row in rows)
        {
            if (first.TryGetValue((row.MerchantId, row.ExternalId), out var index))
            {
                existing[index] = row.Id;
            }
        }

        return (existing, duplicateOf);
    }

    private static long AdvisoryKey(string merchantId, string externalId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"ledger-external-id\n{merchantId}\n{externalId}"), hash);
        return BinaryPrimitives.ReadInt64LittleEndian(hash);
    }

    private static async Task<IReadOnlyList<AccountRow>> LockAccountsAsync(DbSession session, HashSet<string> accountIds) =>
        accountIds.Count == 0
            ? []
            : await session.QueryAsync<AccountRow>(
                $"SELECT {AccountRow.Columns} FROM ledger_accounts WHERE {session.InList("id", "ids")}" + (session.IsPostgres ? " ORDER BY id FOR UPDATE" : ""),
                new { ids = session.ListOf(accountIds.Order(StringComparer.Ordinal)) });

    private static Task WriteAsync(DbSession session, WriteBatch batch, IReadOnlyList<AccountState> changed)
    {
        if (batch.Transactions.Count == 0)
        {
            return Task.CompletedTask;
        }

        return session.IsPostgres ? WritePostgresAsync(session, batch, changed) : WriteSqliteAsync(session, batch, changed);
    }

    /// <summary>
    /// One prepared statement per table, re-bound per row: SQLite runs in-process, so per-row statements cost no
    /// round trips, and preparing once avoids re-parsing the SQL for every row.
    /// </summary>
    private static Task WriteSqliteAsync(DbSession session, WriteBatch batch, IReadOnlyList<AccountState> changed)
    {
        var connection = (SqliteConnection)session.Connection;
        var transaction = (SqliteTransaction?)session.Transaction;
        Insert(batch.Transactions, """
            INSERT INTO ledger_transactions (id, merchant_id, external_id, description, metadata, effective_at, created_at, reverses_transaction_id, transfer_count)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, x => [x.Transaction.Id, x.MerchantId, x.Transaction.ExternalId, x.Transaction.Description, x.MetadataJson,
                Instant(x.Transaction.EffectiveAt), Instant(x.Transaction.CreatedAt), x.Transaction.ReversesTransactionId, x.Transaction.Transfers.Count]);
        Insert(batch.Metadata, "INSERT INTO ledger_transaction_metadata (merchant_id, key, value, transaction_id) VALUES ($1, $2, $3, $4)",
            x => [x.MerchantId, x.Key, x.Value, x.TransactionId]);
        Insert(batch.Transfers(), """
            INSERT INTO ledger_transfers (id, transaction_id, merchant_id, position, kind, debit_account_id, credit_account_id, amount, currency, pending_transfer_id, expires_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            """, x => [x.Transfer.Id, x.Transfer.TransactionId, x.MerchantId, x.Position, LedgerNames.Of(x.Transfer.Kind), x.Transfer.DebitAccountId,
                x.Transfer.CreditAccountId, x.Transfer.Amount, x.Transfer.Currency, x.Transfer.PendingTransferId,
                x.Transfer.ExpiresAt is { } expiresAt ? Instant(expiresAt) : null, Instant(x.Transfer.CreatedAt)]);
        Insert(batch.HoldsOpened, "INSERT INTO ledger_pending_holds (transfer_id, expires_at) VALUES ($1, $2)",
            x => [x.TransferId, x.ExpiresAt is { } expiresAt ? Instant(expiresAt) : null]);
        Insert(batch.HoldsEnded, "DELETE FROM ledger_pending_holds WHERE transfer_id = $1", x => [x]);
        Insert(batch.Entries, """
            INSERT INTO ledger_entries (account_no, sequence, transfer_id, side, posted_amount, pending_amount,
                                        debits_posted, credits_posted, debits_pending, credits_pending, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """, x => [x.AccountNo, x.Entry.Sequence, x.TransferId, x.Side, x.Entry.PostedAmount, x.Entry.PendingAmount,
                x.After.DebitsPosted, x.After.CreditsPosted, x.After.DebitsPending, x.After.CreditsPending, Instant(x.CreatedAt)]);
        Insert(changed, """
            UPDATE ledger_accounts SET debits_posted = $2, credits_posted = $3, debits_pending = $4, credits_pending = $5, last_sequence = $6,
                                       last_entry_at = $7
            WHERE id = $1
            """, a => [a.Id, a.Balances.DebitsPosted, a.Balances.CreditsPosted, a.Balances.DebitsPending, a.Balances.CreditsPending, a.LastSequence,
                Instant(a.EntryTime)]);
        return Task.CompletedTask;

        void Insert<T>(IEnumerable<T> rows, string sql, Func<T, object?[]> values)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            SqliteParameter[]? parameters = null;
            foreach (var row in rows)
            {
                var rowValues = values(row);
                if (parameters is null)
                {
                    parameters = rowValues.Select((_, i) => command.Parameters.Add(new SqliteParameter($"${i + 1}", null))).ToArray();
                    command.Prepare();
                }

                for (var i = 0; i < parameters.Length; i++)
                {
                    parameters[i].Value = rowValues[i] ?? DBNull.Value;
                }

                command.ExecuteNonQuery();
            }
        }

        // The same text form as every Dapper parameter the queries compare these columns with.
        static object Instant(DateTimeOffset value) => StoredInstant.SqliteText(value);
    }

    /// <summary>All rows as arrays through <c>unnest</c>, in one batch: one round trip however many transfers.</summary>
    private static async Task WritePostgresAsync(DbSession session, WriteBatch batch, IReadOnlyList<AccountState> changed)
    {
        var connection = (NpgsqlConnection)session.Connection;
        await using var npgsql = new NpgsqlBatch(connection, (NpgsqlTransaction?)session.Transaction);
        var bulk = batch.Entries.Count >= CopyThreshold;
        if (bulk)
        {
            // In index order: consecutive entries of one account land on the same index pages.
            batch.Entries.Sort(static (x, y) =>
            {
                var byAccount = x.AccountNo.CompareTo(y.AccountNo);
                return byAccount != 0 ? byAccount : x.Entry.Sequence.CompareTo(y.Entry.Sequence);
            });
            await CopyRowsAsync(connection, batch, session.CancellationToken);
        }
        else
        {
            var t = batch.Transactions;
            Add("""
                INSERT INTO ledger_transactions (id, merchant_id, external_id, description, metadata, effective_at, created_at, reverses_transaction_id, transfer_count)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::int[])
                """,
                Text(t.Select(x => x.Transaction.Id)), Text(t.Select(x => x.MerchantId)), Text(t.Select(x => x.Transaction.ExternalId)),
                Text(t.Select(x => x.Transaction.Description)), Text(t.Select(x => x.MetadataJson)),
                Instants(t.Select(x => x.Transaction.EffectiveAt)), Instants(t.Select(x => x.Transaction.CreatedAt)),
                Text(t.Select(x => x.Transaction.ReversesTransactionId)), new NpgsqlParameter { Value = t.Select(x => x.Transaction.Transfers.Count).ToArray() });
        }

        if (batch.Metadata.Count > 0)
        {
            var m = batch.Metadata;
            Add("INSERT INTO ledger_transaction_metadata (merchant_id, key, value, transaction_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])",
                Text(m.Select(x => x.MerchantId)), Text(m.Select(x => x.Key)), Text(m.Select(x => x.Value)), Text(m.Select(x => x.TransactionId)));
        }

        if (!bulk)
        {
            var r = batch.Transfers().ToList();
            Add("""
                INSERT INTO ledger_transfers (id, transaction_id, merchant_id, position, kind, debit_account_id, credit_account_id, amount, currency, pending_transfer_id, expires_at, created_at)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[])
                """,
                Text(r.Select(x => x.Transfer.Id)), Text(r.Select(x => x.Transfer.TransactionId)), Text(r.Select(x => x.MerchantId)),
                new NpgsqlParameter { Value = r.Select(x => x.Position).ToArray() }, Text(r.Select(x => LedgerNames.Of(x.Transfer.Kind))),
                Text(r.Select(x => x.Transfer.DebitAccountId)), Text(r.Select(x => x.Transfer.CreditAccountId)), Longs(r.Select(x => x.Transfer.Amount)),
                Text(r.Select(x => x.Transfer.Currency)), Text(r.Select(x => x.Transfer.PendingTransferId)), NullableInstants(r.Select(x => x.Transfer.ExpiresAt)),
                Instants(r.Select(x => x.Transfer.CreatedAt)));

            var e = batch.Entries;
            Add("""
                INSERT INTO ledger_entries (account_no, sequence, transfer_id, side, posted_amount, pending_amount,
                                            debits_posted, credits_posted, debits_pending, credits_pending, created_at)
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                                     $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::timestamptz[])
                """,
                Longs(e.Select(x => x.AccountNo)), Longs(e.Select(x => x.Entry.Sequence)), Text(e.Select(x => x.TransferId)),
                Text(e.Select(x => x.Side)), Longs(e.Select(x => x.Entry.PostedAmount)), Longs(e.Select(x => x.Entry.PendingAmount)),
                Longs(e.Select(x => x.After.DebitsPosted)), Longs(e.Select(x => x.After.CreditsPosted)), Longs(e.Select(x => x.After.DebitsPending)),
                Longs(e.Select(x => x.After.CreditsPending)), Instants(e.Select(x => x.CreatedAt)));
        }

        if (batch.HoldsOpened.Count > 0)
        {
            Add("INSERT INTO ledger_pending_holds (transfer_id, expires_at) SELECT * FROM unnest($1::text[], $2::timestamptz[])",
                Text(batch.HoldsOpened.Select(x => x.TransferId)), NullableInstants(batch.HoldsOpened.Select(x => x.ExpiresAt)));
        }

        if (batch.HoldsEnded.Count > 0)
        {
            Add("DELETE FROM ledger_pending_holds WHERE transfer_id = ANY($1)", Text(batch.HoldsEnded));
        }

        Add("""
            UPDATE ledger_accounts AS a
            SET debits_posted = v.dp, credits_posted = v.cp, debits_pending = v.dpe, credits_pending = v.cpe, last_sequence = v.seq, last_entry_at = v.at
            FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::timestamptz[]) AS v (id, dp, cp, dpe, cpe, seq, at)
            WHERE a.id = v.id
            """,
            Text(changed.Select(a => a.Id)), Longs(changed.Select(a => a.Balances.DebitsPosted)), Longs(changed.Select(a => a.Balances.CreditsPosted)),
            Longs(changed.Select(a => a.Balances.DebitsPending)), Longs(changed.Select(a => a.Balances.CreditsPending)), Longs(changed.Select(a => a.LastSequence)),
            Instants(changed.Select(a => a.EntryTime)));
        await npgsql.ExecuteNonQueryAsync(session.CancellationToken);

        void Add(string sql, params NpgsqlParameter[] parameters)
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.AddRange(parameters);
            npgsql.BatchCommands.Add(command);
        }

        static NpgsqlParameter Text(IEnumerable<string?> values) =>
            new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

        static NpgsqlParameter Longs(IEnumerable<long> values) =>
            new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };

        static NpgsqlParameter Instants(IEnumerable<DateTimeOffset> values) =>
            new() { Value = values.Select(v => v.ToUniversalTime()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };

        static NpgsqlParameter NullableInstants(IEnumerable<DateTimeOffset?> values) =>
            new() { Value = values.Select(v => v?.ToUniversalTime()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };
    }

    /// <summary>Above this many entries, binary COPY beats unnest: three extra round trips, much less work per row.</summary>
    private const int CopyThreshold = 256;

    private static async Task CopyRowsAsync(NpgsqlConnection connection, WriteBatch batch, CancellationToken cancellationToken)
    {
        await using (var copy = await PgCopyWriter.BeginAsync(connection,
            "ledger_transactions (id, merchant_id, external_id, description, metadata, effective_at, created_at, reverses_transaction_id, transfer_count)",
            cancellationToken))
        {
            foreach (var (merchantId, x, metadataJson) in batch.Transactions)
            {
                await copy.StartRowAsync(9);
                copy.Text(x.Id);
                copy.Text(merchantId);
                copy.Text(x.ExternalId);
                copy.Text(x.Description);
                copy.Text(metadataJson);
                copy.Timestamp(x.EffectiveAt);
                copy.Timestamp(x.CreatedAt);
                copy.Text(x.ReversesTransactionId);
                copy.Int4(x.Transfers.Count);
            }

            await copy.CompleteAsync();
        }

        await using (var copy = await PgCopyWriter.BeginAsync(connection,
            "ledger_transfers (id, transaction_id, merchant_id, position, kind, debit_account_id, credit_account_id, amount, currency, pending_transfer_id, expires_at, created_at)",
            cancellationToken))
        {
            foreach (var (merchantId, position, x) in batch.Transfers())
            {
                await copy.StartRowAsync(12);
                copy.Text(x.Id);
                copy.Text(x.TransactionId);
                copy.Text(merchantId);
                copy.Int4(position);
                copy.Text(LedgerNames.Of(x.Kind));
                copy.Text(x.DebitAccountId);
                copy.Text(x.CreditAccountId);
                copy.Bigint(x.Amount);
                copy.Text(x.Currency);
                copy.Text(x.PendingTransferId);
                copy.Timestamp(x.ExpiresAt);
                copy.Timestamp(x.CreatedAt);
            }

            await copy.CompleteAsync();
        }

        await using (var copy = await PgCopyWriter.BeginAsync(connection,
            """
            ledger_entries (account_no, sequence, transfer_id, side, posted_amount, pending_amount,
                            debits_posted, credits_posted, debits_pending, credits_pending, created_at)
            """,
            cancellationToken))
        {
            foreach (var x in batch.Entries)
            {
                await copy.StartRowAsync(11);
                copy.Bigint(x.AccountNo);
                copy.Bigint(x.Entry.Sequence);
                copy.Text(x.TransferId);
                copy.Text(x.Side);
                copy.Bigint(x.Entry.PostedAmount);
                copy.Bigint(x.Entry.PendingAmount);
                copy.Bigint(x.After.DebitsPosted);
                copy.Bigint(x.After.CreditsPosted);
                copy.Bigint(x.After.DebitsPending);
                copy.Bigint(x.After.CreditsPending);
                copy.Timestamp(x.CreatedAt);
            }

            await copy.CompleteAsync();
        }
    }

    private sealed class HoldRow
    {
        public string TransferId { get; set; } = "";
        public DateTimeOffset? ExpiresAt { get; set; }
    }

    private sealed class EndedHoldRow
    {
        public string PendingTransferId { get; set; } = "";
        public string Kind { get; set; } = "";
    }

    private sealed class ExternalIdRow
    {
        public string Id { get; set; } = "";
        public string MerchantId { get; set; } = "";
        public string ExternalId { get; set; } = "";
    }
}
