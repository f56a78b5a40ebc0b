using System.Text.Json;

namespace Obol.Ledger.Booking;

/// <summary>Dapper row types: classes with settable properties, since column types differ between providers.</summary>
internal sealed class AccountRow
{
    public const string Columns = """
        id AS Id, merchant_id AS MerchantId, code AS Code, type AS Type, currency AS Currency, owner_type AS OwnerType,
        owner_id AS OwnerId, metadata AS Metadata, debits_must_not_exceed_credits AS DebitsMustNotExceedCredits,
        credits_must_not_exceed_debits AS CreditsMustNotExceedDebits, debits_posted AS DebitsPosted, credits_posted AS CreditsPosted,
        debits_pending AS DebitsPending, credits_pending AS CreditsPending, last_sequence AS LastSequence, created_at AS CreatedAt,
        number AS Number, last_entry_at AS LastEntryAt
        """;

    public string Id { get; set; } = "";
    public long Number { get; set; }
    public DateTimeOffset? LastEntryAt { get; set; }
    public string? MerchantId { get; set; }
    public string Code { get; set; } = "";
    public string Type { get; set; } = "";
    public string Currency { get; set; } = "";
    public string OwnerType { get; set; } = "";
    public string? OwnerId { get; set; }
    public string Metadata { get; set; } = "{}";
    public bool DebitsMustNotExceedCredits { get; set; }
    public bool CreditsMustNotExceedDebits { get; set; }
    public long DebitsPosted { get; set; }
    public long CreditsPosted { get; set; }
    public long DebitsPending { get; set; }
    public long CreditsPending { get; set; }
    public long LastSequence { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    public AccountType AccountType => LedgerNames.ParseAccountType(Type);
    public AccountFlags Flags => new(DebitsMustNotExceedCredits, CreditsMustNotExceedDebits);
    public AccountBalances Balances => new(DebitsPosted, CreditsPosted, DebitsPending, CreditsPending);

    public AccountState ToState(DateTimeOffset now) => new()
    {
        Id = Id,
        Number = Number,
        MerchantId = MerchantId,
        Type = AccountType,
        Currency = Currency,
        Flags = Flags,
        KeptByObol = LedgerNames.IsKeptByObol(Code),
        Balances = Balances,
        LastSequence = LastSequence,
        EntryTime = LastEntryAt is { } last && last > now ? last : now,
    };

    public LedgerAccount ToAccount(AccountBalances? balancesAsOf = null, long? sequenceAsOf = null, DateTimeOffset? asOf = null)
    {
        var balances = balancesAsOf ?? Balances;
        var type = AccountType;
        return new LedgerAccount
        {
            Id = Id,
            Code = Code,
            Type = type,
            Currency = Currency,
            Owner = new AccountOwner(LedgerNames.ParseOwnerType(OwnerType), OwnerId),
            Metadata = LedgerJson.ReadMetadata(Metadata),
            Flags = Flags,
            DebitsPosted = balances.DebitsPosted,
            CreditsPosted = balances.CreditsPosted,
            DebitsPending = balances.DebitsPending,
            CreditsPending = balances.CreditsPending,
            Balance = balances.Balance(type),
            AvailableBalance = balances.Available(type),
            EntryCount = sequenceAsOf ?? LastSequence,
            CreatedAt = CreatedAt,
            AsOf = asOf,
        };
    }
}

internal sealed class TransferRow
{
    public const string Select = """
        SELECT t.id AS Id, t.transaction_id AS TransactionId, t.merchant_id AS MerchantId, t.position AS Position, t.kind AS Kind,
               t.debit_account_id AS DebitAccountId, t.credit_account_id AS CreditAccountId, t.amount AS Amount, t.currency AS Currency,
               t.pending_transfer_id AS PendingTransferId, t.expires_at AS ExpiresAt, t.created_at AS CreatedAt,
               r.id AS ResolvedById, r.kind AS ResolvedKind, r.amount AS ResolvedAmount
        FROM ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_transfer_id = t.id
        """;

