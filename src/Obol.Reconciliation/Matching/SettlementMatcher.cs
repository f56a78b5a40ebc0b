using Obol.Core.CardNumbers;
using Obol.Payments.Settlements;
using Obol.Reconciliation.Reports;

namespace Obol.Reconciliation.Matching;

/// <summary>What a run made of a report row: <see cref="Matched"/>, or one of the discrepancy codes.</summary>
internal static class LineOutcomes
{
    public const string Matched = "matched";

    /// <summary>Booked by an earlier run; the same row again changes nothing.</summary>
    public const string AlreadyReconciled = "already_reconciled";

    public const string UnsupportedRow = "unsupported_row";
    public const string UnknownPayment = "unknown_payment";
    public const string PspMismatch = "psp_mismatch";
    public const string CurrencyMismatch = "currency_mismatch";
    public const string NotCapturedInObol = "not_captured_in_obol";
    public const string UnknownRefund = "unknown_refund";
    public const string RefundNotSucceededInObol = "refund_not_succeeded_in_obol";
    public const string AmountMismatch = "amount_mismatch";

    /// <summary>
    /// A converted row, matched and booked, whose payout amount is further from Obol's rate than the tolerance allows: the PSP's
    /// rate or margin is not what was expected.
    /// </summary>
    public const string FxRateDifference = "fx_rate_difference";

    /// <summary>A row booked earlier comes back with other amounts: the PSP changed a settled row.</summary>
    public const string LineChanged = "line_changed";

    /// <summary>Another row already settled this capture or refund.</summary>
    public const string AlreadySettled = "already_settled";

    /// <summary>The ledger refused the booking.</summary>
    public const string BookingRejected = "booking_rejected";

    /// <summary>Not a row: a capture or refund Obol recorded on the report's day that no report has shown.</summary>
    public const string MissingFromReport = "missing_from_report";

    /// <summary>Not a report row: a PSP webhook that contradicted Obol and could not be applied, recorded on the payment.</summary>
    public const string PspReportUnapplied = "psp_report_unapplied";
}

/// <summary>The outcome for one row, with the payment (and refund) it is about when known.</summary>
internal sealed record LineMatch(string Outcome, SettlementPayment? Payment = null, SettlementRefund? Refund = null, long? ExpectedAmount = null, string? Detail = null)
{
    public bool IsMatched => Outcome == LineOutcomes.Matched;
}

/// <summary>
/// Matches a settlement row to what Obol recorded. Pure: only a row whose payment, currency, status and amount all
/// agree is <see cref="LineOutcomes.Matched"/> (and booked); anything else is a discrepancy for a person to look at,
/// and nothing is booked for it.
/// </summary>
internal static class SettlementMatcher
{
    /// <summary>The row's payment: by the PSP's reference for it on that PSP, else by the reference Obol sent (its payment id).</summary>
    public static SettlementPayment? PaymentFor(SettlementLine line, string psp, IReadOnlyList<SettlementPayment> candidates) =>
        (line.PaymentReference is { } reference
            ? candidates.FirstOrDefault(p => p.Psp == psp && p.PspReference == reference)
            : null)
        ?? (line.MerchantReference is { } id ? candidates.FirstOrDefault(p => p.Id == id) : null);

    public static LineMatch Match(SettlementLine line, string psp, SettlementPayment? payment)
    {
        if (line.Kind == SettlementLineKind.Other)
        {
            return new LineMatch(LineOutcomes.UnsupportedRow, payment, Detail: line.Note);
        }

        if (payment is null)
        {
            return new LineMatch(LineOutcomes.UnknownPayment,
                Detail: $"No payment has {psp} reference '{CardNumberDetector.Masked(line.PaymentReference)}' or id '{CardNumberDetector.Masked(line.MerchantReference)}'.");
        }

        if (payment.Psp != psp)
        {
            return new LineMatch(LineOutcomes.PspMismatch, payment, Detail: $"Obol sent the payment to {payment.Psp ?? "no PSP"}, not {psp}.");
        }

        if (payment.Currency != line.Currency)
        {
            return new LineMatch(LineOutcomes.CurrencyMismatch, payment, Detail: $"The payment is in {payment.Currency}, the row in {line.Currency}.");
        }

        if (line.Kind == SettlementLineKind.Capture)
        {
            if (!payment.IsCaptured)
            {
                return new LineMatch(LineOutcomes.NotCapturedInObol, payment, ExpectedAmount: 0,
                    Detail: $"The PSP settled a capture; Obol has the payment {payment.Status}.");
            }

            return line.Gross == payment.AmountCaptured
                ? new LineMatch(LineOutcomes.Matched, payment)
                : new LineMatch(LineOutcomes.AmountMismatch, payment, ExpectedAmount: payment.AmountCaptured,
                    Detail: $"Obol captured {payment.AmountCaptured}, the PSP settled {line.Gross}.");
        }

        var refund = payment.Refunds.FirstOrDefault(r => r.PspReference is not null && r.PspReference == line.MovementReference);
        if (refund is null)
        {
            return new LineMatch(LineOutcomes.UnknownRefund, payment,
                Detail: $"The payment has no refund with {psp} reference '{CardNumberDetector.Masked(line.MovementReference)}'.");
        }

        if (!refund.Succeeded)
        {
            return new LineMatch(LineOutcomes.RefundNotSucceededInObol, payment, refund, 0,
                $"The PSP settled the refund; Obol has it {refund.Status}.");
        }

        return line.Gross == refund.Amount
            ? new LineMatch(LineOutcomes.Matched, payment, refund)
            : new LineMatch(LineOutcomes.AmountMismatch, payment, refund, refund.Amount,
                $"Obol refunded {refund.Amount}, the PSP settled {line.Gross}.");
    }
}
