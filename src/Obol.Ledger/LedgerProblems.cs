using Obol.Core.Errors;

namespace Obol.Ledger;

/// <summary>The ledger's rejections, each with its stable code. A rejected booking changes nothing.</summary>
public static class LedgerProblems
{
    public static ProblemException SameAccount(int index) =>
        new(400, "same_account", "Same account on both sides", $"Transfer {index} debits and credits the same account.");

    public static ProblemException InvalidAmount(string what) =>
        new(400, "invalid_amount", "Invalid amount", $"{what} must be a whole number of minor units greater than zero.");

    public static ProblemException AmountOverflow(string detail) =>
        new(422, "amount_overflow", "Amount overflow", detail);

    public static ProblemException CurrencyMismatch(int index, string transferCurrency, string accountId, string accountCurrency) =>
        new(422, "currency_mismatch", "Currency mismatch",
            $"Transfer {index} is in {transferCurrency} but account '{accountId}' is in {accountCurrency}.");

    public static ProblemException AccountNotFound(string accountId) =>
        new(422, "account_not_found", "Account not found", $"No ledger account with id '{accountId}'.");

    public static ProblemException AccountKeptByObol(string accountId) =>
        new(403, "account_kept_by_obol", "Account kept by Obol",
            $"Ledger account '{accountId}' is kept by Obol's payments, payouts or reconciliation: it can be read, but only they book into it.");

    public static ProblemException BalanceLimitExceeded(int index, string accountId, bool debits) =>
        new(422, "balance_limit_exceeded", "Balance limit exceeded", debits
            ? $"Transfer {index} would make the debits of account '{accountId}' (posted and pending) exceed its posted credits."
            : $"Transfer {index} would make the credits of account '{accountId}' (posted and pending) exceed its posted debits.");

    public static ProblemException TransferNotPending(string transferId) =>
        new(409, "transfer_not_pending", "Transfer not pending", $"Transfer '{transferId}' is not a pending transfer.");

    public static ProblemException TransferAlreadyPosted(string transferId) =>
        new(409, "transfer_already_posted", "Transfer already posted", $"Pending transfer '{transferId}' has already been posted.");

    public static ProblemException TransferAlreadyVoided(string transferId) =>
        new(409, "transfer_already_voided", "Transfer already voided", $"Pending transfer '{transferId}' has already been voided.");

    public static ProblemException TransferExpired(string transferId) =>
        new(409, "transfer_expired", "Transfer expired", $"Pending transfer '{transferId}' has passed its timeout; its hold is released.");

    public static ProblemException AmountExceedsPending(string transferId, long pending) =>
        new(422, "amount_exceeds_pending", "Amount exceeds pending amount", $"Pending transfer '{transferId}' holds {pending}; no more can be posted.");

    public static ProblemException TransactionAlreadyReversed(string transactionId) =>
        new(409, "transaction_already_reversed", "Transaction already reversed", $"Transaction '{transactionId}' has already been reversed.");

    public static ProblemException TransactionNotReversible(string transactionId, string why) =>
        new(409, "transaction_not_reversible", "Transaction cannot be reversed", $"Transaction '{transactionId}' {why}");

    public static ProblemException ExternalIdReused(string externalId) =>
        new(409, "external_id_reused", "External id reused",
            $"A different transaction was already booked with external id '{externalId}'. Use a new external id for a new transaction.");

    public static ProblemException AccountCodeTaken(string code) =>
        new(409, "account_code_taken", "Account code taken", $"An account with code '{code}' already exists.");

    public static ProblemException NoTransfers() =>
        Problems.Validation("transfers", "A transaction needs at least one transfer.");
}
