using System.Text.RegularExpressions;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger.Booking;

namespace Obol.Ledger;

/// <summary>
/// <see cref="ILedger"/> for in-process callers (who also see the platform-wide accounts), plus the scoped
/// operations the HTTP API uses (a merchant's own books only).
/// </summary>
internal sealed partial class Ledger(Bookkeeper bookkeeper, IdGenerator ids, TimeProvider clock) : ILedger
{
    public const int MaxTransfersPerTransaction = 1000;

    /// <summary>The platform accounts other modules book to, and the type each has.</summary>
    public static IReadOnlyDictionary<string, AccountType> PlatformAccountTypes { get; } = new Dictionary<string, AccountType>(StringComparer.Ordinal)
    {
        ["psp_receivable"] = AccountType.Asset,
        ["bank_cash"] = AccountType.Asset,
        ["merchant_payable"] = AccountType.Liability,
        ["courier_payable"] = AccountType.Liability,
        ["refunds_payable"] = AccountType.Liability,
        ["suspense"] = AccountType.Liability,

        // FX: the platform's position in each currency (what it converted in, less what it converted out), its margin on
        // conversions, and the gain or loss when a refund's cost at the day's rate differs from what the merchant gives back.
        ["fx_position"] = AccountType.Asset,
        ["fx_revenue"] = AccountType.Revenue,
        ["fx_gain_loss"] = AccountType.Expense,
        ["fee_revenue"] = AccountType.Revenue,
        ["psp_fee_expense"] = AccountType.Expense,
        ["courier_earnings_expense"] = AccountType.Expense,
        ["opening_balance_equity"] = AccountType.Equity,
    };

    private static LedgerScope InProcess(string merchantId) => new(merchantId, IncludesPlatformBooks: true);

    internal static LedgerScope OwnBooks(string merchantId) => new(merchantId, IncludesPlatformBooks: false);

    public Task<LedgerAccount> CreateAccountAsync(DbSession session, string merchantId, NewAccount account) =>
        CreateAccountInBooksAsync(session, merchantId, account);

    private async Task<LedgerAccount> CreateAccountInBooksAsync(DbSession session, string? merchantId, NewAccount account)
    {
        var errors = new ValidationErrors();
        if (!AccountCode().IsMatch(account.Code ?? ""))
        {
            errors.Add("code", "1 to 100 characters: letters, digits, '_', '-', '.', ':'.");
        }

        if (account.Flags is { DebitsMustNotExceedCredits: true, CreditsMustNotExceedDebits: true })
        {
            errors.Add("flags", "At most one of debitsMustNotExceedCredits and creditsMustNotExceedDebits can be set.");
        }

        errors.Metadata("metadata", account.Metadata);
        var owner = account.Owner ?? (merchantId is null ? new AccountOwner(OwnerType.Platform, null) : new AccountOwner(OwnerType.Merchant, merchantId));
        if (owner.Type != OwnerType.Platform && string.IsNullOrWhiteSpace(owner.Id))
        {
            errors.Add("owner.id", "A merchant or courier owner needs an id.");
        }
        else if (owner.Id is { Length: > 255 })
        {
            errors.Add("owner.id", "At most 255 characters.");
        }

        errors.RefuseNulCharacter("owner.id", owner.Id);

        errors.ThrowIfAny();
        var id = ids.New("acc");
        var inserted = await session.ExecuteAsync("""
            INSERT INTO ledger_accounts (id, merchant_id, code, type, currency, owner_type, owner_id, metadata,
                                         debits_must_not_exceed_credits, credits_must_not_exceed_debits, created_at)
            VALUES (@id, @merchantId, @Code, @type, @currency, @ownerType, @ownerId, @metadata, @debitsLimit, @creditsLimit, @now)
            ON CONFLICT DO NOTHING
            """, new
        {
            id,
            merchantId,
            account.Code,
            type = LedgerNames.Of(account.Type),
            currency = account.Currency.Code,
            ownerType = LedgerNames.Of(owner.Type),
            ownerId = owner.Type == OwnerType.Platform ? null : owner.Id,
            metadata = LedgerJson.WriteMetadata(account.Metadata),
            debitsLimit = account.Flags.DebitsMustNotExceedCredits,
            creditsLimit = account.Flags.CreditsMustNotExceedDebits,
            now = clock.GetUtcNow(),
        });
        if (inserted == 0)
        {
            throw LedgerProblems.AccountCodeTaken(account.Code!);
        }

        return (await LedgerQueries.GetAccountAsync(session, new LedgerScope(merchantId ?? "", true), id, null))!;
    }

