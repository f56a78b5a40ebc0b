using Obol.Payments.Domain;

namespace Obol.Payments.Api;

public sealed record CreatePaymentRequest(
    long? Amount,
    string? Currency,
    string? PaymentMethod,
    CaptureMethod? CaptureMethod,
    string? Description,
    Dictionary<string, string>? Metadata,
    string? FxQuote = null);

public sealed record CaptureRequest(long? Amount);

public sealed record CreateRefundRequest(long? Amount, string? Reason);

public sealed record ErrorResponse(string Code, string Message);

public sealed record PaymentResponse(
    string Id,
    PaymentStatus Status,
    long Amount,
    string Currency,
    CaptureMethod CaptureMethod,
    long AmountCapturable,
    long AmountCaptured,
    long AmountRefunded,
    string? Psp,
    string? PspReference,
    ErrorResponse? LastError,
    string? Description,
    IReadOnlyDictionary<string, string> Metadata,
    SettlementResponse? Settlement,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    internal static PaymentResponse From(Payment p) => new(
        p.Id, p.Status, p.Amount, p.Currency, p.CaptureMethod, p.AmountCapturable, p.AmountCaptured, p.AmountRefunded,
        p.Psp, p.PspReference, p.LastError is { } e ? new ErrorResponse(e.Code, e.Message) : null, p.Description, p.Metadata,
        p.SettlementCurrency is { } currency ? new SettlementResponse(currency, p.SettlementAmount, p.SettlementAmountRefunded, p.FxQuoteId!, p.FxRate!.Value) : null,
        p.CreatedAt, p.UpdatedAt);
}

/// <summary>
/// A payment converted into the merchant's settlement currency: what its captures credited and its refunds took back, in
/// that currency's minor units, at the quote's rate (the mid rate less the margin).
/// </summary>
public sealed record SettlementResponse(string Currency, long Amount, long AmountRefunded, string FxQuote, decimal FxRate);

public sealed record RefundResponse(
    string Id,
    string PaymentId,
    long Amount,
    string Currency,
    RefundStatus Status,
    string? Reason,
    ErrorResponse? LastError,
    RefundSettlementResponse? Settlement,
    DateTimeOffset CreatedAt)
{
    internal static RefundResponse From(Refund r) => new(
        r.Id, r.PaymentId, r.Amount, r.Currency, r.Status, r.Reason, r.LastError is { } e ? new ErrorResponse(e.Code, e.Message) : null,
        r.SettlementAmount is { } amount && r.SettlementCurrency is { } currency ? new RefundSettlementResponse(currency, amount, r.FxRate!.Value) : null,
        r.CreatedAt);
}

/// <summary>A refund of a converted payment: what it took back from the merchant in the settlement currency, and the day's mid rate its cost was valued at.</summary>
public sealed record RefundSettlementResponse(string Currency, long Amount, decimal DayRate);

public sealed record PaymentEventResponse(
    string Id,
    long Sequence,
    string Type,
    PaymentStatus? FromStatus,
    PaymentStatus? ToStatus,
    EventSource Source,
    System.Text.Json.JsonElement? Data,
    DateTimeOffset CreatedAt)
{
    internal static PaymentEventResponse From(PaymentEvent e) => new(
        e.Id, e.Sequence, e.Type, e.FromStatus, e.ToStatus, e.Source,
        e.Data is null ? null : System.Text.Json.JsonDocument.Parse(e.Data).RootElement.Clone(), e.CreatedAt);
}
