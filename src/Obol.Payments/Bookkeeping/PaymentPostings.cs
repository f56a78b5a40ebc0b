using System.Collections.Concurrent;
using Obol.Core;
using Obol.Core.Storage;
using Obol.Fx.Quotes;
using Obol.Ledger;
using Obol.Payments.Domain;

namespace Obol.Payments.Bookkeeping;

/// <summary>
/// What each payment outcome books, in the same unit of work as the outcome itself. Money the PSP owes us for
/// the merchant is <c>psp_receivable</c> (asset) against <c>merchant_payable</c> (liability):
/// authorization holds it as a pending transfer, capture posts the hold (the rest released), an automatic
/// capture posts directly, cancel voids the hold, a refund moves it back. Each booking's external id is the PSP
/// attempt id, so no outcome can be booked twice. Fees are booked when settlement reports them.
/// Capture, release and refund are booked as the unit of work's last step (<see cref="DbSession.BeforeCommit"/>):
/// every payment of a merchant books against the same two accounts, so their row locks are taken last and held
/// only through the booking and the commit. The authorization hold is booked inline: its transfer id goes on the payment.
/// </summary>
internal sealed class PaymentPostings(ILedger ledger, TimeProvider clock)
{
    /// <summary>Holds for a card authorization last as long as the networks keep them (7 days is typical).</summary>
    private static readonly TimeSpan AuthorizationHold = TimeSpan.FromDays(7);

    private readonly ConcurrentDictionary<(string MerchantId, string Code, string Currency), string> _platformAccounts = new();

    public async Task<string> HoldAuthorizationAsync(DbSession session, Payment payment, PaymentAttempt attempt)
    {
        var (receivable, payable) = await AccountsAsync(session, payment);
        var booked = await ledger.CreateTransactionAsync(session, payment.MerchantId, new NewTransaction(
            [new NewTransfer(receivable, payable, payment.Amount, Currency.FromCode(payment.Currency)) { Pending = true, Timeout = AuthorizationHold }])
        {
            ExternalId = attempt.Id,
            Description = $"Authorization of {payment.Id}",
            Metadata = Metadata(payment, attempt),
        });
        return booked.Transaction.Transfers.Single().Id;
    }

    /// <summary>Books a capture; a converted payment's capture also converts it into the settlement currency (<see cref="BookConversionAsync"/>).</summary>
    public void Capture(DbSession session, Payment payment, PaymentAttempt attempt, long amount, FxSettlement? conversion) =>
        session.BeforeCommit(async () =>
        {
            await BookCaptureAsync(session, payment, attempt, amount);
            if (conversion is not null)
            {
                await BookConversionAsync(session, payment, attempt, CaptureConversion(conversion));
            }
        });

    public void Release(DbSession session, Payment payment, PaymentAttempt attempt) =>
        session.BeforeCommit(() => BookReleaseAsync(session, payment, attempt));

    /// <summary>Books a refund; for a converted payment the settlement currency is converted back first.</summary>
    public void Refund(DbSession session, Payment payment, PaymentAttempt attempt, RefundConversion? conversion) =>
        session.BeforeCommit(async () =>
        {
            if (conversion is not null)
            {
                await BookConversionAsync(session, payment, attempt, RefundConversionLegs(conversion));
            }

            await BookRefundAsync(session, payment, attempt);
        });

    /// <summary>
    /// Undoes what <paramref name="attempt"/> booked (a capture or a refund the PSP later reported as failed) with a
    /// reversing transaction. Like the bookings it undoes, it runs as the unit of work's last step, after a booking of
    /// the same attempt made earlier in it; a transaction that is reversed already (by hand) is left as it is.
    /// </summary>
    public void Reverse(DbSession session, Payment payment, PaymentAttempt attempt, string reason) =>
        session.BeforeCommit(async () =>
        {
            var booked = await ledger.GetTransactionByExternalIdAsync(session, payment.MerchantId, attempt.Id)
                ?? throw new InvalidOperationException($"Attempt {attempt.Id} of {payment.Id} succeeded but booked nothing to reverse.");
            await ReverseUnlessReversedAsync(session, payment, attempt, booked, "reversal:" + attempt.Id, reason);
            if (await ledger.GetTransactionByExternalIdAsync(session, payment.MerchantId, ConversionId(attempt)) is { } conversion)
            {
                await ReverseUnlessReversedAsync(session, payment, attempt, conversion, "reversal:" + ConversionId(attempt), reason);
            }
        });

