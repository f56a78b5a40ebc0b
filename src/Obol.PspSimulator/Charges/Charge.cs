using System.Collections.Immutable;

namespace Obol.PspSimulator.Charges;

public enum ChargeStatus
{
    /// <summary>Authorised, waiting for a manual capture.</summary>
    Authorized,

    /// <summary>Accepted, outcome follows later (bank transfer).</summary>
    Pending,
    Captured,
    Canceled,
    Declined,
}

public enum MovementKind
{
    Capture,
    Refund,
}

/// <summary>
/// Money that moved: a capture or a refund, each with its own PSP id, and the merchant reference, metadata and
/// idempotency key of the request that moved it (for a capture at creation or a settling bank transfer: those of
/// the payment request).
/// </summary>
public sealed record Movement(
    string Id,
    MovementKind Kind,
    long Amount,
    DateTimeOffset At,
    string? Reference,
    string? Reason = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? IdempotencyKey = null);

public sealed record Decline(string Code, string Message);

/// <summary>One payment the simulator holds, in PSP-neutral terms; each dialect renders it its own way.</summary>
public sealed record Charge
{
    public required Psp Psp { get; init; }

    /// <summary>Stripe PaymentIntent id or Adyen payment pspReference.</summary>
    public required string Id { get; init; }

    /// <summary>Stripe charge id (<c>ch_…</c>); the pspReference again for Adyen.</summary>
    public required string ChargeId { get; init; }

    /// <summary>The merchant's reference: Adyen <c>reference</c>, Stripe <c>metadata[reference]</c>.</summary>
    public string? Reference { get; init; }
    public required long Amount { get; init; }

    /// <summary>Upper-case ISO 4217 code.</summary>
    public required string Currency { get; init; }
    public required ChargeStatus Status { get; init; }
    public required bool ManualCapture { get; init; }
    public required string PaymentMethod { get; init; }
    public string? MerchantAccount { get; init; }
    public string? Description { get; init; }
    public ImmutableSortedDictionary<string, string> Metadata { get; init; } = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>The payment request's <c>Idempotency-Key</c>, if it had one.</summary>
    public string? IdempotencyKey { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? CanceledAt { get; init; }
    public string? CancellationReason { get; init; }
    public Decline? Decline { get; init; }
    public ImmutableList<Movement> Movements { get; init; } = [];

    public long AmountCaptured => Movements.Where(m => m.Kind == MovementKind.Capture).Sum(m => m.Amount);
    public long AmountRefunded => Movements.Where(m => m.Kind == MovementKind.Refund).Sum(m => m.Amount);
    public long AmountCapturable => Status == ChargeStatus.Authorized ? Amount : 0;
    public long AmountRefundable => AmountCaptured - AmountRefunded;
}
