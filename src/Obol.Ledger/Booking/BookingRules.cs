using Obol.Core.Errors;

namespace Obol.Ledger.Booking;

/// <summary>An account as the booking rules see it: locked for the booking, its balances advanced in memory.</summary>
internal sealed class AccountState
{
    public required string Id { get; init; }

    /// <summary>The account's integer key, which its entries carry instead of <see cref="Id"/>.</summary>
    public required long Number { get; init; }

    public required string? MerchantId { get; init; }
    public required AccountType Type { get; init; }
    public required string Currency { get; init; }
    public required AccountFlags Flags { get; init; }

    /// <summary>
    /// One of the accounts Obol's modules keep in a merchant's books (payments, payouts, reconciliation; code
    /// <c>name:currency</c>): the merchant reads it, only the modules book into it.
    /// </summary>
    public bool KeptByObol { get; init; }

    public AccountBalances Balances { get; set; }
    public long LastSequence { get; set; }

    /// <summary>
    /// When this booking books the account's entries: now, or the account's last entry time if that is later (another
    /// node's clock ahead of ours), so an account's entry times never go backwards and map to sequences by binary search.
    /// </summary>
    public DateTimeOffset EntryTime { get; init; }

    public bool Changed { get; set; }

    /// <summary>While <see cref="BookingRules.Apply"/> works on a transaction: the balances and sequence after its transfers so far.</summary>
    internal bool InWork { get; set; }

    internal AccountBalances WorkingBalances { get; set; }
    internal long WorkingSequence { get; set; }
}

/// <summary>
/// One transfer reduced to its effect: the posted amount moved and the change in pending amount, applied to
/// the debit side of one account and the credit side of the other. A hold is (0, +a); posting it (p, -a);
/// voiding or expiring it (0, -a); a single-phase transfer (a, 0).
/// </summary>
internal sealed record TransferEffect(
    int Index,
    TransferKind Kind,
    string DebitAccountId,
    string CreditAccountId,
    long PostedAmount,
    long PendingAmount,
    string Currency);

internal sealed record PlannedEntry(AccountState Account, long Sequence, int TransferIndex, EntrySide Side, long PostedAmount, long PendingAmount, AccountBalances After)
{
    public string AccountId => Account.Id;
}

/// <summary>The ledger's rules as plain functions: no database, so they are tested directly.</summary>
internal static class BookingRules
{
    /// <summary>The longest a hold may wait for its timeout (the HTTP API's limit too).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(366);

    /// <summary>Checks what can be checked without the accounts: a positive amount and two different accounts.</summary>
    public static void ValidateShape(NewTransfer transfer, int index)
    {
        if (transfer.Amount <= 0)
        {
            throw LedgerProblems.InvalidAmount($"The amount of transfer {index}");
        }

        if (string.Equals(transfer.DebitAccountId, transfer.CreditAccountId, StringComparison.Ordinal))
        {
            throw LedgerProblems.SameAccount(index);
        }

        if (transfer.Timeout is { } timeout && (!transfer.Pending || timeout <= TimeSpan.Zero || timeout > MaxTimeout))
        {
            throw Problems.Validation($"transfers[{index}].timeoutSeconds", "A timeout is between 1 second and 366 days, and only for pending transfers.");
        }
    }

    public static TransferEffect EffectOf(NewTransfer transfer, int index) => transfer.Pending
        ? new TransferEffect(index, TransferKind.Pending, transfer.DebitAccountId, transfer.CreditAccountId, 0, transfer.Amount, transfer.Currency.Code)
        : new TransferEffect(index, TransferKind.Posted, transfer.DebitAccountId, transfer.CreditAccountId, transfer.Amount, 0, transfer.Currency.Code);

    /// <summary>The effect of ending a hold of <paramref name="pendingAmount"/>: post <paramref name="postAmount"/> (all when null), void or expire.</summary>
    public static TransferEffect ResolutionOf(int index, TransferKind kind, string pendingTransferId, string debitAccountId, string creditAccountId,
        long pendingAmount, string currency, long? postAmount)
    {
        if (kind != TransferKind.PostPending)
        {
            return new TransferEffect(index, kind, debitAccountId, creditAccountId, 0, -pendingAmount, currency);
        }

        var posted = postAmount ?? pendingAmount;
        if (posted <= 0)
        {
            throw LedgerProblems.InvalidAmount("The amount to post");
        }

        if (posted > pendingAmount)
        {
            throw LedgerProblems.AmountExceedsPending(pendingTransferId, pendingAmount);
        }

        return new TransferEffect(index, kind, debitAccountId, creditAccountId, posted, -pendingAmount, currency);
    }

