using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Obol.Core;
using Obol.Payments.Psp.Stripe;

namespace Obol.Payments.Psp.Adyen;

/// <summary>
/// Adyen Checkout API v71 over a typed HttpClient: our attempt id is the <c>Idempotency-Key</c>, our payment id
/// the merchant <c>reference</c>. Adyen answers captures, cancels and refunds with <c>received</c> and reports a
/// failure later by webhook; Obol treats <c>received</c> as done (a later failure notification is the webhook
/// handler's to apply).
/// </summary>
internal sealed class AdyenConnector(HttpClient http, AdyenOptions options, Func<Uri> baseAddress) : IPspConnector
{
    public const string PspName = "adyen";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Name => PspName;

    public PspAmountRule Amounts => AdyenAmountRule.Instance;

    public Task<PspOutcome> AuthorizeAsync(AuthorizeRequest request, CancellationToken cancellationToken) =>
        InAdyenUnits(request.Amount, request.Currency, async value =>
        {
            using var response = await SendAsync(HttpMethod.Post, "v71/payments", request.AttemptId, new
            {
                amount = new { currency = request.Currency, value },
                reference = request.PaymentId,
                merchantAccount = options.MerchantAccount,
                paymentMethod = new { type = "scheme", storedPaymentMethodId = request.PaymentMethod },
                shopperInteraction = "ContAuth",
                recurringProcessingModel = "CardOnFile",
                additionalData = new Dictionary<string, string> { ["manualCapture"] = request.ManualCapture ? "true" : "false" },
                metadata = new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal) { ["obol_attempt_id"] = request.AttemptId },
            }, cancellationToken);
            if (await FailureAsync(response, cancellationToken) is { } failure)
            {
                return failure;
            }

            var payment = await response.Content.ReadFromJsonAsync<PaymentResponse>(Json, cancellationToken)
                ?? throw new JsonException("Empty Adyen response.");
            return payment.ResultCode switch
            {
                "Authorised" => new PspOutcome(request.ManualCapture ? PspOutcomeKind.Authorized : PspOutcomeKind.Succeeded, payment.PspReference),
                "Refused" => new PspOutcome(PspOutcomeKind.Declined, payment.PspReference, DeclineCode(payment.RefusalReason), payment.RefusalReason ?? "Refused"),
                "Received" or "Pending" => new PspOutcome(PspOutcomeKind.Pending, payment.PspReference),
                _ => new PspOutcome(PspOutcomeKind.Failed, payment.PspReference, "psp_error", payment.RefusalReason ?? $"Adyen answered {payment.ResultCode}."),
            };
        });

    /// <summary>
    /// Looks the payment up by our reference (a simulator extension; against live Adyen this is the job of the
    /// AUTHORISATION webhook). Nothing found: the first call never reached Adyen, so the same request with the
    /// same idempotency key is re-sent, which cannot charge twice.
    /// </summary>
    public async Task<PspOutcome> ResolveAuthorizeAsync(AuthorizeRequest request, CancellationToken cancellationToken)
    {
        var found = await CallAsync(async () =>
        {
            using var response = await SendAsync(HttpMethod.Get, $"v71/payments?reference={Uri.EscapeDataString(request.PaymentId)}", null, null, cancellationToken);
            if (await FailureAsync(response, cancellationToken) is { } failure)
            {
                return failure;
            }

            var list = await response.Content.ReadFromJsonAsync<PaymentStatusList>(Json, cancellationToken);
            var payment = list?.Data.OrderByDescending(p => p.Status != "refused").ThenByDescending(p => p.CreationDate).FirstOrDefault();
            return payment is null
                ? PspOutcome.NotProcessed("psp_payment_not_found", "Adyen has no payment with this reference.")
                : payment.Status switch
                {
                    "authorised" => new PspOutcome(request.ManualCapture ? PspOutcomeKind.Authorized : PspOutcomeKind.Succeeded, payment.PspReference),
                    "captured" or "refunded" or "partially_refunded" => new PspOutcome(PspOutcomeKind.Succeeded, payment.PspReference),
                    "received" => new PspOutcome(PspOutcomeKind.Pending, payment.PspReference),
                    "refused" => new PspOutcome(PspOutcomeKind.Declined, payment.PspReference, DeclineCode(payment.RefusalReason), payment.RefusalReason ?? "Refused"),
                    _ => new PspOutcome(PspOutcomeKind.Failed, payment.PspReference, "psp_error", $"Adyen reports the payment {payment.Status}."),
                };
        });
        return found is { Kind: PspOutcomeKind.NotProcessed, ErrorCode: "psp_payment_not_found" }
            ? await AuthorizeAsync(request, cancellationToken)
            : found;
    }

    public Task<PspOutcome> CaptureAsync(ModifyRequest request, CancellationToken cancellationToken) =>
        ModifyAsync("captures", request, cancellationToken);

    public Task<PspOutcome> CancelAsync(ModifyRequest request, CancellationToken cancellationToken) =>
        ModifyAsync("cancels", request, cancellationToken);

    public Task<PspOutcome> RefundAsync(ModifyRequest request, CancellationToken cancellationToken) =>
        ModifyAsync("refunds", request, cancellationToken);

    private Task<PspOutcome> ModifyAsync(string modification, ModifyRequest request, CancellationToken cancellationToken) =>
        InAdyenUnits(request.Amount, request.Currency, async value =>
        {
            object body = modification == "cancels"
                ? new { merchantAccount = options.MerchantAccount, reference = request.Reference }
                : new { merchantAccount = options.MerchantAccount, reference = request.Reference, amount = new { currency = request.Currency, value } };
            using var response = await SendAsync(HttpMethod.Post, $"v71/payments/{Uri.EscapeDataString(request.PspReference)}/{modification}", request.AttemptId, body, cancellationToken);
            if (await FailureAsync(response, cancellationToken) is { } failure)
            {
                return failure;
            }

            var result = await response.Content.ReadFromJsonAsync<ModificationResponse>(Json, cancellationToken);
            return result?.Status == "received"
                ? new PspOutcome(PspOutcomeKind.Succeeded, result.PspReference)
                : new PspOutcome(PspOutcomeKind.Failed, result?.PspReference, "psp_error", $"Adyen answered {result?.Status}.");
        });

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? idempotencyKey, object? body, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(method, new Uri(baseAddress(), path));
        message.Headers.Add("X-API-Key", options.ApiKey);
        if (idempotencyKey is not null)
        {
            message.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (body is not null)
        {
            message.Content = JsonContent.Create(body, options: Json);
        }

        return await http.SendAsync(message, cancellationToken);
    }

    /// <summary>
    /// Adyen's documented meanings: 5xx may or may not have been processed; auth errors and 429 were not. Error code 704 is
    /// about the idempotency key (a request under it is still in progress, or it was used with another body), not about
    /// the request, so what Adyen did under the key is still to be found out.
    /// </summary>
    private static async Task<PspOutcome?> FailureAsync(HttpResponseMessage response, CancellationToken cancellationToken) => (int)response.StatusCode switch
    {
        < 300 => null,
        401 or 403 => PspOutcome.NotProcessed("psp_authentication_failed", "Adyen refused Obol's credentials."),
        429 => PspOutcome.NotProcessed("psp_rate_limited", "Adyen is rate limiting requests."),
        >= 500 => PspOutcome.Unknown($"Adyen answered {(int)response.StatusCode}; the request may or may not have been processed."),
        _ when await ErrorCodeAsync(response, cancellationToken) == "704" =>
            PspOutcome.Unknown("Adyen answered about the idempotency key (704); the first request's outcome is still to be found out."),
        _ => new PspOutcome(PspOutcomeKind.Failed, null, "psp_invalid_request", $"Adyen refused the request ({(int)response.StatusCode})."),
    };

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return (await response.Content.ReadFromJsonAsync<ErrorResponse>(Json, cancellationToken))?.ErrorCode;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string DeclineCode(string? refusalReason) => refusalReason switch
    {
        "Not enough balance" => "insufficient_funds",
        _ => "card_declined",
    };

    /// <summary>Calls with the amount in Adyen's minor units; one Adyen cannot take exactly is never sent (routing keeps it from coming here).</summary>
    private static Task<PspOutcome> InAdyenUnits(long amount, string currency, Func<long, Task<PspOutcome>> call) =>
        AdyenAmountRule.Instance.TryToPsp(amount, Currency.FromCode(currency), out var adyenAmount)
            ? CallAsync(() => call(adyenAmount))
            : Task.FromResult(PspOutcome.AmountNotSupported(PspName, amount, currency));

    private static async Task<PspOutcome> CallAsync(Func<Task<PspOutcome>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (StripeConnector.ConnectionRefused(e))
        {
            return PspOutcome.NotProcessed("psp_unreachable", "Adyen could not be reached.");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or JsonException)
        {
            return PspOutcome.Unknown("No usable answer from Adyen in time.");
        }
    }

    private sealed record PaymentResponse(string PspReference, string ResultCode, string? RefusalReason);

    private sealed record ModificationResponse(string PspReference, string Status);

    private sealed record ErrorResponse(string? ErrorCode);

    private sealed record PaymentStatus(string PspReference, string Status, DateTimeOffset CreationDate, string? RefusalReason);

    private sealed record PaymentStatusList(IReadOnlyList<PaymentStatus> Data);
}