    public async Task<LedgerAccount> GetOrCreatePlatformAccountAsync(DbSession session, string? merchantId, string code, Currency currency)
    {
        if (!PlatformAccountTypes.TryGetValue(code, out var type))
        {
            throw new ArgumentException($"'{code}' is not a platform account; known: {string.Join(", ", PlatformAccountTypes.Keys)}.", nameof(code));
        }

        var storedCode = $"{code}:{currency.Code}";
        var existing = await FindByCodeAsync(session, merchantId, storedCode);
        if (existing is not null)
        {
            return existing;
        }

        var owner = merchantId is not null && code == "merchant_payable"
            ? new AccountOwner(OwnerType.Merchant, merchantId)
            : new AccountOwner(OwnerType.Platform, null);
        var id = ids.New("acc");
        await session.ExecuteAsync("""
            INSERT INTO ledger_accounts (id, merchant_id, code, type, currency, owner_type, owner_id, metadata,
                                         debits_must_not_exceed_credits, credits_must_not_exceed_debits, created_at)
            VALUES (@id, @merchantId, @storedCode, @type, @currency, @ownerType, @ownerId, '{}', @no, @no, @now)
            ON CONFLICT DO NOTHING
            """, new
        {
            id,
            merchantId,
            storedCode,
            type = LedgerNames.Of(type),
            currency = currency.Code,
            ownerType = LedgerNames.Of(owner.Type),
            ownerId = owner.Id,
            no = false,
            now = clock.GetUtcNow(),
        });

        // Whoever inserted first, the account now exists (a concurrent creator's row is visible once its insert committed).
        return await FindByCodeAsync(session, merchantId, storedCode)
            ?? throw new InvalidOperationException($"Platform account {storedCode} could not be created.");
    }

    private static async Task<LedgerAccount?> FindByCodeAsync(DbSession session, string? merchantId, string code)
    {
        var row = await session.QuerySingleOrDefaultAsync<AccountRow>(
            $"SELECT {AccountRow.Columns} FROM ledger_accounts WHERE COALESCE(merchant_id, '') = @scope AND code = @code",
            new { scope = merchantId ?? "", code });
        return row?.ToAccount();
    }

    public Task<LedgerAccount?> GetAccountAsync(DbSession session, string merchantId, string accountId, DateTimeOffset? asOf = null) =>
        LedgerQueries.GetAccountAsync(session, InProcess(merchantId), accountId, asOf);

    public Task<BookedTransaction> CreateTransactionAsync(DbSession session, string merchantId, NewTransaction transaction) =>
        CreateTransactionAsync(session, InProcess(merchantId), transaction);

    internal async Task<BookedTransaction> CreateTransactionAsync(DbSession session, LedgerScope scope, NewTransaction transaction) =>
        Unwrap((await bookkeeper.BookAsync(session, [ToRequest(scope, transaction)]))[0]);

    public Task<IReadOnlyList<BookingOutcome>> CreateTransactionsAsync(DbSession session, string merchantId, IReadOnlyList<NewTransaction> transactions) =>
        CreateTransactionsAsync(session, InProcess(merchantId), transactions);

    internal Task<IReadOnlyList<BookingOutcome>> CreateTransactionsAsync(DbSession session, LedgerScope scope, IReadOnlyList<NewTransaction> transactions) =>
        BookEachAsync(scope, transactions, requests => bookkeeper.BookAsync(session, requests));

