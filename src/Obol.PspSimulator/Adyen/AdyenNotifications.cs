using System.Globalization;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Webhooks;

namespace Obol.PspSimulator.Adyen;

/// <summary>Builds Adyen standard notifications, each item carrying its <c>additionalData.hmacSignature</c>.</summary>
public sealed class AdyenNotifications(WebhookDispatcher dispatcher, WebhookTargets targets, TimeProvider time)
{
    public void Publish(Charge payment, string eventCode, bool success, string pspReference, string? originalReference, long value, string? reason)
    {
        var hmacKey = targets.For(Psp.Adyen).Secret;
        var merchantAccount = payment.MerchantAccount ?? string.Empty;
        var merchantReference = payment.Reference ?? string.Empty;
        var signing = AdyenHmac.SigningString(pspReference, originalReference, merchantAccount, merchantReference, value, payment.Currency, eventCode, success);
        var item = new AdyenNotificationRequestItem(
            AdditionalData: new Dictionary<string, string>(StringComparer.Ordinal) { ["hmacSignature"] = AdyenHmac.Sign(signing, hmacKey) },
            Amount: new AdyenAmount(payment.Currency, value),
            EventCode: eventCode,
            EventDate: time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            MerchantAccountCode: merchantAccount,
            MerchantReference: merchantReference,
            OriginalReference: originalReference,
            PaymentMethod: AdyenJson.PaymentMethodVariant(payment.PaymentMethod),
            PspReference: pspReference,
            Reason: reason,
            Success: success ? "true" : "false");
        var body = AdyenJson.Serialize(new AdyenNotification("false", [new AdyenNotificationItem(item)]));
        var eventId = eventCode + ":" + pspReference + ":" + (success ? "true" : "false");
        dispatcher.Publish(new WebhookMessage(Psp.Adyen, eventId, eventCode, body, static (_, _, _) => []));
    }

    public void PublishAuthorisation(Charge payment) => Publish(
        payment,
        "AUTHORISATION",
        payment.Status != ChargeStatus.Declined,
        payment.Id,
        null,
        payment.Amount,
        payment.Decline?.Message);
}
