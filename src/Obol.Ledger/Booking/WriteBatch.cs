using Obol.Core.Identity;
using Obol.Core.Storage;

namespace Obol.Ledger.Booking;

/// <summary>
/// The transactions accepted in one booking, written together at the end. It keeps what the booking returns (the
/// transactions with their transfers, and the planned entries) and the writers read the rows from those: a bulk
/// booking holds tens of thousands of them until it commits, so a second copy of every row would cost memory and
/// garbage-collection time.
/// </summary>
internal sealed class WriteBatch
{
    public List<TransactionToWrite> Transactions { get; } = [];
    public List<MetadataInsert> Metadata { get; } = [];
    public List<HoldInsert> HoldsOpened { get; } = [];
    public List<string> HoldsEnded { get; } = [];
    public List<EntryToWrite> Entries { get; } = [];

    /// <summary>Every transfer of the batch with its transaction's merchant and its position in the transaction.</summary>
    public IEnumerable<TransferToWrite> Transfers()
    {
        foreach (var transaction in Transactions)
        {
            var transfers = transaction.Transaction.Transfers;
            for (var position = 0; position < transfers.Count; position++)
            {
                yield return new TransferToWrite(transaction.MerchantId, position, transfers[position]);
            }
        }
    }

    public LedgerTransaction Add(SequentialIds ids, BookingRequest request, IReadOnlyList<TransferEffect> effects, IReadOnlyList<PlannedEntry> entries,
        DateTimeOffset now)
    {
        var merchantId = request.Scope.MerchantId;
        var transactionId = ids.Next("txn");
        var metadata = request.Metadata ?? LedgerJson.Empty;
        foreach (var (key, value) in metadata)
        {
            Metadata.Add(new MetadataInsert(merchantId, key, value, transactionId));
        }

        var transfers = new LedgerTransfer[effects.Count];
        foreach (var effect in effects)
        {
            var transferId = IdGenerator.Part("tr", transactionId, effect.Index);
            var intent = request.Transfers[effect.Index];
            var pendingTransferId = (intent as ResolveIntent)?.PendingTransferId;
            var expiresAt = intent is NewTransferIntent { Transfer: { Pending: true, Timeout: { } timeout } } ? StoredInstant.Of(now + timeout) : (DateTimeOffset?)null;
            if (effect.Kind == TransferKind.Pending)
            {
                HoldsOpened.Add(new HoldInsert(transferId, expiresAt));
            }
            else if (pendingTransferId is not null)
            {
                HoldsEnded.Add(pendingTransferId);
            }

            transfers[effect.Index] = new LedgerTransfer
            {
                Id = transferId,
                TransactionId = transactionId,
                Kind = effect.Kind,
                Status = LedgerNames.StatusAfter(effect.Kind),
                DebitAccountId = effect.DebitAccountId,
                CreditAccountId = effect.CreditAccountId,
                Amount = effect.Kind switch
                {
                    TransferKind.Posted or TransferKind.PostPending => effect.PostedAmount,
                    _ => Math.Abs(effect.PendingAmount),
                },
                Currency = effect.Currency,
                PendingTransferId = pendingTransferId,
                ExpiresAt = expiresAt,
                CreatedAt = now,
            };
        }

        foreach (var entry in entries)
        {
            Entries.Add(new EntryToWrite(entry, transfers[entry.TransferIndex].Id));
        }

        var transaction = new LedgerTransaction
        {
            Id = transactionId,
            ExternalId = request.ExternalId,
            Description = request.Description,
            Metadata = metadata,
            EffectiveAt = StoredInstant.Of(request.EffectiveAt ?? now),
            CreatedAt = now,
            ReversesTransactionId = request.ReversesTransactionId,
            Transfers = transfers,
        };
        Transactions.Add(new TransactionToWrite(merchantId, transaction, LedgerJson.WriteMetadata(metadata)));
        return transaction;
    }
}

/// <summary>A transaction to write, with its metadata as JSON when it was booked (the rows behind the metadata filter are taken then too).</summary>
internal readonly record struct TransactionToWrite(string MerchantId, LedgerTransaction Transaction, string MetadataJson);


internal readonly record struct TransferToWrite(string MerchantId, int Position, LedgerTransfer Transfer);

/// <summary>An entry as the booking planned it, booked at its account's entry time (<see cref="AccountState.EntryTime"/>).</summary>
internal readonly record struct EntryToWrite(PlannedEntry Entry, string TransferId)
{
    public long AccountNo => Entry.Account.Number;
    public string Side => LedgerNames.Of(Entry.Side);
    public AccountBalances After => Entry.After;
    public DateTimeOffset CreatedAt => Entry.Account.EntryTime;
}

internal sealed record MetadataInsert(string MerchantId, string Key, string Value, string TransactionId);

internal sealed record HoldInsert(string TransferId, DateTimeOffset? ExpiresAt);
