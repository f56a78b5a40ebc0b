using Obol.Payments.Domain;

namespace Obol.Payments.Processing;

/// <summary>What the payments core is asked to charge; the in-process API other modules (scheduling) call too.</summary>
public sealed record CreatePaymentCommand(
    string MerchantId,
    string IdempotencyKey,
    long Amount,
    string Currency,
    CaptureMethod CaptureMethod,
    string PaymentMethod,
    string? Description,
    IReadOnlyDictionary<string, string> Metadata,
    string? FxQuote = null);

/// <summary>Runs inside the unit of work that records a request's final outcome (stores the idempotent response).</summary>
internal delegate Task CompleteRequest<in T>(Core.Storage.DbSession session, T result);
