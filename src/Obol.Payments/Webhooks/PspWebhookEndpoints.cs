using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Obol.Core.CardNumbers;
using Obol.Core.Errors;
using Obol.Core.Http;
using Obol.Core.Storage;
using Obol.Payments.Domain;
using Obol.Payments.Processing;
using Obol.Payments.Psp;
using Obol.Payments.Psp.Adyen;
using Obol.Payments.Psp.Stripe;
using Obol.Payments.Storage;
using Stripe;

namespace Obol.Payments.Webhooks;

/// <summary>
/// PSP webhooks: verified (Stripe's signed header, Adyen's per-item HMAC) before anything is read, stored once
/// by the PSP's event id, and applied to the open attempt they concern in the same transaction. A bad signature
/// is a 400 and records nothing; a duplicate is a fast 200.
/// </summary>
public static partial class PspWebhookEndpoints
{
    private const long StripeToleranceSeconds = 300;

    public static IEndpointRouteBuilder MapPspWebhookEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/webhooks/psp").WithTags("PSP webhooks");
        group.MapPost("/stripe", StripeAsync);
        group.MapPost("/adyen", AdyenAsync).WithMetadata(new ScansCardNumbersItself());
        return endpoints;
    }

    private static async Task<IResult> StripeAsync(
        HttpContext http, Database database, PaymentStore store, PaymentProcessor processor, PaymentsOptions options, TimeProvider clock)
    {
        var payload = Body(http);
        Event stripeEvent;
        try
        {
            stripeEvent = EventUtility.ConstructEvent(
                payload, http.Request.Headers["Stripe-Signature"].ToString(), options.Stripe.WebhookSecret,
                StripeToleranceSeconds, clock.GetUtcNow().ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        catch (StripeException)
        {
            throw InvalidSignature("The Stripe-Signature header does not match the payload (or is too old).");
        }

        var intent = stripeEvent.Data.Object as PaymentIntent;
        var paymentId = intent?.Metadata?.GetValueOrDefault("obol_payment_id");
        await database.WriteAsync(async session =>
        {
            if (!await store.RecordWebhookAsync(session, StripeConnector.PspName, stripeEvent.Id, stripeEvent.Type, paymentId, payload)
                || paymentId is null || intent is null)
            {
                return;
            }

            var applied = await processor.ApplyReportedOutcomeAsync(session, paymentId, (payment, open) => MatchStripe(stripeEvent.Type, intent, payment, open));
            if (applied)
            {
                await store.MarkWebhookAppliedAsync(session, StripeConnector.PspName, stripeEvent.Id);
            }
        }, http.RequestAborted);
        return TypedResults.Ok(new { received = true });
    }

    private static (PaymentAttempt, PspOutcome)? MatchStripe(string type, PaymentIntent intent, Payment payment, IReadOnlyList<PaymentAttempt> open)
    {
        PaymentAttempt? Open(PaymentOperation operation) => open.LastOrDefault(a => a.Operation == operation && a.Psp == StripeConnector.PspName);
        var authorize = Open(PaymentOperation.Authorize);
        return type switch
        {
            "payment_intent.amount_capturable_updated" when authorize is not null => (authorize, new PspOutcome(PspOutcomeKind.Authorized, intent.Id)),
            "payment_intent.succeeded" when authorize is not null => (authorize, new PspOutcome(PspOutcomeKind.Succeeded, intent.Id)),
            "payment_intent.succeeded" when Open(PaymentOperation.Capture) is { } capture => (capture, new PspOutcome(PspOutcomeKind.Succeeded, intent.Id)),
            "payment_intent.processing" when authorize is not null => (authorize, new PspOutcome(PspOutcomeKind.Pending, intent.Id)),
            "payment_intent.payment_failed" when authorize is not null => (authorize, new PspOutcome(PspOutcomeKind.Declined, intent.Id,
                intent.LastPaymentError?.DeclineCode == "insufficient_funds" ? "insufficient_funds" : "card_declined", intent.LastPaymentError?.Message ?? "Declined")),
            "payment_intent.canceled" when Open(PaymentOperation.Cancel) is { } cancel => (cancel, new PspOutcome(PspOutcomeKind.Succeeded, intent.Id)),
            _ => null,
        };
    }

    private static async Task<IResult> AdyenAsync(
        HttpContext http, Database database, PaymentStore store, PaymentProcessor processor, PaymentsOptions options, ILoggerFactory loggers)
    {
        var payload = Body(http);
        List<JsonElement> items;
        try
        {
            using var document = JsonDocument.Parse(payload);
            items = document.RootElement.GetProperty("notificationItems").EnumerateArray()
                .Select(i => i.GetProperty("NotificationRequestItem").Clone()).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ProblemException(400, "malformed_json", "Malformed notification", "Not an Adyen notification.");
        }

        if (items.Any(HoldsCardNumber))
        {
            throw Problems.CardNumberNotAllowed("A notification item holds what looks like one; nothing of it was recorded.");
        }

        var key = Convert.FromHexString(options.Adyen.HmacKey);
        var notifications = items.Select(AdyenNotification.From).ToList();
        if (notifications.Any(n => !n.HasValidSignature(key)))
        {
            throw InvalidSignature("An Adyen notification item's hmacSignature does not match.");
        }

        await database.WriteAsync(async session =>
        {
            for (var i = 0; i < notifications.Count; i++)
            {
                var n = notifications[i];
                if (!await store.RecordWebhookAsync(session, AdyenConnector.PspName, n.EventId, n.EventCode, n.MerchantReference, items[i].GetRawText()))
                {
                    continue;
                }

                // A failure of a modification Obol counted done is undone first; otherwise the report is the outcome of
                // an open attempt, and if it is neither, a person is told.
                if (n.FailedOperation is { } operation && await store.GetPaymentForUpdateAsync(session, n.MerchantReference) is { } failedPayment
                    && await processor.ApplyLateFailureAsync(session, failedPayment, operation, n.PspReference, n.OriginalReference, n.Value, n.Currency, n.Reason, EventSource.Webhook))
                {
                    await store.MarkWebhookAppliedAsync(session, AdyenConnector.PspName, n.EventId);
                }
                else if (await processor.ApplyReportedOutcomeAsync(session, n.MerchantReference, (payment, open) => MatchAdyen(n, payment, open)))
                {
                    await store.MarkWebhookAppliedAsync(session, AdyenConnector.PspName, n.EventId);
                }
                else if (n.FailedOperation is not null && await store.GetPaymentForUpdateAsync(session, n.MerchantReference) is { } payment)
                {
                    await store.AppendEventAsync(session, payment.Id, "payment.psp_reported_failure", null, null, EventSource.Webhook,
                        new { psp = AdyenConnector.PspName, n.EventCode, n.PspReference, n.OriginalReference, n.Reason });
                    LogUnappliedFailure(loggers.CreateLogger(typeof(PspWebhookEndpoints)), payment.Id, n.EventCode, n.PspReference);
                }
            }
        }, http.RequestAborted);

        // Adyen expects this exact body to stop retrying.
        return TypedResults.Text("[accepted]");
    }

    /// <summary>
    /// The body check every other request gets, field by field: Adyen's PSP references are 16 digits in older accounts and
    /// one in ten passes the Luhn check, so a bare 16-character <c>pspReference</c> or <c>originalReference</c> is let through.
    /// </summary>
    private static bool HoldsCardNumber(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p =>
            !(p.Name is "pspReference" or "originalReference" && p.Value.ValueKind == JsonValueKind.String && AdyenPspReference.Shape().IsMatch(p.Value.GetString()!))
            && HoldsCardNumber(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HoldsCardNumber),
        JsonValueKind.String => CardNumberDetector.ContainsCardNumber(element.GetString()),
        JsonValueKind.Number => CardNumberDetector.ContainsCardNumber(element.GetRawText()),
        _ => false,
    };

    private static (PaymentAttempt, PspOutcome)? MatchAdyen(AdyenNotification n, Payment payment, IReadOnlyList<PaymentAttempt> open)
    {
        PaymentAttempt? Open(PaymentOperation operation) => open.LastOrDefault(a => a.Operation == operation && a.Psp == AdyenConnector.PspName);

        // A payment can have several refunds open: the one with this reference, or else one whose reference is not known
        // yet (its call timed out) for the same amount.
        PaymentAttempt? OpenRefund() =>
            open.LastOrDefault(a => a.Operation == PaymentOperation.Refund && a.Psp == AdyenConnector.PspName && a.PspReference == n.PspReference)
            ?? open.LastOrDefault(a => a.Operation == PaymentOperation.Refund && a.Psp == AdyenConnector.PspName && a.PspReference is null && a.Amount == n.Value);
        var reference = n.OriginalReference ?? n.PspReference;
        return n.EventCode switch
        {
            "AUTHORISATION" when Open(PaymentOperation.Authorize) is { } authorize => (authorize, n.Success
                ? new PspOutcome(payment.CaptureMethod == CaptureMethod.Manual ? PspOutcomeKind.Authorized : PspOutcomeKind.Succeeded, n.PspReference)
                : new PspOutcome(PspOutcomeKind.Declined, n.PspReference, n.Reason == "Not enough balance" ? "insufficient_funds" : "card_declined", n.Reason ?? "Refused")),
            "CAPTURE" when Open(PaymentOperation.Capture) is { } capture => (capture, Modification(n, reference)),
            "CANCELLATION" when Open(PaymentOperation.Cancel) is { } cancel => (cancel, Modification(n, reference)),
            "REFUND" when OpenRefund() is { } refund => (refund, Modification(n, n.PspReference)),
            _ => null,
        };
    }

    private static PspOutcome Modification(AdyenNotification n, string reference) =>
        n.Success ? new PspOutcome(PspOutcomeKind.Succeeded, reference) : new PspOutcome(PspOutcomeKind.Failed, reference, "psp_error", n.Reason ?? "Adyen refused the modification.");

    /// <summary>The raw body, exactly as signed (read once by the chassis).</summary>
    private static string Body(HttpContext http) => http.Features.Get<BufferedRequestBody>()?.Text ?? "";

    private static ProblemException InvalidSignature(string detail) =>
        new(400, "invalid_signature", "Invalid webhook signature", detail);

    /// <summary>One Adyen notification item, with the HMAC signature check Adyen documents.</summary>
    private sealed record AdyenNotification(
        string PspReference, string? OriginalReference, string MerchantAccountCode, string MerchantReference,
        long Value, string Currency, string EventCode, bool Success, string? Reason, string? Signature)
    {
        public string EventId => $"{EventCode}:{PspReference}:{(Success ? "true" : "false")}";

        /// <summary>A capture, cancel or refund that Adyen reports as failed after all.</summary>
        /// <summary>The modification this notification reports as failed, if it does.</summary>
        public PaymentOperation? FailedOperation => EventCode switch
        {
            "CAPTURE_FAILED" => PaymentOperation.Capture,
            "REFUND_FAILED" => PaymentOperation.Refund,
            "CAPTURE" when !Success => PaymentOperation.Capture,
            "REFUND" when !Success => PaymentOperation.Refund,
            "CANCELLATION" when !Success => PaymentOperation.Cancel,
            _ => null,
        };

        public static AdyenNotification From(JsonElement item)
        {
            var amount = item.GetProperty("amount");
            return new AdyenNotification(
                item.GetProperty("pspReference").GetString()!,
                item.TryGetProperty("originalReference", out var original) ? original.GetString() : null,
                item.GetProperty("merchantAccountCode").GetString()!,
                item.GetProperty("merchantReference").GetString()!,
                amount.GetProperty("value").GetInt64(),
                amount.GetProperty("currency").GetString()!,
                item.GetProperty("eventCode").GetString()!,
                string.Equals(item.GetProperty("success").GetString(), "true", StringComparison.Ordinal),
                item.TryGetProperty("reason", out var reason) ? reason.GetString() : null,
                item.TryGetProperty("additionalData", out var data) && data.TryGetProperty("hmacSignature", out var signature) ? signature.GetString() : null);
        }

        public bool HasValidSignature(byte[] key)
        {
            if (Signature is null)
            {
                return false;
            }

            var fields = new[]
            {
                PspReference, OriginalReference ?? "", MerchantAccountCode, MerchantReference,
                Value.ToString(System.Globalization.CultureInfo.InvariantCulture), Currency, EventCode, Success ? "true" : "false",
            };
            var signing = string.Join(":", fields.Select(f => f.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal)));
            var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(signing));
            byte[] actual;
            try
            {
                actual = Convert.FromBase64String(Signature);
            }
            catch (FormatException)
            {
                return false;
            }

            return CryptographicOperations.FixedTimeEquals(expected, actual);
        }
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning,
        Message = "Adyen reports {EventCode} ({PspReference}) failed for payment {PaymentId}, which Obol recorded as done; reconcile it by hand")]
    private static partial void LogUnappliedFailure(ILogger logger, string paymentId, string eventCode, string pspReference);
}