    public string Id { get; set; } = "";
    public string TransactionId { get; set; } = "";
    public string MerchantId { get; set; } = "";
    public long Position { get; set; }
    public string Kind { get; set; } = "";
    public string DebitAccountId { get; set; } = "";
    public string CreditAccountId { get; set; } = "";
    public long Amount { get; set; }
    public string Currency { get; set; } = "";
    public string? PendingTransferId { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? ResolvedById { get; set; }
    public string? ResolvedKind { get; set; }
    public long? ResolvedAmount { get; set; }

    public LedgerTransfer ToTransfer()
    {
        var kind = LedgerNames.ParseTransferKind(Kind);
        var resolvedKind = ResolvedKind is null ? (TransferKind?)null : LedgerNames.ParseTransferKind(ResolvedKind);
        return new LedgerTransfer
        {
            Id = Id,
            TransactionId = TransactionId,
            Kind = kind,
            Status = kind == TransferKind.Pending ? LedgerNames.StatusAfter(resolvedKind) : LedgerNames.StatusAfter(kind),
            DebitAccountId = DebitAccountId,
            CreditAccountId = CreditAccountId,
            Amount = Amount,
            Currency = Currency,
            PendingTransferId = PendingTransferId,
            ExpiresAt = ExpiresAt,
            ResolvedByTransferId = ResolvedById,
            PostedAmount = resolvedKind == TransferKind.PostPending ? ResolvedAmount : null,
            CreatedAt = CreatedAt,
        };
    }
}

internal sealed class TransactionRow
{
    public const string Select = """
        SELECT t.id AS Id, t.merchant_id AS MerchantId, t.external_id AS ExternalId, t.description AS Description, t.metadata AS Metadata,
               t.effective_at AS EffectiveAt, t.created_at AS CreatedAt, t.reverses_transaction_id AS ReversesTransactionId,
               t.transfer_count AS TransferCount, r.id AS ReversedByTransactionId
        FROM ledger_transactions t LEFT JOIN ledger_transactions r ON r.reverses_transaction_id = t.id
        """;

    public string Id { get; set; } = "";
    public string MerchantId { get; set; } = "";
    public string? ExternalId { get; set; }
    public string? Description { get; set; }
    public string Metadata { get; set; } = "{}";
    public DateTimeOffset EffectiveAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? ReversesTransactionId { get; set; }

    /// <summary>Null for transactions booked before ledger/0004, whose transfer ids do not derive from theirs.</summary>
    public int? TransferCount { get; set; }

    public string? ReversedByTransactionId { get; set; }
}

internal sealed class EntryRow
{
    /// <summary>Entries (<c>e</c>) with their transfer's transaction and its effective time, each a primary-key look-up.</summary>
    public const string Select = """
        SELECT e.sequence AS Sequence, e.transfer_id AS TransferId, tr.transaction_id AS TransactionId, e.side AS Side,
               e.posted_amount AS PostedAmount, e.pending_amount AS PendingAmount, e.debits_posted AS DebitsPosted, e.credits_posted AS CreditsPosted,
               e.debits_pending AS DebitsPending, e.credits_pending AS CreditsPending, t.effective_at AS EffectiveAt, e.created_at AS CreatedAt
        FROM ledger_entries e
        JOIN ledger_transfers tr ON tr.id = e.transfer_id
        JOIN ledger_transactions t ON t.merchant_id = tr.merchant_id AND t.id = tr.transaction_id
        """;

    /// <summary>Only the balances after the entry: one primary-key look-up, for "as of".</summary>
    public const string SelectBalances = """
        SELECT e.debits_posted AS DebitsPosted, e.credits_posted AS CreditsPosted, e.debits_pending AS DebitsPending, e.credits_pending AS CreditsPending
        FROM ledger_entries e
        """;

    public long Sequence { get; set; }
    public string TransferId { get; set; } = "";
    public string TransactionId { get; set; } = "";
    public string Side { get; set; } = "";
    public long PostedAmount { get; set; }
    public long PendingAmount { get; set; }
    public long DebitsPosted { get; set; }
    public long CreditsPosted { get; set; }
    public long DebitsPending { get; set; }
    public long CreditsPending { get; set; }
    public DateTimeOffset EffectiveAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    public AccountBalances Balances => new(DebitsPosted, CreditsPosted, DebitsPending, CreditsPending);

