using Obol.Core.Identity;

namespace Obol.Ledger.Booking;

/// <summary>The rows of the transactions accepted in one booking, written together at the end.</summary>
internal sealed class WriteBatch
{
    public List<TransactionInsert> Transactions { get; } = [];
    public List<MetadataInsert> Metadata { get; } = [];
    public List<TransferInsert> Transfers { get; } = [];
    public List<HoldInsert> HoldsOpened { get; } = [];
    public List<string> HoldsEnded { get; } = [];
    public List<EntryInsert> Entries { get; } = [];

    public LedgerTransaction Add(SequentialIds ids, BookingRequest request, IReadOnlyList<TransferEffect> effects, IReadOnlyList<PlannedEntry> entries,
        IReadOnlyDictionary<string, AccountState> accounts, DateTimeOffset now)
    {
        var merchantId = request.Scope.MerchantId;
        var transactionId = ids.Next("txn");
        var effectiveAt = (request.EffectiveAt ?? now).ToUniversalTime();
        var metadata = request.Metadata ?? LedgerJson.Empty;
        Transactions.Add(new TransactionInsert(transactionId, merchantId, request.ExternalId, request.Description, LedgerJson.WriteMetadata(metadata),
            effectiveAt, now, request.ReversesTransactionId, effects.Count));
        foreach (var (key, value) in metadata)
        {
            Metadata.Add(new MetadataInsert(merchantId, key, value, transactionId));
        }

        var transfers = new LedgerTransfer[effects.Count];
        var transferIds = new string[effects.Count];
        foreach (var effect in effects)
        {
            var transferId = IdGenerator.Part("tr", transactionId, effect.Index);
            transferIds[effect.Index] = transferId;
            var intent = request.Transfers[effect.Index];
            var pendingTransferId = (intent as ResolveIntent)?.PendingTransferId;
            var expiresAt = intent is NewTransferIntent { Transfer: { Pending: true, Timeout: { } timeout } } ? now + timeout : (DateTimeOffset?)null;
            var amount = effect.Kind switch
            {
                TransferKind.Posted or TransferKind.PostPending => effect.PostedAmount,
                _ => Math.Abs(effect.PendingAmount),
            };
            Transfers.Add(new TransferInsert(transferId, transactionId, merchantId, effect.Index, LedgerNames.Of(effect.Kind), effect.DebitAccountId,
                effect.CreditAccountId, amount, effect.Currency, pendingTransferId, expiresAt, now));
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
                Amount = amount,
                Currency = effect.Currency,
                PendingTransferId = pendingTransferId,
                ExpiresAt = expiresAt,
                CreatedAt = now,
            };
        }

        foreach (var entry in entries)
        {
            var account = accounts[entry.AccountId];
            Entries.Add(new EntryInsert(account.Number, entry.Sequence, transferIds[entry.TransferIndex],
                LedgerNames.Of(entry.Side), entry.PostedAmount, entry.PendingAmount, entry.After.DebitsPosted, entry.After.CreditsPosted,
                entry.After.DebitsPending, entry.After.CreditsPending, account.EntryTime));
        }

        return new LedgerTransaction
        {
            Id = transactionId,
            ExternalId = request.ExternalId,
            Description = request.Description,
            Metadata = metadata,
            EffectiveAt = effectiveAt,
            CreatedAt = now,
            ReversesTransactionId = request.ReversesTransactionId,
            Transfers = transfers,
        };
    }
}

internal sealed record TransactionInsert(string Id, string MerchantId, string? ExternalId, string? Description, string Metadata,
    DateTimeOffset EffectiveAt, DateTimeOffset CreatedAt, string? ReversesTransactionId, int TransferCount);

internal sealed record MetadataInsert(string MerchantId, string Key, string Value, string TransactionId);

internal sealed record TransferInsert(string Id, string TransactionId, string MerchantId, int Position, string Kind, string DebitAccountId,
    string CreditAccountId, long Amount, string Currency, string? PendingTransferId, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

internal sealed record HoldInsert(string TransferId, DateTimeOffset? ExpiresAt);

internal sealed record EntryInsert(long AccountNo, long Sequence, string TransferId, string Side,
    long PostedAmount, long PendingAmount, long DebitsPosted, long CreditsPosted, long DebitsPending, long CreditsPending, DateTimeOffset CreatedAt);