    /// <summary>
    /// Applies the transfers in order. Every account must be visible and in the transfer's currency, no balance
    /// may overflow, and no flag limit may be broken after any transfer. On success the accounts' balances and
    /// sequences are advanced and the entries returned; on rejection (a <see cref="ProblemException"/>) no
    /// account is changed.
    /// </summary>
    public static IReadOnlyList<PlannedEntry> Apply(
        IReadOnlyList<TransferEffect> transfers,
        IReadOnlyDictionary<string, AccountState> accounts,
        Func<AccountState, bool> isVisible) => Apply(transfers, accounts, isVisible, default);

    /// <summary>As above, with the accounts visible in <paramref name="scope"/> (no delegate per transaction).</summary>
    public static IReadOnlyList<PlannedEntry> Apply(
        IReadOnlyList<TransferEffect> transfers,
        IReadOnlyDictionary<string, AccountState> accounts,
        LedgerScope scope) => Apply(transfers, accounts, null, scope);

    private static List<PlannedEntry> Apply(
        IReadOnlyList<TransferEffect> transfers,
        IReadOnlyDictionary<string, AccountState> accounts,
        Func<AccountState, bool>? isVisible,
        LedgerScope scope)
    {
        // The accounts' balances as of the transfers applied so far live on the accounts themselves (Working*),
        // so a transaction costs no dictionary; they become the accounts' balances only if every transfer passes.
        var touched = new List<AccountState>(Math.Min(transfers.Count * 2, 16));
        var entries = new List<PlannedEntry>(transfers.Count * 2);
        try
        {
            foreach (var transfer in transfers)
            {
                if (string.Equals(transfer.DebitAccountId, transfer.CreditAccountId, StringComparison.Ordinal))
                {
                    throw LedgerProblems.SameAccount(transfer.Index);
                }

                var debit = Find(accounts, isVisible, scope, transfer.DebitAccountId);
                var credit = Find(accounts, isVisible, scope, transfer.CreditAccountId);
                CheckCurrency(debit, transfer);
                CheckCurrency(credit, transfer);
                entries.Add(Post(debit, EntrySide.Debit, transfer, touched));
                entries.Add(Post(credit, EntrySide.Credit, transfer, touched));
            }

            foreach (var account in touched)
            {
                account.Balances = account.WorkingBalances;
                account.LastSequence = account.WorkingSequence;
                account.Changed = true;
            }

            return entries;
        }
        finally
        {
            foreach (var account in touched)
            {
                account.InWork = false;
            }
        }

        static AccountState Find(IReadOnlyDictionary<string, AccountState> accounts, Func<AccountState, bool>? isVisible, LedgerScope scope, string id)
        {
            if (!accounts.TryGetValue(id, out var account) || !(isVisible?.Invoke(account) ?? scope.CanSee(account.MerchantId)))
            {
                throw LedgerProblems.AccountNotFound(id);
            }

            return account.KeptByObol && isVisible is null && !scope.IncludesPlatformBooks ? throw LedgerProblems.AccountKeptByObol(id) : account;
        }

        static void CheckCurrency(AccountState account, TransferEffect transfer)
        {
            if (!string.Equals(account.Currency, transfer.Currency, StringComparison.Ordinal))
            {
                throw LedgerProblems.CurrencyMismatch(transfer.Index, transfer.Currency, account.Id, account.Currency);
            }
        }

        static PlannedEntry Post(AccountState account, EntrySide side, TransferEffect transfer, List<AccountState> touched)
        {
            if (!account.InWork)
            {
                account.InWork = true;
                account.WorkingBalances = account.Balances;
                account.WorkingSequence = account.LastSequence;
                touched.Add(account);
            }

            AccountBalances after;
            try
            {
                after = account.WorkingBalances.Apply(side, transfer.PostedAmount, transfer.PendingAmount);
                _ = after.Balance(account.Type);
                _ = after.Available(account.Type);
            }
            catch (OverflowException)
            {
                throw LedgerProblems.AmountOverflow($"Transfer {transfer.Index} would take a balance of account '{account.Id}' beyond the largest amount the ledger holds.");
            }

            if (after.Breaks(account.Flags))
            {
                throw LedgerProblems.BalanceLimitExceeded(transfer.Index, account.Id, account.Flags.DebitsMustNotExceedCredits);
            }

            var sequence = account.WorkingSequence + 1;
            account.WorkingBalances = after;
            account.WorkingSequence = sequence;
            return new PlannedEntry(account, sequence, transfer.Index, side, transfer.PostedAmount, transfer.PendingAmount, after);
        }
    }
}