    public LedgerEntry ToEntry(string accountId, AccountType type) => new()
    {
        AccountId = accountId,
        Sequence = Sequence,
        TransferId = TransferId,
        TransactionId = TransactionId,
        Side = Side == "debit" ? EntrySide.Debit : EntrySide.Credit,
        PostedAmount = PostedAmount,
        PendingAmount = PendingAmount,
        DebitsPosted = DebitsPosted,
        CreditsPosted = CreditsPosted,
        DebitsPending = DebitsPending,
        CreditsPending = CreditsPending,
        Balance = Balances.Balance(type),
        EffectiveAt = EffectiveAt,
        CreatedAt = CreatedAt,
    };
}

/// <summary>The names the database and the API use for the ledger's enums.</summary>
internal static class LedgerNames
{
    public static string Of(AccountType type) => type switch
    {
        AccountType.Asset => "asset",
        AccountType.Liability => "liability",
        AccountType.Equity => "equity",
        AccountType.Revenue => "revenue",
        AccountType.Expense => "expense",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParseAccountType(string? text, out AccountType type)
    {
        foreach (var candidate in Enum.GetValues<AccountType>())
        {
            if (string.Equals(Of(candidate), text, StringComparison.Ordinal))
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }

    public static AccountType ParseAccountType(string text) =>
        TryParseAccountType(text, out var type) ? type : throw new InvalidOperationException($"Unknown account type '{text}'.");

    public static string Of(OwnerType type) => type switch
    {
        OwnerType.Platform => "platform",
        OwnerType.Merchant => "merchant",
        OwnerType.Courier => "courier",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParseOwnerType(string? text, out OwnerType type)
    {
        foreach (var candidate in Enum.GetValues<OwnerType>())
        {
            if (string.Equals(Of(candidate), text, StringComparison.Ordinal))
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }

    public static OwnerType ParseOwnerType(string text) =>
        TryParseOwnerType(text, out var type) ? type : throw new InvalidOperationException($"Unknown owner type '{text}'.");

    public static string Of(TransferKind kind) => kind switch
    {
        TransferKind.Posted => "posted",
        TransferKind.Pending => "pending",
        TransferKind.PostPending => "post_pending",
        TransferKind.VoidPending => "void_pending",
        TransferKind.ExpirePending => "expire_pending",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static TransferKind ParseTransferKind(string text) => text switch
    {
        "posted" => TransferKind.Posted,
        "pending" => TransferKind.Pending,
        "post_pending" => TransferKind.PostPending,
        "void_pending" => TransferKind.VoidPending,
        "expire_pending" => TransferKind.ExpirePending,
        _ => throw new InvalidOperationException($"Unknown transfer kind '{text}'."),
    };

    /// <summary>A pending transfer's status given the kind of transfer that ended it (null: none yet).</summary>
    public static TransferStatus StatusAfter(TransferKind? kind) => kind switch
    {
        null or TransferKind.Pending => TransferStatus.Pending,
        TransferKind.Posted or TransferKind.PostPending => TransferStatus.Posted,
        TransferKind.VoidPending => TransferStatus.Voided,
        TransferKind.ExpirePending => TransferStatus.Expired,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string Of(EntrySide side) => side == EntrySide.Debit ? "debit" : "credit";

    /// <summary>
    /// An account Obol's modules keep: coded <c>name:CUR</c> by <see cref="Ledger.GetOrCreatePlatformAccountAsync"/>, a
    /// platform account's name and an ISO 4217 code. The merchant's API cannot create such a code or book into it.
    /// </summary>
    public static bool IsKeptByObol(string code) =>
        code.LastIndexOf(':') is var colon and > 0
        && Ledger.PlatformAccountTypes.ContainsKey(code[..colon])
        && Obol.Core.Currency.TryFromCode(code[(colon + 1)..], out _);

    /// <summary>
    /// External ids the modules book under, which the merchant's API cannot take first: those holding a ':'
    /// (<c>settlement:…</c>, <c>courier_earnings:…</c>, <c>reversal:…</c>) and payments' attempt ids (<c>att_…</c>).
    /// </summary>
    public static bool IsReservedExternalId(string externalId) =>
        externalId.Contains(':', StringComparison.Ordinal) || externalId.StartsWith("att_", StringComparison.Ordinal);
}

/// <summary>Ids that cannot name anything stored: PostgreSQL text cannot hold U+0000, so no id contains it.</summary>
internal static class LedgerIds
{
    public static bool CannotExist(string id) => id.Contains('\0', StringComparison.Ordinal);
}

internal static class LedgerJson
{
    /// <summary>No metadata: one shared, read-only instance.</summary>
    public static readonly IReadOnlyDictionary<string, string> Empty = new System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(new Dictionary<string, string>(StringComparer.Ordinal));

    public static string WriteMetadata(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is null || metadata.Count == 0 ? "{}" : JsonSerializer.Serialize(metadata);

    public static IReadOnlyDictionary<string, string> ReadMetadata(string json) =>
        json == "{}" ? Empty : JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? Empty;
}
