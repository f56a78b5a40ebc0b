using System.Text.Json.Serialization;
using Obol.Core;
using Obol.Core.Storage;

namespace Obol.Ledger;

/// <summary>
/// The ledger as other modules use it: every method takes the caller's <see cref="DbSession"/>, so postings
/// commit or roll back with the caller's own writes (a capture and its ledger transaction are one commit).
/// Methods that change the books need a write session (inside <see cref="Database.WriteAsync{T}"/>).
/// <para>
/// Scope: <paramref name="merchantId"/> names whose books the call works in. Accounts of that merchant and the
/// platform-wide accounts (created with a null merchant) are visible; another merchant's are not found.
/// </para>
/// Rejections are <see cref="Core.Errors.ProblemException"/>s with the codes in <see cref="LedgerProblems"/>;
/// a rejected call books nothing.
/// </summary>
public interface ILedger
{
    Task<LedgerAccount> CreateAccountAsync(DbSession session, string merchantId, NewAccount account);

    /// <summary>
    /// The platform account with this code and currency (e.g. <c>merchant_payable</c> in USD), created on first use.
    /// With a merchant id the account lives in that merchant's books, otherwise in the platform-wide books. Its
    /// stored code is <c>{code}:{currency}</c>, so one code can exist per currency.
    /// </summary>
    Task<LedgerAccount> GetOrCreatePlatformAccountAsync(DbSession session, string? merchantId, string code, Currency currency);

    Task<LedgerAccount?> GetAccountAsync(DbSession session, string merchantId, string accountId, DateTimeOffset? asOf = null);

    /// <summary>Books all the transfers or none. With an external id that was booked before, returns that transaction (<c>Created = false</c>).</summary>
    Task<BookedTransaction> CreateTransactionAsync(DbSession session, string merchantId, NewTransaction transaction);

    /// <summary>
    /// Books many transactions in the caller's one database transaction. Each succeeds or is rejected on its own
    /// (the outcome says which); rejected ones book nothing and do not affect the others.
    /// </summary>
    Task<IReadOnlyList<BookingOutcome>> CreateTransactionsAsync(DbSession session, string merchantId, IReadOnlyList<NewTransaction> transactions);

    /// <summary>Posts a pending transfer, in full or a smaller amount (the rest is released). Returns the pending transfer, now posted.</summary>
    Task<LedgerTransfer> PostPendingTransferAsync(DbSession session, string merchantId, string pendingTransferId, long? amount = null, TransferResolution? details = null);

    /// <summary>Releases a pending transfer's hold without moving money. Returns the pending transfer, now voided.</summary>
    Task<LedgerTransfer> VoidPendingTransferAsync(DbSession session, string merchantId, string pendingTransferId, TransferResolution? details = null);

    /// <summary>Books a new transaction that undoes the posted amounts of <paramref name="transactionId"/>, linked to it. Once only.</summary>
    Task<BookedTransaction> ReverseTransactionAsync(DbSession session, string merchantId, string transactionId, TransferResolution? details = null);

    Task<LedgerTransaction?> GetTransactionAsync(DbSession session, string merchantId, string transactionId);

    /// <summary>The transaction booked with this external id in the merchant's books, if any.</summary>
    Task<LedgerTransaction?> GetTransactionByExternalIdAsync(DbSession session, string merchantId, string externalId);

    Task<LedgerTransfer?> GetTransferAsync(DbSession session, string merchantId, string transferId);

    /// <summary>Expires up to <paramref name="limit"/> pending transfers whose timeout has passed; returns how many.</summary>
    Task<int> ExpireDuePendingTransfersAsync(DbSession session, int limit = 500);

    /// <summary>Recomputes the books from the entries. With a merchant id, checks that merchant's books; with null, everything.</summary>
    Task<VerificationReport> VerifyAsync(DbSession session, string? merchantId);
}

public sealed record AccountOwner(OwnerType Type, string? Id);

public sealed record NewAccount(string Code, AccountType Type, Currency Currency)
{
    /// <summary>Defaults to the merchant itself.</summary>
    public AccountOwner? Owner { get; init; }

    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    public AccountFlags Flags { get; init; }
}

public sealed record NewTransfer(string DebitAccountId, string CreditAccountId, long Amount, Currency Currency)
{
    /// <summary>A hold: reserves the amount (it counts against limits) until posted, voided or expired.</summary>
    public bool Pending { get; init; }

