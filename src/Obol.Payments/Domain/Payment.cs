namespace Obol.Payments.Domain;

internal sealed record Payment
{
    public required string Id { get; init; }
    public required string MerchantId { get; init; }
    public string? IdempotencyKey { get; init; }
    public required long Amount { get; init; }
    public required string Currency { get; init; }
    public required CaptureMethod CaptureMethod { get; init; }
    public required string PaymentMethod { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>
    /// Changes only through <see cref="MoveTo"/>, which consults <see cref="PaymentTransitions"/>. A new payment is
    /// <see cref="PaymentStatus.Pending"/>; one read back from storage is restored with <see cref="Restored"/>.
    /// </summary>
    public PaymentStatus Status { get; private init; }

    public long AmountCapturable { get; init; }
    public long AmountCaptured { get; init; }
    public long AmountRefunded { get; init; }

    /// <summary>Refunds sent to the PSP and not yet settled: reserved so that concurrent refunds cannot exceed the capture.</summary>
    public long AmountRefunding { get; init; }

    public string? Psp { get; init; }
    public string? PspReference { get; init; }
    public PaymentError? LastError { get; init; }

    /// <summary>The ledger's pending transfer holding the authorized amount.</summary>
    public string? LedgerHoldTransferId { get; init; }

    /// <summary>A capture or cancel under way at a PSP; another one waits (409) until it is known.</summary>
    public PaymentOperation? OperationInFlight { get; init; }

    /// <summary>The FX quote that converts this payment into <see cref="SettlementCurrency"/>; null when it settles in its own currency.</summary>
    public string? FxQuoteId { get; init; }

    /// <summary>The quote's rate (the mid rate less the margin).</summary>
    public decimal? FxRate { get; init; }

    public string? SettlementCurrency { get; init; }

    /// <summary>What the captures credited the merchant, in <see cref="SettlementCurrency"/>'s minor units.</summary>
    public long SettlementAmount { get; init; }

    /// <summary>What the refunds took back from the merchant, in <see cref="SettlementCurrency"/>'s minor units.</summary>
    public long SettlementAmountRefunded { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public long AmountRefundable => AmountCaptured - AmountRefunded - AmountRefunding;

    /// <summary>This payment in <paramref name="to"/>, if the transition table allows the move (staying put always is).</summary>
    public Payment MoveTo(PaymentStatus to)
    {
        PaymentTransitions.EnsureCanMove(Status, to);
        return this with { Status = to };
    }

    /// <summary>A payment as storage recorded it, in the status it was stored with.</summary>
    internal static Payment Restored(Payment stored, PaymentStatus status) => stored with { Status = status };
}

public sealed record PaymentError(string Code, string Message);

internal sealed record PaymentAttempt
{
    public required string Id { get; init; }
    public required string PaymentId { get; init; }
    public required string MerchantId { get; init; }
    public required PaymentOperation Operation { get; init; }
    public required string Psp { get; init; }
    public required long Amount { get; init; }
    public string? RefundId { get; init; }

    /// <summary>The Idempotency-Key of the capture or cancel request that began this attempt; asked again, the request continues it.</summary>
    public string? IdempotencyKey { get; init; }
    public required AttemptStatus Status { get; init; }
    public string? PspReference { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public DateTimeOffset? ResolveAfter { get; init; }
    public int ResolveCount { get; init; }

    /// <summary>Its outcome is not known yet: started, unknown, or pending at the PSP.</summary>
    public bool IsOpen => Status is AttemptStatus.Started or AttemptStatus.Unknown or AttemptStatus.Pending;
}

internal sealed record Refund
{
    public required string Id { get; init; }
    public required string PaymentId { get; init; }
    public required string MerchantId { get; init; }
    public required long Amount { get; init; }
    public required string Currency { get; init; }
    public required RefundStatus Status { get; init; }
    public string? Reason { get; init; }
    public string? PspReference { get; init; }
    public PaymentError? LastError { get; init; }

    /// <summary>For a converted payment, once refunded: what it took back from the merchant in the payment's settlement currency.</summary>
    public long? SettlementAmount { get; init; }

    public string? SettlementCurrency { get; init; }

    /// <summary>The day's mid rate the refund's cost was valued at.</summary>
    public decimal? FxRate { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

internal sealed record PaymentEvent
{
    public required string Id { get; init; }
    public required string PaymentId { get; init; }
    public required long Sequence { get; init; }
    public required string Type { get; init; }
    public PaymentStatus? FromStatus { get; init; }
    public PaymentStatus? ToStatus { get; init; }
    public required EventSource Source { get; init; }
    public string? Data { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
