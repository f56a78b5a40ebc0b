using System.Text.Json;
using System.Text.Json.Serialization;
using Obol.PspSimulator.Charges;

namespace Obol.PspSimulator.Stripe;

// Stripe's JSON object shapes, snake_case on the wire. Each object carries every field Stripe's OpenAPI spec marks
// required for it (as the stripe library's declarations show them); what the simulator does not model is null, as Stripe
// sends a required field that does not apply.
#pragma warning disable CA1720 // "object" is Stripe's field name.

public sealed record StripePaymentIntent(
    string Id,
    string Object,
    long Amount,
    long AmountCapturable,
    long AmountReceived,
    long? CanceledAt,
    string? CancellationReason,
    string CaptureMethod,
    string ClientSecret,
    string ConfirmationMethod,
    long Created,
    string Currency,
    string? Description,
    StripeErrorBody? LastPaymentError,
    object? LatestCharge,
    bool Livemode,
    IReadOnlyDictionary<string, string> Metadata,
    object? NextAction,
    string? PaymentMethod,
    IReadOnlyList<string> PaymentMethodTypes,
    string Status)
{
    public object? AllowedPaymentMethodTypes { get; init; }
    public object? Application { get; init; }
    public long? ApplicationFeeAmount { get; init; }
    public object? AutomaticPaymentMethods { get; init; }
    public string? Customer { get; init; }
    public string? CustomerAccount { get; init; }
    public object? ExcludedPaymentMethodTypes { get; init; }
    public object? ManagedPayments { get; init; }
    public string? OnBehalfOf { get; init; }
    public object? PaymentMethodConfigurationDetails { get; init; }
    public object? PaymentMethodOptions { get; init; }
    public string? PaymentRecord { get; init; }
    public object? Processing { get; init; }
    public string? ReceiptEmail { get; init; }
    public string? Review { get; init; }
    public string? SetupFutureUsage { get; init; }
    public object? Shipping { get; init; }
    public object? Source { get; init; }
    public string? StatementDescriptor { get; init; }
    public string? StatementDescriptorSuffix { get; init; }
    public string? TransferGroup { get; init; }
}

public sealed record StripeCharge(
    string Id,
    string Object,
    long Amount,
    long AmountCaptured,
    long AmountRefunded,
    StripeBillingDetails BillingDetails,
    bool Captured,
    long Created,
    string Currency,
    string? Description,
    bool Disputed,
    string? FailureCode,
    string? FailureMessage,
    bool Livemode,
    IReadOnlyDictionary<string, string> Metadata,
    bool Paid,
    string PaymentIntent,
    string? PaymentMethod,
    bool Refunded,
    string Status)
{
    public string? Application { get; init; }
    public string? ApplicationFee { get; init; }
    public long? ApplicationFeeAmount { get; init; }
    public string? BalanceTransaction { get; init; }
    public string? CalculatedStatementDescriptor { get; init; }
    public string? Customer { get; init; }
    public string? FailureBalanceTransaction { get; init; }
    public object? FraudDetails { get; init; }
    public string? OnBehalfOf { get; init; }
    public object? Outcome { get; init; }
    public object? PaymentMethodDetails { get; init; }
    public string? ReceiptEmail { get; init; }
    public string? ReceiptNumber { get; init; }
    public string? ReceiptUrl { get; init; }
    public string? Review { get; init; }
    public object? Shipping { get; init; }
    public object? Source { get; init; }
    public string? SourceTransfer { get; init; }
    public string? StatementDescriptor { get; init; }
    public string? StatementDescriptorSuffix { get; init; }
    public object? TransferData { get; init; }
    public string? TransferGroup { get; init; }
}

/// <summary>A charge's <c>billing_details</c>: the simulator's payment method tokens carry none, so every field is null.</summary>
public sealed record StripeBillingDetails(StripeAddress Address, string? Email, string? Name, string? Phone, string? TaxId)
{
    public static readonly StripeBillingDetails None = new(StripeAddress.None, null, null, null, null);
}

public sealed record StripeAddress(string? City, string? Country, string? Line1, string? Line2, string? PostalCode, string? State)
{
    public static readonly StripeAddress None = new(null, null, null, null, null, null);
}

public sealed record StripeRefund(
    string Id,
    string Object,
    long Amount,
    string Charge,
    long Created,
    string Currency,
    IReadOnlyDictionary<string, string> Metadata,
    string PaymentIntent,
    string? PaymentMethod,
    string? Reason,
    string Status)
{
    public string? Application { get; init; }
    public string? BalanceTransaction { get; init; }
    public string? Customer { get; init; }
    public string? CustomerAccount { get; init; }
    public string? ReceiptNumber { get; init; }
    public string? SourceTransferReversal { get; init; }
    public string? TransferReversal { get; init; }
}