    /// <summary>
    /// Books each transaction on its own: one that fails validation (external id, description, metadata, number of
    /// transfers) is rejected in its place in the outcomes instead of failing the others.
    /// </summary>
    internal static async Task<IReadOnlyList<BookingOutcome>> BookEachAsync(LedgerScope scope, IReadOnlyList<NewTransaction> transactions,
        Func<IReadOnlyList<BookingRequest>, Task<IReadOnlyList<BookingOutcome>>> book)
    {
        var requests = new List<BookingRequest>(transactions.Count);
        BookingOutcome?[]? invalid = null;
        for (var i = 0; i < transactions.Count; i++)
        {
            try
            {
                requests.Add(ToRequest(scope, transactions[i]));
            }
            catch (ProblemException problem)
            {
                (invalid ??= new BookingOutcome?[transactions.Count])[i] = new BookingOutcome(null, problem);
            }
        }

        var booked = requests.Count == 0 ? [] : await book(requests);
        if (invalid is null)
        {
            return booked;
        }

        var outcomes = new BookingOutcome[transactions.Count];
        for (int i = 0, next = 0; i < outcomes.Length; i++)
        {
            outcomes[i] = invalid[i] ?? booked[next++];
        }

        return outcomes;
    }

    internal static BookingRequest ToRequest(LedgerScope scope, NewTransaction transaction)
    {
        // Most bulk transactions carry nothing but transfers: no validation state to allocate for them.
        if (transaction.ExternalId is not null || transaction.Description is not null || transaction.Metadata is not null
            || transaction.Transfers is null || transaction.Transfers.Count is 0 or > MaxTransfersPerTransaction)
        {
            var errors = new ValidationErrors();
            LedgerValidation.Transaction(errors, transaction.ExternalId, transaction.Description, transaction.Metadata);
            if (transaction.Transfers is null || transaction.Transfers.Count is 0 or > MaxTransfersPerTransaction)
            {
                errors.Add("transfers", $"A transaction has 1 to {MaxTransfersPerTransaction} transfers.");
            }

            errors.ThrowIfAny();
        }

        var intents = new TransferIntent[transaction.Transfers!.Count];
        for (var k = 0; k < intents.Length; k++)
        {
            intents[k] = new NewTransferIntent(transaction.Transfers[k]);
        }

        return new BookingRequest(scope, intents)
        {
            ExternalId = transaction.ExternalId,
            Description = transaction.Description,
            Metadata = transaction.Metadata,
            EffectiveAt = transaction.EffectiveAt,
        };
    }

    public Task<LedgerTransfer> PostPendingTransferAsync(DbSession session, string merchantId, string pendingTransferId, long? amount = null, TransferResolution? details = null) =>
        ResolveAsync(session, InProcess(merchantId), pendingTransferId, TransferKind.PostPending, amount, details);

    public Task<LedgerTransfer> VoidPendingTransferAsync(DbSession session, string merchantId, string pendingTransferId, TransferResolution? details = null) =>
        ResolveAsync(session, InProcess(merchantId), pendingTransferId, TransferKind.VoidPending, null, details);

    internal async Task<LedgerTransfer> ResolveAsync(DbSession session, LedgerScope scope, string pendingTransferId, TransferKind kind, long? amount, TransferResolution? details)
    {
        var errors = new ValidationErrors();
        LedgerValidation.Transaction(errors, details?.ExternalId, details?.Description, details?.Metadata);
        errors.ThrowIfAny();
        var request = new BookingRequest(scope, [new ResolveIntent(pendingTransferId, kind, amount)])
        {
            ExternalId = details?.ExternalId,
            Description = details?.Description,
            Metadata = details?.Metadata,
        };
        Unwrap((await bookkeeper.BookAsync(session, [request]))[0]);
        return (await LedgerQueries.GetTransferAsync(session, scope.MerchantId, pendingTransferId))!;
    }

    public Task<BookedTransaction> ReverseTransactionAsync(DbSession session, string merchantId, string transactionId, TransferResolution? details = null) =>
        ReverseAsync(session, InProcess(merchantId), transactionId, details);

