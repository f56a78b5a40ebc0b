using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Faults;
using Obol.PspSimulator.Requests;
using Obol.PspSimulator.Scheduling;

namespace Obol.PspSimulator.Stripe;

/// <summary>The Stripe v1 PaymentIntents and Refunds endpoints that Stripe.net's services call.</summary>
public sealed partial class StripeApi(
    ChargeStore charges,
    PspPipeline pipeline,
    StripeWebhooks webhooks,
    DeferredWork deferred,
    TimeProvider time,
    IOptions<PspSimulatorOptions> options,
    ILogger<StripeApi> logger)
{
    /// <summary>The metadata key whose value is the merchant's reference (for <c>/sim/charges?reference=</c> and reports).</summary>
    public const string ReferenceMetadataKey = "reference";

    private static readonly HashSet<string> CreateParameters = new(StringComparer.Ordinal)
    {
        "amount", "currency", "payment_method", "confirm", "capture_method", "description", "customer",
        "receipt_email", "statement_descriptor", "statement_descriptor_suffix", "return_url", "off_session",
        "setup_future_usage", "confirmation_method", "error_on_requires_action", "use_stripe_sdk",
    };

    private static readonly string[] CreateHashes =
        ["metadata", "expand", "payment_method_types", "payment_method_options", "automatic_payment_methods", "shipping"];

    private static readonly HashSet<string> CaptureParameters = new(StringComparer.Ordinal)
        { "amount_to_capture", "statement_descriptor", "statement_descriptor_suffix", "final_capture" };

    private static readonly HashSet<string> CancelParameters = new(StringComparer.Ordinal) { "cancellation_reason" };

    private static readonly HashSet<string> RefundParameters = new(StringComparer.Ordinal)
        { "payment_intent", "charge", "amount", "reason", "instructions_email", "origin", "refund_application_fee", "reverse_transfer" };

    private static readonly string[] MetadataAndExpand = ["metadata", "expand"];
    private static readonly string[] ExpandOnly = ["expand"];

    /// <summary>The one expansion the simulator makes: a payment intent's <c>latest_charge</c> as the charge object.</summary>
    private const string LatestCharge = "latest_charge";
    private static readonly string[] PaymentIntentExpansions = [LatestCharge];

    public async Task<IResult> CreatePaymentIntentAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var (scope, form, rejection) = await ReadRequestAsync(context, expandable: PaymentIntentExpansions);
        if (rejection is not null)
        {
            return rejection;
        }

        var validation = ValidateCreate(form);
        if (validation.Error is not null)
        {
            return PspPipeline.Respond(validation.Error);
        }

        var request = validation.Request!;
        var key = IdempotencyKey(context.Request);
        var call = new PspCall(Psp.Stripe, FaultEndpoint.Create, scope, key, form.Fingerprint("POST", "/v1/payment_intents"));
        return await pipeline.RunAsync(call, StripeErrors.Instance, () => Create(request, key), ct);
    }

    public async Task<IResult> RetrievePaymentIntentAsync(HttpContext context, string id)
    {
        var (_, form, rejection) = await ReadRequestAsync(context, expandable: PaymentIntentExpansions);
        if (rejection is not null)
        {
            return rejection;
        }

        var expandCharge = form.Expands(LatestCharge);
        var call = new PspCall(Psp.Stripe, null, string.Empty, null, string.Empty);
        return await pipeline.RunAsync(call, StripeErrors.Instance, () => charges.Find(Psp.Stripe, id) is { } charge
            ? new PspResponse(200, StripeJson.Serialize(StripeJson.PaymentIntent(charge, expandLatestCharge: expandCharge)))
            : StripeErrors.Missing("payment_intent", id), context.RequestAborted);
    }

    /// <summary>
    /// <c>GET /v1/payment_intents/search?query=…</c> supporting Stripe's query clauses
    /// <c>metadata['key']:'value'</c> and <c>status:'value'</c>, joined with <c>AND</c>.
    /// </summary>
    public async Task<IResult> SearchPaymentIntentsAsync(HttpContext context)
    {
        var (_, form, rejection) = await ReadRequestAsync(context, expandable: ["data." + LatestCharge]);
        if (rejection is not null)
        {
            return rejection;
        }

        var expandCharge = form.Expands("data." + LatestCharge);
        if (form.Get("query") is not { Length: > 0 } query)
        {
            return PspPipeline.Respond(StripeErrors.InvalidRequest("parameter_missing", "Missing required param: query.", "query"));
        }

        var clauses = new List<Func<Charge, bool>>();
        foreach (var part in AndSeparator().Split(query.Trim()))
        {
            var match = SearchClause().Match(part.Trim());
            if (!match.Success)
            {
                return PspPipeline.Respond(StripeErrors.InvalidRequest(
                    "parameter_invalid_string",
                    "The simulator supports search clauses metadata['key']:'value' and status:'value' joined with AND.",
                    "query"));
            }

            var metadataKey = match.Groups["key"].Value;
            var value = match.Groups["value"].Value;
            clauses.Add(match.Groups["field"].Value == "status"
                ? c => string.Equals(StripeJson.Status(c.Status), value, StringComparison.Ordinal)
                : c => c.Metadata.TryGetValue(metadataKey, out var v) && string.Equals(v, value, StringComparison.Ordinal));
        }

        var call = new PspCall(Psp.Stripe, null, string.Empty, null, string.Empty);
        return await pipeline.RunAsync(call, StripeErrors.Instance, () =>
        {
            var found = charges.List(Psp.Stripe)
                .Where(c => clauses.All(clause => clause(c)))
                .OrderByDescending(c => c.CreatedAt)
                .Select(c => StripeJson.PaymentIntent(c, expandLatestCharge: expandCharge))
                .ToList();
            var result = new StripeSearchResult<StripePaymentIntent>("search_result", found, false, null, "/v1/payment_intents/search");
            return new PspResponse(200, StripeJson.Serialize(result));
        }, context.RequestAborted);
    }

    public async Task<IResult> CapturePaymentIntentAsync(HttpContext context, string id)
    {
        var ct = context.RequestAborted;
        var (scope, form, rejection) = await ReadRequestAsync(context, CaptureParameters, MetadataAndExpand, PaymentIntentExpansions);
        if (rejection is not null)
        {
            return rejection;
        }

        var (amount, amountError) = form.PositiveInteger("amount_to_capture");
        if (amountError is not null)
        {
            return PspPipeline.Respond(amountError);
        }

        var metadata = form.Hash("metadata");
        var key = IdempotencyKey(context.Request);
        var call = new PspCall(Psp.Stripe, FaultEndpoint.Capture, scope, key, form.Fingerprint("POST", $"/v1/payment_intents/{id}/capture"));
        return await pipeline.RunAsync(call, StripeErrors.Instance, () =>
        {
            var existing = charges.Find(Psp.Stripe, id);
            if (existing is null)
            {
                return StripeErrors.Missing("payment_intent", id);
            }

            if (amount is { } requested && Currencies.StripeAmountRefusal(requested, existing.Currency) is { } refusal)
            {
                return StripeErrors.InvalidAmount(refusal, "amount_to_capture") with { Replayable = true };
            }

            var now = time.GetUtcNow();
            var result = charges.Capture(Psp.Stripe, id, amount, toCapture => new Movement(
                existing.ChargeId, MovementKind.Capture, toCapture, now, metadata.GetValueOrDefault(ReferenceMetadataKey), null, metadata, key));
            switch (result.Error)
            {
                case OperationError.InvalidState:
                    return StripeErrors.StateError(
                        "payment_intent_unexpected_state",
                        $"This PaymentIntent could not be captured because it has a status of {StripeJson.Status(result.Charge!.Status)}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.");
                case OperationError.AmountTooLarge or OperationError.InvalidAmount:
                    return StripeErrors.StateError(
                        "amount_too_large",
                        $"The amount to capture ({amount}) is greater than the amount capturable ({result.Charge!.AmountCapturable}).",
                        "amount_to_capture");
            }

            LogStateChange(logger, result.Charge!.Id, "succeeded");
            webhooks.PublishPaymentIntentState(result.Charge, key);
            return new PspResponse(200, StripeJson.Serialize(StripeJson.PaymentIntent(result.Charge, expandLatestCharge: form.Expands(LatestCharge))));
        }, ct);
    }

    public async Task<IResult> CancelPaymentIntentAsync(HttpContext context, string id)
    {
        var ct = context.RequestAborted;
        var (scope, form, rejection) = await ReadRequestAsync(context, CancelParameters, ExpandOnly, PaymentIntentExpansions);
        if (rejection is not null)
        {
            return rejection;
        }

        var reason = form.Get("cancellation_reason");
        if (reason is not (null or "duplicate" or "fraudulent" or "requested_by_customer" or "abandoned"))
        {
            return PspPipeline.Respond(StripeErrors.InvalidRequest("parameter_invalid_string", $"Invalid cancellation_reason: {reason}", "cancellation_reason"));
        }

        var key = IdempotencyKey(context.Request);
        var call = new PspCall(Psp.Stripe, FaultEndpoint.Cancel, scope, key, form.Fingerprint("POST", $"/v1/payment_intents/{id}/cancel"));
        return await pipeline.RunAsync(call, StripeErrors.Instance, () =>
        {
            var result = charges.Cancel(Psp.Stripe, id, reason, time.GetUtcNow(), allowDeclined: true);
            switch (result.Error)
            {
                case OperationError.NotFound:
                    return StripeErrors.Missing("payment_intent", id);
                case OperationError.InvalidState:
                    return StripeErrors.StateError(
                        "payment_intent_unexpected_state",
                        $"You cannot cancel this PaymentIntent because it has a status of {StripeJson.Status(result.Charge!.Status)}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.");
            }

            LogStateChange(logger, id, "canceled");
            webhooks.PublishPaymentIntentState(result.Charge!, key);
            return new PspResponse(200, StripeJson.Serialize(StripeJson.PaymentIntent(result.Charge!, expandLatestCharge: form.Expands(LatestCharge))));
        }, ct);
    }

    public async Task<IResult> CreateRefundAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var (scope, form, rejection) = await ReadRequestAsync(context, RefundParameters, MetadataAndExpand);
        if (rejection is not null)
        {
            return rejection;
        }

        var (amount, amountError) = form.PositiveInteger("amount");
        if (amountError is not null)
        {
            return PspPipeline.Respond(amountError);
        }

        var reason = form.Get("reason");
        if (reason is not (null or "duplicate" or "fraudulent" or "requested_by_customer"))
        {
            return PspPipeline.Respond(StripeErrors.InvalidRequest("parameter_invalid_string", $"Invalid reason: {reason}", "reason"));
        }

        var paymentIntentId = form.Get("payment_intent");
        var chargeId = form.Get("charge");
        if (paymentIntentId is null && chargeId is null)
        {
            return PspPipeline.Respond(StripeErrors.InvalidRequest("parameter_missing", "One of the following params should be provided for this request: payment_intent or charge.", "payment_intent"));
        }

        var metadata = form.Hash("metadata");
        var key = IdempotencyKey(context.Request);
        var call = new PspCall(Psp.Stripe, FaultEndpoint.Refund, scope, key, form.Fingerprint("POST", "/v1/refunds"));
        return await pipeline.RunAsync(call, StripeErrors.Instance, () =>
        {
            var target = paymentIntentId is not null
                ? charges.Find(Psp.Stripe, paymentIntentId)
                : charges.List(Psp.Stripe).FirstOrDefault(c => string.Equals(c.ChargeId, chargeId, StringComparison.Ordinal));
            if (target is null)
            {
                return paymentIntentId is not null
                    ? StripeErrors.Missing("payment_intent", paymentIntentId, "payment_intent")
                    : StripeErrors.Missing("charge", chargeId!, "charge");
            }

            if (amount is { } requested && Currencies.StripeAmountRefusal(requested, target.Currency) is { } refusal)
            {
                return StripeErrors.InvalidAmount(refusal, "amount") with { Replayable = true };
            }

            var now = time.GetUtcNow();
            var result = charges.Refund(Psp.Stripe, target.Id, amount, toRefund =>
                new Movement(Ids.Stripe("re"), MovementKind.Refund, toRefund, now, metadata.GetValueOrDefault(ReferenceMetadataKey), reason, metadata, key));
            switch (result.Error)
            {
                case OperationError.InvalidState when result.Charge!.Status == ChargeStatus.Captured:
                    return StripeErrors.StateError("charge_already_refunded", $"Charge {result.Charge.ChargeId} has already been refunded.");
                case OperationError.InvalidState:
                    return StripeErrors.StateError(
                        "payment_intent_unexpected_state",
                        $"This PaymentIntent does not have a successful charge to refund (status {StripeJson.Status(result.Charge.Status)}).");
                case OperationError.AmountTooLarge or OperationError.InvalidAmount:
                    return StripeErrors.StateError(
                        "amount_too_large",
                        $"Refund amount ({amount}) is greater than unrefunded amount on charge ({result.Charge!.AmountRefundable}).",
                        "amount");
            }

            var refund = StripeJson.Refund(result.Charge!, result.Movement!, reason, metadata);
            LogStateChange(logger, target.Id, "refunded");
            webhooks.Publish("charge.refunded", StripeJson.Charge(result.Charge!), key);
            webhooks.Publish("refund.created", refund, key);
            return new PspResponse(200, StripeJson.Serialize(refund));
        }, ct);
    }

    public async Task<IResult> RetrieveRefundAsync(HttpContext context, string id)
    {
        var (_, _, rejection) = await ReadRequestAsync(context);
        if (rejection is not null)
        {
            return rejection;
        }

        var call = new PspCall(Psp.Stripe, null, string.Empty, null, string.Empty);
        return await pipeline.RunAsync(call, StripeErrors.Instance, () =>
        {
            if (charges.FindMovement(Psp.Stripe, id) is not { Movement.Kind: MovementKind.Refund } found)
            {
                return StripeErrors.Missing("refund", id);
            }

            var refund = StripeJson.Refund(found.Charge, found.Movement, found.Movement.Reason, found.Movement.Metadata ?? ImmutableSortedDictionary<string, string>.Empty);
            return new PspResponse(200, StripeJson.Serialize(refund));
        }, context.RequestAborted);
    }

    public static IResult NotFound(HttpContext context) => PspPipeline.Respond(StripeErrors.InvalidRequest(
        null,
        $"Unrecognized request URL ({context.Request.Method}: {context.Request.Path}).") with { StatusCode = 404 });

    private PspResponse Create(CreateRequest request, string? idempotencyKey)
    {
        var behavior = PaymentMethodTokens.Resolve(request.PaymentMethod)!.Value;
        var now = time.GetUtcNow();
        var id = Ids.Stripe("pi");
        var chargeId = Ids.Stripe("ch");
        var charge = new Charge
        {
            Psp = Psp.Stripe,
            Id = id,
            ChargeId = chargeId,
            Reference = request.Metadata.GetValueOrDefault(ReferenceMetadataKey),
            Amount = request.Amount,
            Currency = request.Currency.ToUpperInvariant(),
            Status = ChargeStatus.Declined,
            ManualCapture = request.ManualCapture,
            PaymentMethod = request.PaymentMethod,
            Description = request.Description,
            Metadata = request.Metadata,
            IdempotencyKey = idempotencyKey,
            CreatedAt = now,
        };

        charge = behavior switch
        {
            TokenBehavior.Decline => charge with { Decline = new Decline("generic_decline", "Your card was declined.") },
            TokenBehavior.InsufficientFunds => charge with { Decline = new Decline("insufficient_funds", "Your card has insufficient funds.") },
            TokenBehavior.Pending => charge with { Status = ChargeStatus.Pending },
            _ when request.ManualCapture => charge with { Status = ChargeStatus.Authorized },
            _ => charge with
            {
                Status = ChargeStatus.Captured,
                Movements = [new Movement(chargeId, MovementKind.Capture, request.Amount, now, charge.Reference, null, request.Metadata, idempotencyKey)],
            },
        };

        charges.Add(charge);
        var status = StripeJson.Status(charge.Status);
        LogCreated(logger, id, status, charge.Amount, charge.Currency);
        webhooks.PublishPaymentIntentState(charge, idempotencyKey);
        if (behavior == TokenBehavior.Pending)
        {
            deferred.Schedule(options.Value.BankTransferSettleDelay, _ =>
            {
                var settled = charges.Settle(Psp.Stripe, id, chargeId, time.GetUtcNow());
                if (settled.Succeeded)
                {
                    LogStateChange(logger, id, "succeeded");
                    webhooks.PublishPaymentIntentState(settled.Charge!, null);
                }

                return Task.CompletedTask;
            });
        }

        var paymentIntent = StripeJson.PaymentIntent(charge, expandLatestCharge: request.ExpandLatestCharge);
        if (charge.Decline is { } decline)
        {
            var error = StripeJson.DeclineError(charge, decline, paymentIntent);
            return new PspResponse(402, StripeJson.Serialize(new StripeErrorEnvelope(error)));
        }

        return new PspResponse(200, StripeJson.Serialize(paymentIntent), Hold: behavior == TokenBehavior.Timeout);
    }

    private static (CreateRequest? Request, PspResponse? Error) ValidateCreate(StripeForm form)
    {
        if (form.UnknownParameter(CreateParameters, CreateHashes) is { } unknown)
        {
            return (null, UnknownParameter(unknown));
        }

        var (amount, amountError) = form.PositiveInteger("amount");
        if (amountError is not null)
        {
            return (null, amountError);
        }

        if (amount is null)
        {
            return (null, StripeErrors.InvalidRequest("parameter_missing", "Missing required param: amount.", "amount"));
        }

        var currency = form.Get("currency");
        if (currency is null)
        {
            return (null, StripeErrors.InvalidRequest("parameter_missing", "Missing required param: currency.", "currency"));
        }

        if (!Currencies.IsWellFormed(currency))
        {
            return (null, StripeErrors.InvalidRequest("parameter_invalid_string", $"Invalid currency: {currency}. Stripe currencies are three-letter ISO codes.", "currency"));
        }

        if (Currencies.StripeAmountRefusal(amount.Value, currency) is { } refusal)
        {
            return (null, StripeErrors.InvalidAmount(refusal, "amount"));
        }

        var captureMethod = form.Get("capture_method") ?? "automatic";
        if (captureMethod is not ("automatic" or "automatic_async" or "manual"))
        {
            return (null, StripeErrors.InvalidRequest("parameter_invalid_string", $"Invalid capture_method: must be one of automatic, automatic_async, or manual", "capture_method"));
        }

        var (confirm, confirmError) = form.Boolean("confirm");
        if (confirmError is not null)
        {
            return (null, confirmError);
        }

        if (confirm != true)
        {
            return (null, StripeErrors.InvalidRequest(
                "parameter_invalid_boolean",
                "The simulator creates PaymentIntents with confirm=true only (create and confirm in one call).",
                "confirm"));
        }

        var paymentMethod = form.Get("payment_method");
        if (paymentMethod is null)
        {
            return (null, StripeErrors.InvalidRequest("parameter_missing", "Missing required param: payment_method.", "payment_method"));
        }

        if (PaymentMethodTokens.Resolve(paymentMethod) is null)
        {
            return (null, StripeErrors.Missing("PaymentMethod", paymentMethod, "payment_method") with { StatusCode = 400 });
        }

        return (new CreateRequest(
            amount.Value, currency, paymentMethod, captureMethod == "manual", form.Get("description"), form.Hash("metadata"), form.Expands(LatestCharge)), null);
    }

    /// <summary>
    /// The checks every Stripe request starts with, in Stripe's order: the Bearer key, then the form, then (when
    /// <paramref name="allowed"/> is given) parameters the endpoint does not know, then <c>expand[]</c> paths other than
    /// <paramref name="expandable"/>, refused rather than ignored, so a client never gets an id where it asked for an object.
    /// </summary>
    private async Task<(string Scope, StripeForm Form, IResult? Rejection)> ReadRequestAsync(
        HttpContext context, HashSet<string>? allowed = null, string[]? hashes = null, string[]? expandable = null)
    {
        var (scope, authError) = Authenticate(context.Request);
        if (authError is not null)
        {
            return (string.Empty, null!, PspPipeline.Respond(authError));
        }

        var (form, formError) = await StripeForm.ReadAsync(context.Request, context.RequestAborted);
        if (form is null)
        {
            return (string.Empty, null!, PspPipeline.Respond(formError!));
        }

        if (allowed is not null && form.UnknownParameter(allowed, hashes ?? []) is { } unknown)
        {
            return (string.Empty, null!, PspPipeline.Respond(UnknownParameter(unknown)));
        }

        if (form.Hash("expand").Values.FirstOrDefault(path => !(expandable ?? []).Contains(path, StringComparer.Ordinal)) is { } unexpandable)
        {
            return (string.Empty, null!, PspPipeline.Respond(StripeErrors.InvalidRequest(
                null, $"This property cannot be expanded ({unexpandable}). The simulator expands a payment intent's latest_charge only.", "expand")));
        }

        return (scope!, form, null);
    }

    private static PspResponse UnknownParameter(string name) =>
        StripeErrors.InvalidRequest("parameter_unknown", $"Received unknown parameter: {name}", name);

    private (string? Scope, PspResponse? Error) Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || header.Length <= "Bearer ".Length)
        {
            return (null, StripeErrors.Error(401, "invalid_request_error", null,
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."));
        }

        var key = header["Bearer ".Length..].Trim();
        var accepted = options.Value.Stripe.ApiKeys;
        var valid = accepted.Count == 0
            ? key.StartsWith("sk_test_", StringComparison.Ordinal)
            : accepted.Contains(key, StringComparer.Ordinal);
        if (!valid)
        {
            var hint = key.Length > 4 ? key[^4..] : string.Empty;
            return (null, StripeErrors.Error(401, "invalid_request_error", "api_key_invalid", $"Invalid API Key provided: sk_test_****{hint}"));
        }

        return (key, null);
    }

    private static string? IdempotencyKey(HttpRequest request) =>
        request.Headers.TryGetValue("Idempotency-Key", out var value) && value.Count > 0 && !string.IsNullOrEmpty(value[0]) ? value[0] : null;

    [GeneratedRegex(@"\s+AND\s+", RegexOptions.CultureInvariant)]
    private static partial Regex AndSeparator();

    [GeneratedRegex(@"^(?:(?<field>metadata)\['(?<key>[^']+)'\]|(?<field>status)):'(?<value>[^']*)'$", RegexOptions.CultureInvariant)]
    private static partial Regex SearchClause();

    [LoggerMessage(EventId = PspSimulatorLogEvents.StripePaymentIntentCreated, Level = LogLevel.Information, Message = "Stripe PaymentIntent {Id} created: {Status} {Amount} {Currency}")]
    private static partial void LogCreated(ILogger logger, string id, string status, long amount, string currency);

    [LoggerMessage(EventId = PspSimulatorLogEvents.StripePaymentIntentChanged, Level = LogLevel.Information, Message = "Stripe PaymentIntent {Id} is now {State}")]
    private static partial void LogStateChange(ILogger logger, string id, string state);

    private sealed record CreateRequest(
        long Amount,
        string Currency,
        string PaymentMethod,
        bool ManualCapture,
        string? Description,
        ImmutableSortedDictionary<string, string> Metadata,
        bool ExpandLatestCharge);
}
