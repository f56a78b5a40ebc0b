using System.Globalization;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Webhooks;

namespace Obol.PspSimulator.Adyen;

/// <summary>Builds Adyen standard notifications, each item carrying its <c>additionalData.hmacSignature</c>.</summary>
public sealed class AdyenNotifications(WebhookDispatcher dispatcher, TimeProvider time)
{
    public void Publish(Charge payment, string eventCode, bool success, string pspReference, string? originalReference, long value, string? reason)
    {
        var merchantAccount = payment.MerchantAccount ?? string.Empty;
        var merchantReference = payment.Reference ?? string.Empty;
        var signing = AdyenHmac.SigningString(pspReference, originalReference, merchantAccount, merchantReference, value, payment.Currency, eventCode, success);
        var item = new AdyenNotificationRequestItem(
            AdditionalData: new Dictionary<string, string>(StringComparer.Ordinal),
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
        var eventId = eventCode + ":" + pspReference + ":" + (success ? "true" : "false");

        // Each webhook endpoint has its own HMAC key, so each gets the item signed with its key.
        string Body(string hmacKey) => AdyenJson.Serialize(new AdyenNotification("false", [new AdyenNotificationItem(item with
        {
            AdditionalData = new Dictionary<string, string>(StringComparer.Ordinal) { ["hmacSignature"] = AdyenHmac.Sign(signing, hmacKey) },
        })]));
        dispatcher.Publish(new WebhookMessage(Psp.Adyen, eventId, eventCode, Body, static (_, _, _) => []));
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
