using Obol.Payments.Psp;
using Obol.PspSimulator.Webhooks;

namespace Obol.Testing;

/// <summary>One Adyen notification item, as Adyen sends it (amounts in minor units).</summary>
public sealed record AdyenNotificationItem(
    string PspReference, string? OriginalReference, string MerchantReference, string EventCode, bool Success, long Value, string Currency = "EUR",
    string? Reason = null);

public static class AdyenNotifications
{
    /// <summary>Posts a notification with these items to the server's Adyen webhook, each signed with its HMAC key; returns the body of the answer.</summary>
    public static async Task<string> SendAsync(ObolTestServer server, params AdyenNotificationItem[] items)
    {
        var key = server.GetRequiredService<PaymentsOptions>().Adyen.HmacKey;
        // Adyen's own casing: the JSON helper would camel-case a property name.
        Dictionary<string, object> Item(AdyenNotificationItem item) => new()
        {
            ["NotificationRequestItem"] = new Dictionary<string, object?>
            {
                ["pspReference"] = item.PspReference,
                ["originalReference"] = item.OriginalReference,
                ["merchantAccountCode"] = "ObolTest",
                ["merchantReference"] = item.MerchantReference,
                ["amount"] = new { value = item.Value, currency = item.Currency },
                ["eventCode"] = item.EventCode,
                ["success"] = item.Success ? "true" : "false",
                ["reason"] = item.Reason,
                ["additionalData"] = new
                {
                    hmacSignature = AdyenHmac.Sign(AdyenHmac.SigningString(
                        item.PspReference, item.OriginalReference, "ObolTest", item.MerchantReference, item.Value, item.Currency, item.EventCode, item.Success), key),
                },
            }.Where(p => p.Value is not null).ToDictionary(),
        };

        using var anonymous = server.CreateClient(apiKey: null);
        var response = await anonymous.PostJsonAsync("/webhooks/psp/adyen", new { live = "false", notificationItems = items.Select(Item).ToList() });
        return await response.Content.ReadAsStringAsync();
    }
}
