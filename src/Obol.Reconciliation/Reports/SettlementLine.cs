namespace Obol.Reconciliation.Reports;

internal enum SettlementLineKind
{
    /// <summary>Money the PSP collected for a payment (a capture, or a bank transfer that completed).</summary>
    Capture,

    /// <summary>Money the PSP paid back to the customer.</summary>
    Refund,

    /// <summary>A row of a kind Obol does not book automatically (payouts, chargebacks, adjustments, converted currency).</summary>
    Other,
}

/// <summary>A row the PSP paid out in another currency than the payment's: that currency and the gross in its minor units.</summary>
internal sealed record ConvertedSettlement(string Currency, long Gross);

/// <summary>
/// One row of a PSP's settlement report, in Obol's terms: amounts in minor units, <see cref="Gross"/> always
/// positive (the kind says which way it went), <see cref="Fee"/> what the PSP kept (negative: a fee it gave back).
/// </summary>
internal sealed record SettlementLine
{
    /// <summary>1-based row number in the report, after the header.</summary>
    public required int LineNumber { get; init; }

    /// <summary>The PSP's id for this row, stable across reports (Stripe balance transaction id; Adyen modification reference and type).</summary>
    public required string LineId { get; init; }

    public required SettlementLineKind Kind { get; init; }

    /// <summary>The PSP's own reference for the payment (Stripe payment intent, Adyen PSP reference).</summary>
    public string? PaymentReference { get; init; }

    /// <summary>The PSP's reference for this movement (Stripe charge or refund id, Adyen modification reference).</summary>
    public string? MovementReference { get; init; }

    /// <summary>The reference Obol sent with the payment: its payment id.</summary>
    public string? MerchantReference { get; init; }

    /// <summary>What moved, in the payment's (presentment) currency <see cref="Currency"/>.</summary>
    public required long Gross { get; init; }

    /// <summary>In <see cref="Converted"/>'s currency when the PSP paid the row out in another currency, else in <see cref="Currency"/>.</summary>
    public required long Fee { get; init; }

    public required string Currency { get; init; }

    /// <summary>The PSP converted the row: the currency it paid out in and the gross (before its fee) in that currency.</summary>
    public ConvertedSettlement? Converted { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>Why a row is <see cref="SettlementLineKind.Other"/>.</summary>
    public string? Note { get; init; }
}
