using Obol.PspSimulator.Requests;

namespace Obol.PspSimulator.Stripe;

/// <summary>Stripe's error envelope <c>{ "error": { type, code, message, param, … } }</c>.</summary>
public sealed class StripeErrors : IPspErrorFormat
{
    public static readonly StripeErrors Instance = new();

    public static PspResponse Error(int status, string type, string? code, string message, string? param = null) =>
        new(status, StripeJson.Serialize(new StripeErrorEnvelope(new StripeErrorBody(type, code, Message: message, Param: param))), Replayable: false);

    public static PspResponse InvalidRequest(string? code, string message, string? param = null) =>
        Error(400, "invalid_request_error", code, message, param);

    /// <summary>A 400 that the endpoint produced while running, which Stripe stores for the idempotency key.</summary>
    public static PspResponse StateError(string code, string message, string? param = null) =>
        Error(400, "invalid_request_error", code, message, param) with { Replayable = true };

    /// <summary>
    /// An amount Stripe cannot take in its currency: <c>invalid_charge_amount_no_decimal_compatible</c> for ISK (the code Stripe
    /// documents), <c>invalid_charge_amount</c> for a three-decimal amount not ending in 0 (the simulator's choice of code).
    /// </summary>
    public static PspResponse InvalidAmount((string Code, string Message) refusal, string param) => InvalidRequest(refusal.Code, refusal.Message, param);

    public static PspResponse Missing(string resource, string id, string param = "id") =>
        InvalidRequest("resource_missing", $"No such {resource}: '{id}'", param) with { StatusCode = 404 };

    public static PspResponse CardNumber(string param) => InvalidRequest(
        "card_number_not_allowed",
        "Sending card numbers directly to the API is not allowed. Use a payment method token such as pm_card_visa.",
        param);

    public PspResponse ServerError() => Error(500, "api_error", null, "An unknown error occurred. (simulated)");

    public PspResponse Unavailable() => Error(503, "api_error", null, "The service is temporarily unavailable. (simulated outage)");

    public PspResponse IdempotencyMismatch() => Error(
        400,
        "idempotency_error",
        null,
        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than the one used on the original request.");

    public PspResponse IdempotencyInProgress() => Error(
        409,
        "idempotency_error",
        "idempotency_key_in_use",
        "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through). Please try again later.");
}