    private async Task ReverseUnlessReversedAsync(DbSession session, Payment payment, PaymentAttempt attempt, LedgerTransaction booked, string externalId, string reason)
    {
        if (booked.ReversedByTransactionId is null)
        {
            await ledger.ReverseTransactionAsync(session, payment.MerchantId, booked.Id, new TransferResolution
            {
                ExternalId = externalId,
                Description = $"{reason} ({payment.Id})",
                Metadata = Metadata(payment, attempt),
            });
        }
    }

    /// <summary>The external id of the conversion booked with an attempt's capture or refund.</summary>
    private static string ConversionId(PaymentAttempt attempt) => "fx:" + attempt.Id;

    /// <summary>One leg of a conversion: an amount from one account (code) to another, in one currency.</summary>
    private sealed record ConversionLeg(string DebitCode, string CreditCode, Money Amount);

    /// <summary>
    /// A capture's conversion: the captured amount leaves the merchant's payable in the payment's currency for the FX
    /// position; in the settlement currency the position pays the merchant the net amount and FX revenue the margin.
    /// </summary>
    private static IEnumerable<ConversionLeg> CaptureConversion(FxSettlement conversion) =>
    [
        new("merchant_payable", "fx_position", conversion.Amount),
        new("fx_position", "merchant_payable", conversion.Net),
        new("fx_position", "fx_revenue", conversion.Margin),
    ];

    /// <summary>
    /// A refund's conversion back: the merchant gives back its share in the settlement currency to the FX position, which
    /// funds the refunded amount in the payment's currency; the gap between the share and the refund's cost at the day's
    /// rate is the platform's FX gain or loss.
    /// </summary>
    private static IEnumerable<ConversionLeg> RefundConversionLegs(RefundConversion conversion)
    {
        yield return new("fx_position", "merchant_payable", conversion.Refunded);
        yield return new("merchant_payable", "fx_position", conversion.FromMerchant);
        var gain = conversion.GainOrLoss;
        yield return gain.IsNegative ? new("fx_gain_loss", "fx_position", -gain) : new("fx_position", "fx_gain_loss", gain);
    }

    /// <summary>One transaction, balanced in each currency (every leg is); legs of zero (a margin that rounds away) are left out.</summary>
    private async Task BookConversionAsync(DbSession session, Payment payment, PaymentAttempt attempt, IEnumerable<ConversionLeg> legs)
    {
        var transfers = new List<NewTransfer>();
        foreach (var leg in legs.Where(l => !l.Amount.IsZero))
        {
            var debit = await PlatformAccountAsync(session, payment.MerchantId, leg.DebitCode, leg.Amount.Currency.Code);
            var credit = await PlatformAccountAsync(session, payment.MerchantId, leg.CreditCode, leg.Amount.Currency.Code);
            transfers.Add(new NewTransfer(debit, credit, leg.Amount.MinorUnits, leg.Amount.Currency));
        }

        await ledger.CreateTransactionAsync(session, payment.MerchantId, new NewTransaction(transfers)
        {
            ExternalId = ConversionId(attempt),
            Description = $"FX conversion for {(attempt.RefundId is { } refundId ? $"refund {refundId}" : "capture")} of {payment.Id}",
            Metadata = Metadata(payment, attempt),
        });
    }

