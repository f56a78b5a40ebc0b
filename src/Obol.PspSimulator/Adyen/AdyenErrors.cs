using Obol.PspSimulator.Requests;

namespace Obol.PspSimulator.Adyen;

/// <summary>Adyen's service error <c>{ status, errorCode, message, errorType }</c>.</summary>
public sealed class AdyenErrors : IPspErrorFormat
{
    public static readonly AdyenErrors Instance = new();

    public static PspResponse Error(int status, string errorCode, string message, string errorType = "validation") =>
        new(status, AdyenJson.Serialize(new AdyenServiceError(status, errorCode, message, errorType)), Replayable: false);

    public static PspResponse Validation(string errorCode, string message) => Error(422, errorCode, message);

    public static PspResponse Unauthorized() => Error(401, "000", "HTTP Status Response - Unauthorized", "security");

    public static PspResponse CardNumber() =>
        Validation("010", "Not allowed: raw card numbers are not accepted; use storedPaymentMethodId with a token such as pm_card_visa.");

    public PspResponse ServerError() => Error(500, "000", "Internal error (simulated)", "internal");

    public PspResponse Unavailable() => Error(503, "000", "Service unavailable (simulated outage)", "internal");

    public PspResponse IdempotencyMismatch() =>
        Validation("704", "Request with this Idempotency-Key was already processed with a different request body.");

    public PspResponse IdempotencyInProgress() =>
        Validation("704", "Request already processed or in progress.");
}