    internal async Task<BookedTransaction> ReverseAsync(DbSession session, LedgerScope scope, string transactionId, TransferResolution? details)
    {
        var errors = new ValidationErrors();
        LedgerValidation.Transaction(errors, details?.ExternalId, details?.Description, details?.Metadata);
        errors.ThrowIfAny();
        var original = await LedgerQueries.GetTransactionAsync(session, scope.MerchantId, transactionId)
            ?? throw Problems.NotFound("transaction", transactionId);
        if (original.ReversesTransactionId is not null)
        {
            // Reversing a reversal would be legal bookkeeping, but it is nearly always a mistake: book the movement again instead.
            throw LedgerProblems.TransactionNotReversible(transactionId, "is itself a reversal.");
        }

        if (original.Transfers.Any(t => t.Kind == TransferKind.Pending))
        {
            throw LedgerProblems.TransactionNotReversible(transactionId, "holds pending transfers: post or void them, then reverse the transaction that posted them.");
        }

        var reversing = original.Transfers
            .Where(t => t.Kind is TransferKind.Posted or TransferKind.PostPending && t.Amount > 0)
            .Select(t => (TransferIntent)new NewTransferIntent(new NewTransfer(t.CreditAccountId, t.DebitAccountId, t.Amount, Currency.FromCode(t.Currency))))
            .ToList();
        if (reversing.Count == 0)
        {
            throw LedgerProblems.TransactionNotReversible(transactionId, "moved no posted amount.");
        }

        var request = new BookingRequest(scope, reversing)
        {
            ExternalId = details?.ExternalId,
            Description = details?.Description ?? $"Reversal of {transactionId}",
            Metadata = details?.Metadata,
            EffectiveAt = null,
            ReversesTransactionId = transactionId,
        };
        return Unwrap((await bookkeeper.BookAsync(session, [request]))[0]);
    }

    public Task<LedgerTransaction?> GetTransactionAsync(DbSession session, string merchantId, string transactionId) =>
        LedgerQueries.GetTransactionAsync(session, merchantId, transactionId);

    public Task<LedgerTransaction?> GetTransactionByExternalIdAsync(DbSession session, string merchantId, string externalId) =>
        LedgerQueries.GetTransactionByExternalIdAsync(session, merchantId, externalId);

    public Task<LedgerTransfer?> GetTransferAsync(DbSession session, string merchantId, string transferId) =>
        LedgerQueries.GetTransferAsync(session, merchantId, transferId);

    public async Task<int> ExpireDuePendingTransfersAsync(DbSession session, int limit = 500)
    {
        var due = await session.QueryAsync<DueHoldRow>("""
            SELECT h.transfer_id AS TransferId, t.merchant_id AS MerchantId
            FROM ledger_pending_holds h JOIN ledger_transfers t ON t.id = h.transfer_id
            WHERE h.expires_at IS NOT NULL AND h.expires_at <= @now
            ORDER BY h.expires_at LIMIT @limit
            """, new { now = clock.GetUtcNow(), limit });
        if (due.Count == 0)
        {
            return 0;
        }

        var requests = due.Select(d => new BookingRequest(InProcess(d.MerchantId), [new ResolveIntent(d.TransferId, TransferKind.ExpirePending, null)])
        {
            Description = "Pending transfer expired",
        }).ToList();

        // A hold that another node expired, or that was posted meanwhile, comes back rejected: nothing to do for it.
        return (await bookkeeper.BookAsync(session, requests)).Count(o => o.IsBooked);
    }

    public Task<VerificationReport> VerifyAsync(DbSession session, string? merchantId) =>
        LedgerVerifier.VerifyAsync(session, merchantId, clock.GetUtcNow());

    internal static BookedTransaction Unwrap(BookingOutcome outcome) => outcome.Booked ?? throw outcome.Rejection!;

    [GeneratedRegex(@"^[A-Za-z0-9_\-.:]{1,100}$")]
    private static partial Regex AccountCode();

    private sealed class DueHoldRow
    {
        public string TransferId { get; set; } = "";
        public string MerchantId { get; set; } = "";
    }
}

internal static class LedgerValidation
{
    public static void Transaction(ValidationErrors errors, string? externalId, string? description, IReadOnlyDictionary<string, string>? metadata)
    {
        if (externalId is not null && (externalId.Length is < 1 or > 255 || externalId.Any(c => c is < (char)0x20 or > (char)0x7E)))
        {
            errors.Add("externalId", "1 to 255 printable ASCII characters.");
        }

        if (description is { Length: > 1000 })
        {
            errors.Add("description", "At most 1000 characters.");
        }

        errors.RefuseNulCharacter("description", description);

        errors.Metadata("metadata", metadata);
    }
}
