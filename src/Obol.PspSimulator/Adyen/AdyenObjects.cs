using System.Text.Json;
using System.Text.Json.Serialization;
using Obol.PspSimulator.Charges;

namespace Obol.PspSimulator.Adyen;

// Adyen Checkout v71 JSON shapes (camelCase; absent fields omitted, as Adyen does).

public sealed record AdyenAmount(string Currency, long Value);

public sealed record AdyenPaymentResponse(
    string PspReference,
    string ResultCode,
    AdyenAmount Amount,
    string MerchantReference,
    string? RefusalReason = null,
    string? RefusalReasonCode = null,
    IReadOnlyDictionary<string, string>? AdditionalData = null);

public sealed record AdyenModificationResponse(
    string MerchantAccount,
    string PaymentPspReference,
    string PspReference,
    string? Reference,
    string Status,
    AdyenAmount? Amount = null);

public sealed record AdyenServiceError(int Status, string ErrorCode, string Message, string ErrorType, string? PspReference = null);

/// <summary>Simulator extension: a payment's current state, for resolving unknown outcomes by merchant reference.</summary>
public sealed record AdyenPaymentStatus(
    string PspReference,
    string? MerchantReference,
    string? MerchantAccount,
    string ResultCode,
    string Status,
    AdyenAmount Amount,
    long AmountCaptured,
    long AmountRefunded,
    DateTimeOffset CreationDate,
    string? RefusalReason);

public sealed record AdyenPaymentStatusList(IReadOnlyList<AdyenPaymentStatus> Data);

public sealed record AdyenNotificationRequestItem(
    IReadOnlyDictionary<string, string> AdditionalData,
    AdyenAmount Amount,
    string EventCode,
    string EventDate,
    string MerchantAccountCode,
    string MerchantReference,
    string? OriginalReference,
    string PaymentMethod,
    string PspReference,
    string? Reason,
    string Success);

public sealed record AdyenNotificationItem(
    [property: JsonPropertyName("NotificationRequestItem")] AdyenNotificationRequestItem NotificationRequestItem);

public sealed record AdyenNotification(string Live, IReadOnlyList<AdyenNotificationItem> NotificationItems);

public static class AdyenJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static string ResultCode(Charge charge) => charge.Status switch
    {
        ChargeStatus.Declined => "Refused",
        ChargeStatus.Pending => "Received",
        _ => "Authorised",
    };

    public static string PaymentMethodVariant(string token) => token switch
    {
        "pm_card_mastercard" => "mc",
        "pm_bank_transfer" => "bankTransfer_IBAN",
        _ => "visa",
    };

    public static AdyenPaymentStatus Status(Charge charge) => new(
        PspReference: charge.Id,
        MerchantReference: charge.Reference,
        MerchantAccount: charge.MerchantAccount,
        ResultCode: ResultCode(charge),
        Status: charge.Status switch
        {
            ChargeStatus.Authorized => "authorised",
            ChargeStatus.Pending => "received",
            ChargeStatus.Captured => charge.AmountRefunded == 0 ? "captured"
                : charge.AmountRefunded == charge.AmountCaptured ? "refunded" : "partially_refunded",
            ChargeStatus.Canceled => "cancelled",
            _ => "refused",
        },
        Amount: new AdyenAmount(charge.Currency, charge.Amount),
        AmountCaptured: charge.AmountCaptured,
        AmountRefunded: charge.AmountRefunded,
        CreationDate: charge.CreatedAt,
        RefusalReason: charge.Decline?.Message);
}