    /// <summary>For a pending transfer: expires this long after booking. None: it waits until posted or voided.</summary>
    public TimeSpan? Timeout { get; init; }
}

public sealed record NewTransaction(IReadOnlyList<NewTransfer> Transfers)
{
    /// <summary>The caller's id for this transaction, unique per merchant: booking it again returns the first.</summary>
    public string? ExternalId { get; init; }

    public string? Description { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>When the movement happened for reporting; defaults to the booking time.</summary>
    public DateTimeOffset? EffectiveAt { get; init; }
}

/// <summary>Description, metadata and external id of the transaction that posts, voids or reverses.</summary>
public sealed record TransferResolution
{
    public string? ExternalId { get; init; }
    public string? Description { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

public sealed record LedgerAccount
{
    public required string Id { get; init; }
    public required string Code { get; init; }
    public required AccountType Type { get; init; }
    public required string Currency { get; init; }
    public required AccountOwner Owner { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    public required AccountFlags Flags { get; init; }
    public required long DebitsPosted { get; init; }
    public required long CreditsPosted { get; init; }
    public required long DebitsPending { get; init; }
    public required long CreditsPending { get; init; }

    /// <summary>The posted balance on the account's normal side.</summary>
    public required long Balance { get; init; }

    /// <summary>The balance less holds moving away from the normal side.</summary>
    public required long AvailableBalance { get; init; }

    /// <summary>Sequence number of the account's latest entry (0: none yet).</summary>
    public required long EntryCount { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Set when the balances are as of a past instant.</summary>
    public DateTimeOffset? AsOf { get; init; }

    [JsonIgnore]
    public AccountBalances Balances => new(DebitsPosted, CreditsPosted, DebitsPending, CreditsPending);
}

public enum TransferKind
{
    Posted,
    Pending,
    PostPending,
    VoidPending,
    ExpirePending,
}

public enum TransferStatus
{
    Pending,
    Posted,
    Voided,
    Expired,
}

public sealed record LedgerTransfer
{
    public required string Id { get; init; }
    public required string TransactionId { get; init; }
    public required TransferKind Kind { get; init; }

    /// <summary>For a pending transfer, where its hold stands; for the others, what they did.</summary>
    public required TransferStatus Status { get; init; }

    public required string DebitAccountId { get; init; }
    public required string CreditAccountId { get; init; }

    /// <summary>For post_pending the amount posted; for void/expire the amount released.</summary>
    public required long Amount { get; init; }

    public required string Currency { get; init; }
    public string? PendingTransferId { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>For a pending transfer that has ended: the transfer that posted, voided or expired it.</summary>
    public string? ResolvedByTransferId { get; init; }

    /// <summary>For a pending transfer that was posted: the amount posted.</summary>
    public long? PostedAmount { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}

public sealed record LedgerTransaction
{
    public required string Id { get; init; }
    public string? ExternalId { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    public required DateTimeOffset EffectiveAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string? ReversesTransactionId { get; init; }
    public string? ReversedByTransactionId { get; init; }
    public required IReadOnlyList<LedgerTransfer> Transfers { get; init; }
}

public sealed record BookedTransaction(LedgerTransaction Transaction, bool Created);

/// <summary>One transaction's outcome in a bulk booking: booked (or found by external id), or rejected.</summary>
public sealed record BookingOutcome(BookedTransaction? Booked, Core.Errors.ProblemException? Rejection)
{
    [JsonIgnore]
    public bool IsBooked => Booked is not null;
}

/// <summary>One entry in an account's history: one transfer's effect on that account and the balances after it.</summary>
public sealed record LedgerEntry
{
    public required string AccountId { get; init; }
    public required long Sequence { get; init; }
    public required string TransferId { get; init; }
    public required string TransactionId { get; init; }
    public required EntrySide Side { get; init; }
    public required long PostedAmount { get; init; }
    public required long PendingAmount { get; init; }
    public required long DebitsPosted { get; init; }
    public required long CreditsPosted { get; init; }
    public required long DebitsPending { get; init; }
    public required long CreditsPending { get; init; }
    public required long Balance { get; init; }
    public required DateTimeOffset EffectiveAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