/// <summary>Stripe's error object: <c>type</c> always, every other field only when it applies (Stripe omits it, never null).</summary>
public sealed record StripeErrorBody(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Code = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DeclineCode = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Param = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Charge = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DocUrl = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] StripePaymentIntent? PaymentIntent = null);

public sealed record StripeErrorEnvelope(StripeErrorBody Error);

public sealed record StripeSearchResult<T>(string Object, IReadOnlyList<T> Data, bool HasMore, string? NextPage, string Url);

public sealed record StripeEventData(object Object);

public sealed record StripeEventRequest(string? Id, string? IdempotencyKey);

public sealed record StripeEvent(
    string Id,
    string Object,
    string ApiVersion,
    long Created,
    StripeEventData Data,
    bool Livemode,
    long PendingWebhooks,
    StripeEventRequest Request,
    string Type);

#pragma warning restore CA1720

public static class StripeJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static string Status(ChargeStatus status) => status switch
    {
        ChargeStatus.Authorized => "requires_capture",
        ChargeStatus.Pending => "processing",
        ChargeStatus.Captured => "succeeded",
        ChargeStatus.Canceled => "canceled",
        _ => "requires_payment_method",
    };

    /// <param name="expandLatestCharge"><c>expand[]=latest_charge</c>: the charge object instead of its id.</param>
    public static StripePaymentIntent PaymentIntent(Charge charge, bool includeError = true, bool expandLatestCharge = false) => new(
        Id: charge.Id,
        Object: "payment_intent",
        Amount: charge.Amount,
        AmountCapturable: charge.AmountCapturable,
        AmountReceived: charge.AmountCaptured,
        CanceledAt: charge.CanceledAt?.ToUnixTimeSeconds(),
        CancellationReason: charge.CancellationReason,
        CaptureMethod: charge.ManualCapture ? "manual" : "automatic",
        ClientSecret: charge.Id + "_secret_sim",
        ConfirmationMethod: "automatic",
        Created: charge.CreatedAt.ToUnixTimeSeconds(),
        Currency: charge.Currency.ToLowerInvariant(),
        Description: charge.Description,
        LastPaymentError: includeError && charge.Decline is { } decline ? DeclineError(charge, decline, null) : null,
        LatestCharge: expandLatestCharge ? Charge(charge) : charge.ChargeId,
        Livemode: false,
        Metadata: charge.Metadata,
        NextAction: null,
        PaymentMethod: charge.Status == ChargeStatus.Declined ? null : charge.PaymentMethod,
        PaymentMethodTypes: [charge.PaymentMethod == "pm_bank_transfer" ? "customer_balance" : "card"],
        Status: Status(charge.Status));

    public static StripeErrorBody DeclineError(Charge charge, Decline decline, StripePaymentIntent? paymentIntent) => new(
        Type: "card_error",
        Code: "card_declined",
        DeclineCode: decline.Code,
        Message: decline.Message,
        Charge: charge.ChargeId,
        DocUrl: "https://stripe.com/docs/error-codes/card-declined",
        PaymentIntent: paymentIntent);

    public static StripeCharge Charge(Charge charge) => new(
        Id: charge.ChargeId,
        Object: "charge",
        Amount: charge.Amount,
        AmountCaptured: charge.AmountCaptured,
        AmountRefunded: charge.AmountRefunded,
        BillingDetails: StripeBillingDetails.None,
        Captured: charge.AmountCaptured > 0,
        Created: charge.CreatedAt.ToUnixTimeSeconds(),
        Currency: charge.Currency.ToLowerInvariant(),
        Description: charge.Description,
        Disputed: false,
        FailureCode: charge.Decline is null ? null : "card_declined",
        FailureMessage: charge.Decline?.Message,
        Livemode: false,
        Metadata: charge.Metadata,
        Paid: charge.Status is ChargeStatus.Captured or ChargeStatus.Authorized,
        PaymentIntent: charge.Id,
        PaymentMethod: charge.PaymentMethod,
        Refunded: charge.AmountCaptured > 0 && charge.AmountRefunded == charge.AmountCaptured,
        Status: charge.Status switch
        {
            ChargeStatus.Declined => "failed",
            ChargeStatus.Pending => "pending",
            _ => "succeeded",
        });

    public static StripeRefund Refund(Charge charge, Movement refund, string? reason, IReadOnlyDictionary<string, string> metadata) => new(
        Id: refund.Id,
        Object: "refund",
        Amount: refund.Amount,
        Charge: charge.ChargeId,
        Created: refund.At.ToUnixTimeSeconds(),
        Currency: charge.Currency.ToLowerInvariant(),
        Metadata: metadata,
        PaymentIntent: charge.Id,
        PaymentMethod: charge.PaymentMethod,
        Reason: reason,
        Status: "succeeded");
}