    private async Task BookCaptureAsync(DbSession session, Payment payment, PaymentAttempt attempt, long amount)
    {
        var details = new TransferResolution { ExternalId = attempt.Id, Description = $"Capture of {payment.Id}", Metadata = Metadata(payment, attempt) };
        if (payment.LedgerHoldTransferId is { } hold && await HoldIsOpenAsync(session, payment.MerchantId, hold))
        {
            await ledger.PostPendingTransferAsync(session, payment.MerchantId, hold, amount, details);
            return;
        }

        // No hold, or one that has expired (a capture days after the authorization, which some schemes allow): the
        // PSP has the money all the same, so it is booked directly; the expired hold was (or will be) released on its own.

        var (receivable, payable) = await AccountsAsync(session, payment);
        await ledger.CreateTransactionAsync(session, payment.MerchantId, new NewTransaction(
            [new NewTransfer(receivable, payable, amount, Currency.FromCode(payment.Currency))])
        {
            ExternalId = details.ExternalId,
            Description = details.Description,
            Metadata = details.Metadata,
        });
    }

    private async Task BookReleaseAsync(DbSession session, Payment payment, PaymentAttempt attempt)
    {
        // An expired hold has released its amount already (or will when the sweep reaches it); there is nothing to void.
        if (payment.LedgerHoldTransferId is { } hold && await HoldIsOpenAsync(session, payment.MerchantId, hold))
        {
            await ledger.VoidPendingTransferAsync(session, payment.MerchantId, hold,
                new TransferResolution { ExternalId = attempt.Id, Description = $"Cancellation of {payment.Id}", Metadata = Metadata(payment, attempt) });
        }
    }

    /// <summary>Still pending and not past its timeout: a hold past it can be neither posted nor voided, only expired.</summary>
    private async Task<bool> HoldIsOpenAsync(DbSession session, string merchantId, string holdTransferId) =>
        await ledger.GetTransferAsync(session, merchantId, holdTransferId) is { Status: TransferStatus.Pending } hold
        && (hold.ExpiresAt is not { } expiresAt || expiresAt > clock.GetUtcNow());

    private async Task BookRefundAsync(DbSession session, Payment payment, PaymentAttempt attempt)
    {
        var (receivable, payable) = await AccountsAsync(session, payment);
        await ledger.CreateTransactionAsync(session, payment.MerchantId, new NewTransaction(
            [new NewTransfer(payable, receivable, attempt.Amount, Currency.FromCode(payment.Currency))])
        {
            ExternalId = attempt.Id,
            Description = $"Refund {attempt.RefundId} of {payment.Id}",
            Metadata = Metadata(payment, attempt),
        });
    }

    private async Task<(string Receivable, string Payable)> AccountsAsync(DbSession session, Payment payment)
    {
        var receivable = await PlatformAccountAsync(session, payment.MerchantId, "psp_receivable", payment.Currency);
        var payable = await PlatformAccountAsync(session, payment.MerchantId, "merchant_payable", payment.Currency);
        return (receivable, payable);
    }

    /// <summary>
    /// A platform account's id never changes once it exists (accounts are never deleted), so it is remembered, but
    /// only once the unit of work that found or created it has committed.
    /// </summary>
    private async Task<string> PlatformAccountAsync(DbSession session, string merchantId, string code, string currency)
    {
        var key = (merchantId, code, currency);
        if (_platformAccounts.TryGetValue(key, out var id))
        {
            return id;
        }

        var account = await ledger.GetOrCreatePlatformAccountAsync(session, merchantId, code, Currency.FromCode(currency));
        session.AfterCommit(() =>
        {
            _platformAccounts.TryAdd(key, account.Id);
            return Task.CompletedTask;
        });
        return account.Id;
    }

    private static Dictionary<string, string> Metadata(Payment payment, PaymentAttempt attempt) => new(StringComparer.Ordinal)
    {
        ["payment_id"] = payment.Id,
        ["attempt_id"] = attempt.Id,
        ["psp"] = attempt.Psp,
    };
}
