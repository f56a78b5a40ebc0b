using System.Collections.Immutable;
using System.Text.Json;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Faults;
using Obol.PspSimulator.Requests;
using Obol.PspSimulator.Scheduling;

namespace Obol.PspSimulator.Adyen;

/// <summary>
/// Adyen Checkout API v71: <c>/payments</c> and the capture, cancel and refund modifications, which answer
/// 201 <c>received</c> and report their outcome by notification.
/// </summary>
public sealed partial class AdyenApi(
    ChargeStore charges,
    PspPipeline pipeline,
    AdyenNotifications notifications,
    DeferredWork deferred,
    TimeProvider time,
    IOptions<PspSimulatorOptions> options,
    ILogger<AdyenApi> logger)
{
    public async Task<IResult> CreatePaymentAsync(HttpContext context)
    {
        var (scope, body, root, error) = await ReadAsync(context);
        if (error is not null)
        {
            return PspPipeline.Respond(error);
        }

        var (amount, amountError) = ReadAmount(root, required: true);
        if (amountError is not null)
        {
            return PspPipeline.Respond(amountError);
        }

        if (ReadString(root, "reference") is not { Length: > 0 } reference)
        {
            return PspPipeline.Respond(AdyenErrors.Validation("130", "Required field 'reference' is not provided."));
        }

        if (ReadString(root, "merchantAccount") is not { Length: > 0 } merchantAccount)
        {
            return PspPipeline.Respond(AdyenErrors.Validation("901", "Invalid Merchant Account"));
        }

        if (!root.TryGetProperty("paymentMethod", out var paymentMethod) || paymentMethod.ValueKind != JsonValueKind.Object)
        {
            return PspPipeline.Respond(AdyenErrors.Validation("14_003", "Required object 'paymentMethod' is not provided."));
        }

        var token = ReadString(paymentMethod, "storedPaymentMethodId");
        if (token is null || PaymentMethodTokens.Resolve(token) is not { } behavior)
        {
            return PspPipeline.Respond(AdyenErrors.Validation(
                "905",
                "Payment details are not supported: paymentMethod.storedPaymentMethodId must be a simulator token such as pm_card_visa."));
        }

        var manualCapture = !options.Value.Adyen.AutoCaptureByDefault;
        if (root.TryGetProperty("additionalData", out var additional) && additional.ValueKind == JsonValueKind.Object
            && ReadString(additional, "manualCapture") is { } manual)
        {
            manualCapture = string.Equals(manual, "true", StringComparison.OrdinalIgnoreCase);
        }

        var metadata = ReadMetadata(root);
        var key = IdempotencyKey(context.Request);
        var call = new PspCall(Psp.Adyen, FaultEndpoint.Create, scope!, key, Fingerprint("POST /v71/payments", body!));
        return await pipeline.RunAsync(call, AdyenErrors.Instance, () =>
        {
            var now = time.GetUtcNow();
            var pspReference = Ids.AdyenPspReference();
            var charge = new Charge
            {
                Psp = Psp.Adyen,
                Id = pspReference,
                ChargeId = pspReference,
                Reference = reference,
                Amount = amount!.Value,
                Currency = amount.Currency,
                Status = ChargeStatus.Declined,
                ManualCapture = manualCapture,
                PaymentMethod = token,
                MerchantAccount = merchantAccount,
                Metadata = metadata,
                IdempotencyKey = key,
                CreatedAt = now,
            };
            charge = behavior switch
            {
                TokenBehavior.Decline => charge with { Decline = new Decline("2", "Refused") },
                TokenBehavior.InsufficientFunds => charge with { Decline = new Decline("5", "Not enough balance") },
                TokenBehavior.Pending => charge with { Status = ChargeStatus.Pending },
                _ when manualCapture => charge with { Status = ChargeStatus.Authorized },
                _ => charge with
                {
                    Status = ChargeStatus.Captured,
                    Movements = [new Movement(pspReference, MovementKind.Capture, amount.Value, now, reference, null, metadata, key)],
                },
            };

            charges.Add(charge);
            var resultCode = AdyenJson.ResultCode(charge);
            LogCreated(logger, pspReference, resultCode, charge.Amount, charge.Currency);
            if (behavior == TokenBehavior.Pending)
            {
                ScheduleSettlement(pspReference);
            }
            else
            {
                notifications.PublishAuthorisation(charge);
            }

            var response = new AdyenPaymentResponse(
                PspReference: pspReference,
                ResultCode: resultCode,
                Amount: new AdyenAmount(charge.Currency, charge.Amount),
                MerchantReference: reference,
                RefusalReason: charge.Decline?.Message,
                RefusalReasonCode: charge.Decline?.Code);
            return new PspResponse(200, AdyenJson.Serialize(response), Hold: behavior == TokenBehavior.Timeout);
        }, context.RequestAborted);
    }

    public Task<IResult> CaptureAsync(HttpContext context, string paymentPspReference) =>
        ModifyAsync(context, paymentPspReference, FaultEndpoint.Capture, "captures", amountRequired: true, (payment, modification) =>
        {
            var result = charges.Capture(Psp.Adyen, payment.Id, modification.Amount, value => modification.Movement(MovementKind.Capture, value));
            notifications.Publish(payment, "CAPTURE", result.Succeeded, modification.PspReference, payment.Id, modification.Amount ?? payment.Amount, FailureReason(result), modification.Reference);
        });

    public Task<IResult> CancelAsync(HttpContext context, string paymentPspReference) =>
        ModifyAsync(context, paymentPspReference, FaultEndpoint.Cancel, "cancels", amountRequired: false, (payment, modification) =>
        {
            var result = charges.Cancel(Psp.Adyen, payment.Id, null, modification.At);
            notifications.Publish(payment, "CANCELLATION", result.Succeeded, modification.PspReference, payment.Id, payment.Amount, FailureReason(result), modification.Reference);
        });

    public Task<IResult> RefundAsync(HttpContext context, string paymentPspReference) =>
        ModifyAsync(context, paymentPspReference, FaultEndpoint.Refund, "refunds", amountRequired: true, (payment, modification) =>
        {
            var result = charges.Refund(Psp.Adyen, payment.Id, modification.Amount, value => modification.Movement(MovementKind.Refund, value));
            notifications.Publish(payment, "REFUND", result.Succeeded, modification.PspReference, payment.Id, modification.Amount ?? payment.AmountRefundable, FailureReason(result), modification.Reference);
        });

    /// <summary>Simulator extension: <c>GET /v71/payments?reference=</c> lists payments with that merchant reference.</summary>
    public Task<IResult> ListPaymentsAsync(HttpContext context, string? reference)
    {
        if (!Authenticated(context.Request))
        {
            return Task.FromResult(PspPipeline.Respond(AdyenErrors.Unauthorized()));
        }

        if (string.IsNullOrEmpty(reference))
        {
            return Task.FromResult(PspPipeline.Respond(AdyenErrors.Validation("130", "Query parameter 'reference' is required.")));
        }

        var call = new PspCall(Psp.Adyen, null, string.Empty, null, string.Empty);
        return pipeline.RunAsync(call, AdyenErrors.Instance, () =>
        {
            var found = charges.List(Psp.Adyen, reference).Select(AdyenJson.Status).ToList();
            return new PspResponse(200, AdyenJson.Serialize(new AdyenPaymentStatusList(found)));
        }, context.RequestAborted);
    }

    /// <summary>Simulator extension: <c>GET /v71/payments/{pspReference}</c>.</summary>
    public Task<IResult> GetPaymentAsync(HttpContext context, string pspReference)
    {
        if (!Authenticated(context.Request))
        {
            return Task.FromResult(PspPipeline.Respond(AdyenErrors.Unauthorized()));
        }

        var call = new PspCall(Psp.Adyen, null, string.Empty, null, string.Empty);
        return pipeline.RunAsync(call, AdyenErrors.Instance, () => charges.Find(Psp.Adyen, pspReference) is { } charge
            ? new PspResponse(200, AdyenJson.Serialize(AdyenJson.Status(charge)))
            : AdyenErrors.Error(404, "000", $"No payment with pspReference {pspReference}"), context.RequestAborted);
    }

    public static IResult NotFound(HttpContext context) =>
        PspPipeline.Respond(AdyenErrors.Error(404, "000", $"Not found: {context.Request.Method} {context.Request.Path}"));

    private async Task<IResult> ModifyAsync(
        HttpContext context,
        string paymentPspReference,
        FaultEndpoint endpoint,
        string kind,
        bool amountRequired,
        Action<Charge, Modification> apply)
    {
        var (scope, body, root, error) = await ReadAsync(context);
        if (error is not null)
        {
            return PspPipeline.Respond(error);
        }

        if (ReadString(root, "merchantAccount") is not { Length: > 0 } merchantAccount)
        {
            return PspPipeline.Respond(AdyenErrors.Validation("901", "Invalid Merchant Account"));
        }

        var (amount, amountError) = ReadAmount(root, amountRequired);
        if (amountError is not null)
        {
            return PspPipeline.Respond(amountError);
        }

        var reference = ReadString(root, "reference");
        var key = IdempotencyKey(context.Request);
        var call = new PspCall(Psp.Adyen, endpoint, scope!, key, Fingerprint($"POST /v71/payments/{paymentPspReference}/{kind}", body!));
        return await pipeline.RunAsync(call, AdyenErrors.Instance, () =>
        {
            var payment = charges.Find(Psp.Adyen, paymentPspReference);
            if (payment is null)
            {
                return AdyenErrors.Validation("167", $"Original pspReference {paymentPspReference} is not known.");
            }

            if (amount is not null && !string.Equals(amount.Currency, payment.Currency, StringComparison.Ordinal))
            {
                return AdyenErrors.Validation("138", "Unsupported currency specified: it must match the payment's currency.");
            }

            var modification = new Modification(Ids.AdyenPspReference(), amount?.Value, reference, key, time.GetUtcNow());
            apply(payment, modification);
            LogModification(logger, kind, payment.Id, modification.PspReference);
            var response = new AdyenModificationResponse(merchantAccount, payment.Id, modification.PspReference, reference, "received", amount);
            return new PspResponse(201, AdyenJson.Serialize(response));
        }, context.RequestAborted);
    }

    private void ScheduleSettlement(string pspReference) =>
        deferred.Schedule(options.Value.BankTransferSettleDelay, _ =>
        {
            var settled = charges.Settle(Psp.Adyen, pspReference, pspReference, time.GetUtcNow());
            if (settled.Succeeded)
            {
                notifications.PublishAuthorisation(settled.Charge!);
            }

            return Task.CompletedTask;
        });

    private static string? FailureReason(OperationResult result) => result.Error switch
    {
        OperationError.None => null,
        OperationError.InvalidState => $"Invalid state: payment is {result.Charge?.Status.ToString().ToLowerInvariant()}",
        OperationError.AmountTooLarge => "Amount exceeds the remaining amount",
        _ => "Invalid amount",
    };

    private async Task<(string? Scope, string? Body, JsonElement Root, PspResponse? Error)> ReadAsync(HttpContext context)
    {
        if (!Authenticated(context.Request))
        {
            return (null, null, default, AdyenErrors.Unauthorized());
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, null, default, AdyenErrors.Error(400, "702", "Unexpected input: the body is not valid JSON.", "validation"));
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, null, default, AdyenErrors.Error(400, "702", "Unexpected input: the body must be a JSON object.", "validation"));
        }

        if (ContainsCardNumber(root))
        {
            return (null, null, default, AdyenErrors.CardNumber());
        }

        return (context.Request.Headers["X-API-Key"].ToString(), body, root, null);
    }

    private static bool ContainsCardNumber(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => CardNumberDetector.ContainsCardNumber(p.Name) || ContainsCardNumber(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(ContainsCardNumber),
        JsonValueKind.String => CardNumberDetector.ContainsCardNumber(element.GetString()),
        JsonValueKind.Number => CardNumberDetector.ContainsCardNumber(element.GetRawText()),
        _ => false,
    };

    private static (AdyenAmount? Amount, PspResponse? Error) ReadAmount(JsonElement root, bool required)
    {
        if (!root.TryGetProperty("amount", out var amount) || amount.ValueKind == JsonValueKind.Null)
        {
            return required ? (null, AdyenErrors.Validation("100", "There is no amount specified in the request.")) : (null, null);
        }

        if (amount.ValueKind != JsonValueKind.Object
            || !amount.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Number
            || !value.TryGetInt64(out var minor) || minor <= 0)
        {
            return (null, AdyenErrors.Validation("137", "Invalid amount specified: amount.value must be a positive integer in minor units."));
        }

        var currency = ReadString(amount, "currency");
        if (!Currencies.IsWellFormed(currency) || !string.Equals(currency, currency!.ToUpperInvariant(), StringComparison.Ordinal))
        {
            return (null, AdyenErrors.Validation("138", "Unsupported currency specified: amount.currency must be an upper-case ISO 4217 code."));
        }

        return (new AdyenAmount(currency, minor), null);
    }

    /// <summary>The payment's <c>metadata</c>: its string entries (Adyen allows nothing else).</summary>
    private static ImmutableSortedDictionary<string, string> ReadMetadata(JsonElement root)
    {
        var metadata = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
        if (!root.TryGetProperty("metadata", out var entries) || entries.ValueKind != JsonValueKind.Object)
        {
            return metadata;
        }

        foreach (var entry in entries.EnumerateObject().Where(e => e.Value.ValueKind == JsonValueKind.String))
        {
            metadata = metadata.SetItem(entry.Name, entry.Value.GetString()!);
        }

        return metadata;
    }

    private static string? ReadString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private bool Authenticated(HttpRequest request)
    {
        var key = request.Headers["X-API-Key"].ToString();
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        var accepted = options.Value.Adyen.ApiKeys;
        return accepted.Count == 0 || accepted.Contains(key, StringComparer.Ordinal);
    }

    private static string Fingerprint(string operation, string body) =>
        IdempotencyStore.Fingerprint(operation, string.Empty, [new("body", body)]);

    private static string? IdempotencyKey(HttpRequest request) =>
        request.Headers.TryGetValue("Idempotency-Key", out var value) && value.Count > 0 && !string.IsNullOrEmpty(value[0]) ? value[0] : null;

    /// <summary>One capture, cancel or refund request: its own pspReference and what the request carried.</summary>
    private sealed record Modification(string PspReference, long? Amount, string? Reference, string? IdempotencyKey, DateTimeOffset At)
    {
        public Movement Movement(MovementKind kind, long value) => new(PspReference, kind, value, At, Reference, IdempotencyKey: IdempotencyKey);
    }

    [LoggerMessage(EventId = PspSimulatorLogEvents.AdyenPaymentCreated, Level = LogLevel.Information, Message = "Adyen payment {PspReference} created: {ResultCode} {Amount} {Currency}")]
    private static partial void LogCreated(ILogger logger, string pspReference, string resultCode, long amount, string currency);

    [LoggerMessage(EventId = PspSimulatorLogEvents.AdyenModificationReceived, Level = LogLevel.Information, Message = "Adyen {Kind} on {PaymentPspReference} received as {PspReference}")]
    private static partial void LogModification(ILogger logger, string kind, string paymentPspReference, string pspReference);
}
