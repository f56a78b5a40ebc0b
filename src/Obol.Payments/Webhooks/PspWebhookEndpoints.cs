using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
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
public static class PspWebhookEndpoints
{
    private const long StripeToleranceSeconds = 300;

    public static IEndpointRouteBuilder MapPspWebhookEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/webhooks/psp").WithTags("PSP webhooks");
        group.MapPost("/stripe", StripeAsync)
            .WithName("receiveStripeWebhook").WithSummary("Receive a Stripe event")
            .WithDescription(
                "Authenticated by the Stripe-Signature header (HMAC-SHA256 of the payload with the webhook secret, 5 minutes' tolerance), "
                + "not by a secret key. Stored once by the event's id; a repeat is a fast 200.")
            .ProducesProblems(new ProblemCase(400, "invalid_signature"), new ProblemCase(400, "malformed_webhook"));
        group.MapPost("/adyen", AdyenAsync).WithMetadata(new ScansCardNumbersItself())
            .WithName("receiveAdyenWebhook").WithSummary("Receive an Adyen notification")
            .WithDescription(
                "Authenticated by each item's additionalData.hmacSignature (Adyen's notification HMAC with the configured key), "
                + "not by a secret key. Stored once per item; answered `[accepted]` as Adyen expects.")
            .ProducesProblems(new ProblemCase(400, "invalid_signature"), new ProblemCase(400, "malformed_webhook"));
        return endpoints;
    }

    private static async Task<Ok<WebhookReceived>> StripeAsync(
        HttpContext http, Database database, PaymentStore store, PaymentProcessor processor, PaymentsOptions options, TimeProvider clock)
    {
        var payload = Body(http);
        try
        {
            EventUtility.ValidateSignature(
                payload, http.Request.Headers["Stripe-Signature"].ToString(), options.Stripe.WebhookSecret,
                StripeToleranceSeconds, clock.GetUtcNow().ToUnixTimeSeconds());
        }
        catch (StripeException)
        {
            throw PaymentsProblems.InvalidSignature("The Stripe-Signature header does not match the payload (or is too old).");
        }

        var stripeEvent = ParseStripeEvent(payload);
        var metadata = stripeEvent.Data.Object switch
        {
            PaymentIntent intent => intent.Metadata,
            Stripe.Refund refund => refund.Metadata,
            _ => null,
        };
        // Only an id Obol could have written names a payment; anything else in the metadata is not ours.
        var paymentId = metadata?.GetValueOrDefault("obol_payment_id") is { } named && PspText.IsStorable(named) ? named : null;
        await database.WriteAsync(async session =>
        {
            if (!await store.RecordWebhookAsync(session, StripeConnector.PspName, stripeEvent.Id, stripeEvent.Type, paymentId, payload) || paymentId is null)
            {
                return;
            }

            var result = await processor.ApplyReportAsync(session, paymentId, (payment, attempts) => ReadStripe(stripeEvent, payment, attempts), EventSource.Webhook);
            if (result == ReportResult.Applied)
            {
                await store.MarkWebhookAppliedAsync(session, StripeConnector.PspName, stripeEvent.Id);
            }
        }, http.RequestAborted);
        return TypedResults.Ok(new WebhookReceived(true));
    }

    /// <summary>
    /// A signed event is authentic, not necessarily well formed: it must be one strict JSON object (no raw control characters,
    /// which Stripe.net's parser would let through) with a storable <c>id</c> and <c>type</c> and a <c>data.object</c>, and a
    /// payment intent or refund in it must name its currency. Anything else is a 400 and records nothing.
    /// </summary>
    private static Event ParseStripeEvent(string payload)
    {
        Event? parsed;
        try
        {
            using (var document = JsonDocument.Parse(payload, PspText.JsonOptions))
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || PspText.HoldsUnstorableText(root)
                    || !HasStorableText(root, "id") || !HasStorableText(root, "type")
                    || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                    || !data.TryGetProperty("object", out var dataObject) || dataObject.ValueKind != JsonValueKind.Object)
                {
                    throw PaymentsProblems.MalformedWebhook("A Stripe event needs a string id and type of at most 255 characters and a data.object.");
                }
            }

            parsed = EventUtility.ParseEvent(payload, throwOnApiVersionMismatch: false);
        }
        catch (Exception e) when (e is JsonException or Newtonsoft.Json.JsonException or FormatException or InvalidCastException or ArgumentException)
        {
            throw PaymentsProblems.MalformedWebhook("The Stripe event is not well formed JSON of Stripe's types.");
        }

        var currency = parsed?.Data?.Object switch
        {
            PaymentIntent intent => intent.Currency,
            Stripe.Refund refund => refund.Currency,
            _ => "",
        };
        return parsed is { Data.Object: not null } && PspText.IsStorable(currency)
            ? parsed
            : throw PaymentsProblems.MalformedWebhook("The Stripe event's object is missing or names no currency.");

        static bool HasStorableText(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { Length: > 0 } text && PspText.IsStorable(text);
    }

    /// <summary>
    /// What a Stripe event reports, about which attempt: a payment intent's events concern the authorization that created the
    /// intent (named in its metadata), or for a payment captured by hand its capture; a refund's events concern the attempt
    /// named in the refund's metadata.
    /// </summary>
    private static PspReport? ReadStripe(Event stripeEvent, Payment payment, IReadOnlyList<PaymentAttempt> attempts)
    {
        var onStripe = attempts.Where(a => a.Psp == StripeConnector.PspName).ToList();
        PaymentAttempt? Last(PaymentOperation operation) => onStripe.LastOrDefault(a => a.Operation == operation);
        PaymentAttempt? Named(Dictionary<string, string>? metadata) =>
            metadata is not null && metadata.TryGetValue("obol_attempt_id", out var id) ? onStripe.FirstOrDefault(a => a.Id == id) : null;
        var details = new { psp = StripeConnector.PspName, eventType = stripeEvent.Type, eventId = stripeEvent.Id };
        switch (stripeEvent.Data.Object)
        {
            case PaymentIntent intent:
                var authorize = Named(intent.Metadata) ?? Last(PaymentOperation.Authorize);
                PspReport Report(PaymentAttempt? attempt, PspOutcome outcome) => new(StripeConnector.PspName, attempt, outcome,
                    StripeAmountRule.Instance.MinorUnitsOf(intent.Amount, intent.Currency.ToUpperInvariant()), intent.Currency.ToUpperInvariant(), details);
                return stripeEvent.Type switch
                {
                    "payment_intent.amount_capturable_updated" => Report(authorize, new PspOutcome(PspOutcomeKind.Authorized, intent.Id)),
                    "payment_intent.succeeded" when payment.CaptureMethod == CaptureMethod.Automatic => Report(authorize, new PspOutcome(PspOutcomeKind.Succeeded, intent.Id)),
                    "payment_intent.succeeded" => Report(Last(PaymentOperation.Capture), new PspOutcome(PspOutcomeKind.Succeeded, intent.Id)),
                    "payment_intent.processing" => Report(authorize, new PspOutcome(PspOutcomeKind.Pending, intent.Id)),
                    "payment_intent.payment_failed" => Report(authorize, new PspOutcome(PspOutcomeKind.Declined, intent.Id,
                        intent.LastPaymentError?.DeclineCode == "insufficient_funds" ? "insufficient_funds" : "card_declined", intent.LastPaymentError?.Message ?? "Declined")),
                    "payment_intent.canceled" => Report(Last(PaymentOperation.Cancel), new PspOutcome(PspOutcomeKind.Succeeded, intent.Id)),
                    _ => null,
                };

            case Stripe.Refund refund when stripeEvent.Type is "refund.created" or "refund.updated" or "refund.failed":
                var outcome = refund.Status switch
                {
                    "succeeded" => new PspOutcome(PspOutcomeKind.Succeeded, refund.Id),
                    "pending" or "requires_action" => new PspOutcome(PspOutcomeKind.Pending, refund.Id),
                    _ => new PspOutcome(PspOutcomeKind.Failed, refund.Id, "refund_failed", refund.FailureReason ?? $"Stripe reports the refund {refund.Status}."),
                };
                return new PspReport(StripeConnector.PspName, Named(refund.Metadata), outcome,
                    StripeAmountRule.Instance.MinorUnitsOf(refund.Amount, refund.Currency.ToUpperInvariant()), refund.Currency.ToUpperInvariant(), details);

            default:
                return null;
        }
    }

    private static async Task<ContentHttpResult> AdyenAsync(
        HttpContext http, Database database, PaymentStore store, PaymentProcessor processor, PaymentsOptions options)
    {
        var payload = Body(http);
        List<JsonElement> items;
        try
        {
            using var document = JsonDocument.Parse(payload, PspText.JsonOptions);
            items = document.RootElement.GetProperty("notificationItems").EnumerateArray()
                .Select(i => i.GetProperty("NotificationRequestItem").Clone()).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw PaymentsProblems.MalformedNotification();
        }

        if (items.Any(PspText.HoldsUnstorableText))
        {
            throw PaymentsProblems.MalformedWebhook("A notification item holds U+0000 or a lone surrogate, which no Adyen field does.");
        }

        if (items.Any(HoldsCardNumber))
        {
            throw Problems.CardNumberNotAllowed("A notification item holds what looks like one; nothing of it was recorded.");
        }

        var key = Convert.FromHexString(options.Adyen.HmacKey);
        List<AdyenNotification> notifications;
        try
        {
            notifications = items.Select(AdyenNotification.From).ToList();
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw PaymentsProblems.MalformedWebhook($"An Adyen notification item is not well formed: {e.Message}");
        }
        if (notifications.Any(n => !n.HasValidSignature(key)))
        {
            throw PaymentsProblems.InvalidSignature("An Adyen notification item's hmacSignature does not match.");
        }

        await database.WriteAsync(async session =>
        {
            for (var i = 0; i < notifications.Count; i++)
            {
                var n = notifications[i];
                var paymentId = await store.FindPaymentIdByOurReferenceAsync(session, n.MerchantReference)
                    ?? await store.FindPaymentIdByPspReferenceAsync(session, AdyenConnector.PspName, n.OriginalReference ?? n.PspReference);
                if (!await store.RecordWebhookAsync(session, AdyenConnector.PspName, n.EventId, n.EventCode, paymentId, items[i].GetRawText()) || paymentId is null)
                {
                    continue;
                }

                var result = await processor.ApplyReportAsync(session, paymentId, (payment, attempts) => ReadAdyen(n, payment, attempts), EventSource.Webhook);
                if (result == ReportResult.Applied)
                {
                    await store.MarkWebhookAppliedAsync(session, AdyenConnector.PspName, n.EventId);
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

    /// <summary>
    /// What an Adyen notification reports, about which attempt. A modification is found by the reference Obol sent with it
    /// (the refund id, or the attempt id of a capture or cancel, which Adyen reports as the merchant reference), else by
    /// Adyen's reference for it, else — for a notification that names only the payment — by the one open attempt it can be:
    /// the open capture or cancel, or the one open refund of that amount whose Adyen reference is not known yet. A reference
    /// that belongs to another attempt is never overruled by an amount, and of several open attempts it could be, none is picked.
    /// </summary>
    private static PspReport? ReadAdyen(AdyenNotification n, Payment payment, IReadOnlyList<PaymentAttempt> attempts)
    {
        var onAdyen = attempts.Where(a => a.Psp == AdyenConnector.PspName).ToList();
        var amount = AdyenAmountRule.Instance.MinorUnitsOf(n.Value, n.Currency);
        var ambiguous = false;
        PaymentAttempt? Modification(PaymentOperation operation)
        {
            var ofKind = onAdyen.Where(a => a.Operation == operation).ToList();
            var byReference = ofKind.FirstOrDefault(a => a.Id == n.MerchantReference || a.RefundId == n.MerchantReference)
                ?? ofKind.FirstOrDefault(a => a.PspReference == n.PspReference);
            if (byReference is not null || attempts.Any(a => a.PspReference == n.PspReference))
            {
                return byReference;
            }

            var open = ofKind.Where(a => a.IsOpen && (operation != PaymentOperation.Refund || (a.PspReference is null && a.Amount == amount))).ToList();
            ambiguous |= open.Count > 1;
            return open.Count == 1 ? open[0] : null;
        }

        // An automatic capture is the authorization itself: a failure reported for it concerns the authorize attempt.
        PaymentAttempt? Captured() => Modification(PaymentOperation.Capture)
            ?? (payment.CaptureMethod == CaptureMethod.Automatic && n.OriginalReference is not null && n.OriginalReference == payment.PspReference
                ? onAdyen.LastOrDefault(a => a is { Operation: PaymentOperation.Authorize, Status: AttemptStatus.Succeeded })
                : null);
        PspReport Report(PaymentAttempt? attempt, PspOutcome outcome) => new(AdyenConnector.PspName, attempt, outcome, amount, n.Currency,
            new { psp = AdyenConnector.PspName, n.EventCode, n.PspReference, n.OriginalReference, n.Reason });
        var failed = new PspOutcome(PspOutcomeKind.Failed, n.PspReference, "psp_error", n.Reason ?? "Adyen reports the modification failed.");
        var report = n.EventCode switch
        {
            "AUTHORISATION" => Report(
                onAdyen.LastOrDefault(a => a.Operation == PaymentOperation.Authorize && a.PspReference == n.PspReference) ?? onAdyen.LastOrDefault(a => a.Operation == PaymentOperation.Authorize),
                n.Success
                    ? new PspOutcome(payment.CaptureMethod == CaptureMethod.Manual ? PspOutcomeKind.Authorized : PspOutcomeKind.Succeeded, n.PspReference)
                    : new PspOutcome(PspOutcomeKind.Declined, n.PspReference, n.Reason == "Not enough balance" ? "insufficient_funds" : "card_declined", n.Reason ?? "Refused")),
            "CAPTURE" when n.Success => Report(Modification(PaymentOperation.Capture), new PspOutcome(PspOutcomeKind.Succeeded, n.PspReference)),
            "CAPTURE" or "CAPTURE_FAILED" => Report(Captured(), failed),
            "CANCELLATION" => Report(Modification(PaymentOperation.Cancel), n.Success ? new PspOutcome(PspOutcomeKind.Succeeded, n.PspReference) : failed),
            "REFUND" when n.Success => Report(Modification(PaymentOperation.Refund), new PspOutcome(PspOutcomeKind.Succeeded, n.PspReference)),
            "REFUND" or "REFUND_FAILED" => Report(Modification(PaymentOperation.Refund), failed),
            _ => null,
        };

        // Several open attempts it could be (two refunds of one amount, neither answered): none is picked, and the resolver
        // settles each by its own request.
        return ambiguous ? null : report;
    }

    /// <summary>Stripe's answer: <c>{"received": true}</c>.</summary>
    private sealed record WebhookReceived(bool Received);

    /// <summary>The raw body, exactly as signed (read once by the chassis).</summary>
    private static string Body(HttpContext http) => http.Features.Get<BufferedRequestBody>()?.Text ?? "";

    /// <summary>
    /// One Adyen notification item, with Adyen's notification HMAC check: Base64(HMAC-SHA256(key,
    /// <c>pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success</c>)).
    /// </summary>
    private sealed record AdyenNotification(
        string PspReference, string? OriginalReference, string MerchantAccountCode, string MerchantReference,
        long Value, string Currency, string EventCode, bool Success, string? Reason, string? Signature)
    {
        public string EventId => $"{EventCode}:{PspReference}:{(Success ? "true" : "false")}";

        /// <summary>
        /// Reads an item strictly: every field of the signing string present with Adyen's type and storable
        /// (<see cref="PspText"/>); a missing or mistyped one throws <see cref="FormatException"/> (or what
        /// <see cref="JsonElement"/> throws), before any signature is checked or anything stored.
        /// </summary>
        public static AdyenNotification From(JsonElement item)
        {
            var amount = item.GetProperty("amount");
            var success = Text(item, "success");
            return new AdyenNotification(
                Text(item, "pspReference"),
                OptionalText(item, "originalReference"),
                Text(item, "merchantAccountCode"),
                Text(item, "merchantReference"),
                amount.GetProperty("value").GetInt64(),
                Text(amount, "currency"),
                Text(item, "eventCode"),
                success is "true" or "false" ? success == "true" : throw new FormatException("success must be \"true\" or \"false\"."),
                OptionalText(item, "reason"),
                item.TryGetProperty("additionalData", out var data) && data.ValueKind == JsonValueKind.Object ? OptionalText(data, "hmacSignature") : null);
        }

        private static string Text(JsonElement element, string name) =>
            OptionalText(element, name) ?? throw new FormatException($"{name} is required.");

        private static string? OptionalText(JsonElement element, string name) =>
            !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
            : value.ValueKind == JsonValueKind.String && PspText.IsStorable(value.GetString()) ? value.GetString()
            : throw new FormatException($"{name} must be a string of at most {PspText.MaxLength} characters without control characters.");

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
            // Joined as they are: Adyen escapes ':' and '\' only in its other HMAC (hosted pages), not in notifications.
            var signing = string.Join(":", fields);
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
}
