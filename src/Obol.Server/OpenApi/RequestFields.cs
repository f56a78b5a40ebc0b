using Obol.Core.Errors;
using Obol.Core.Http;
using Obol.Core.Merchants;
using Obol.Fx.Api;
using Obol.Ledger;
using Obol.Payments.Api;
using Obol.Payouts;
using Obol.Payouts.Couriers;
using Obol.Payouts.Events;
using Obol.Reconciliation.Http;
using Obol.Scheduling.Schedules;
using Obol.Webhooks.Api;

namespace Obol.Server.OpenApi;

/// <summary>One field of a request body as its handler validates it.</summary>
internal sealed record FieldRule
{
    /// <summary>The request is refused (or, in a batch, the item rejected) without it.</summary>
    public bool Required { get; init; }

    public int? MinLength { get; init; }

    /// <summary>For text; <see cref="RequestText.MaxLength"/> when not given.</summary>
    public int? MaxLength { get; init; }

    public string? Format { get; init; }
    public string? Pattern { get; init; }
    public long? Minimum { get; init; }
    public long? Maximum { get; init; }
    public IReadOnlyList<string>? Enum { get; init; }
    public int? MinItems { get; init; }
    public int? MaxItems { get; init; }

    /// <summary>For metadata maps: at most this many keys, values at most <see cref="MaxLength"/>.</summary>
    public int? MaxProperties { get; init; }

    /// <summary>Documents the field as a whole number of minor units (int64) whatever its C# type.</summary>
    public bool MinorUnits { get; init; }

    public string? Description { get; init; }
}

/// <summary>
/// What each request body's handler actually requires and accepts, field by field. The request records have
/// all-nullable constructor parameters (a missing field must reach the handler's validation, which answers with every
/// field's problem at once), so the schema generator cannot tell a required field from an optional one, and it calls them
/// all required. This table is the one place that says it, next to nothing else; it is read by
/// <see cref="ObolSchemaTransformer"/>, and a test checks that every request-body schema in the document has an entry
/// and that every field named here exists. Keep it in step with the validators it quotes (the file is named per type).
/// A table rather than attributes on the records: the records stay plain, several of them share rules (metadata, ids),
/// and the rules read together.
/// </summary>
internal static class RequestFields
{
    private const int Text = RequestText.MaxLength;

    private static readonly FieldRule Metadata = new()
    {
        MaxProperties = ValidationErrors.MaxMetadataKeys,
        MaxLength = ValidationErrors.MaxMetadataValueLength,
        Description = $"Up to {ValidationErrors.MaxMetadataKeys} keys of 1 to {ValidationErrors.MaxMetadataKeyLength} characters, each with a string value of at most {ValidationErrors.MaxMetadataValueLength} characters.",
    };

    private static readonly FieldRule Currency = new()
    {
        Required = true,
        Pattern = "^[A-Z]{3}$",
        MaxLength = 3,
        Description = "An ISO 4217 currency code in upper case.",
    };

    private static readonly FieldRule PositiveMinorUnits = new() { MinorUnits = true, Minimum = 1 };

    private static readonly FieldRule PaymentMethod = new()
    {
        Required = true,
        MinLength = 1,
        MaxLength = 255,
        Pattern = "^[A-Za-z0-9_-]+$",
        Description = "A payment method token from the PSP, such as pm_card_visa. Card numbers are refused.",
    };

    private static readonly FieldRule ExternalId = new()
    {
        MinLength = 1,
        MaxLength = 255,
        Pattern = "^[\\x20-\\x7E]+$",
        Description = "1 to 255 printable ASCII characters; a second booking with the same external id answers the first.",
    };

    private static readonly FieldRule Description1000 = new() { MaxLength = 1000 };
    private static readonly FieldRule Instant = new() { Format = "date-time", Description = "RFC 3339 with an offset, years 1970 to 2999." };
    private static readonly FieldRule CourierId = new() { Required = true, MinLength = 1, MaxLength = 100, Pattern = "^[!-~]+$" };

    public static IReadOnlyDictionary<Type, IReadOnlyDictionary<string, FieldRule>> Rules { get; } = new Dictionary<Type, IReadOnlyDictionary<string, FieldRule>>
    {
        // src/Obol.Core/Merchants/ApiKeys.cs (IssueAsync)
        [typeof(CreateApiKeyRequest)] = new Dictionary<string, FieldRule>
        {
            ["mode"] = new() { Enum = ["test", "live"], Description = "Defaults to test." },
            ["label"] = new(),
        },

        // src/Obol.Payments/Api/PaymentsEndpoints.cs (Validate, CaptureAsync, RefundAsync)
        [typeof(CreatePaymentRequest)] = new Dictionary<string, FieldRule>
        {
            ["amount"] = PositiveMinorUnits with { Required = true, Description = "In the currency's minor units." },
            ["currency"] = Currency,
            ["paymentMethod"] = PaymentMethod,
            ["captureMethod"] = new() { Description = "Defaults to automatic." },
            ["description"] = Description1000,
            ["metadata"] = Metadata,
            ["fxQuote"] = new()
            {
                Description = "An FX quote (POST /v1/fx/quotes) from this currency, unexpired and unused, that converts the payment into its target currency. "
                    + "Without one, a merchant with another settlement currency gets a quote at the current rates.",
            },
        },
        [typeof(CaptureRequest)] = new Dictionary<string, FieldRule>
        {
            ["amount"] = PositiveMinorUnits with { Description = "At most the capturable amount; defaults to all of it." },
        },
        [typeof(CreateRefundRequest)] = new Dictionary<string, FieldRule>
        {
            ["amount"] = PositiveMinorUnits with { Description = "At most what is left to refund; defaults to all of it." },
            ["reason"] = new() { MaxLength = 500 },
        },

        // src/Obol.Ledger/Http/LedgerEndpoints.cs (ToNewAccount, ToNewTransaction, ToAmount) and Ledger.cs (LedgerValidation)
        [typeof(CreateAccountRequest)] = new Dictionary<string, FieldRule>
        {
            ["code"] = new() { Required = true, MinLength = 1, MaxLength = 100, Pattern = "^[A-Za-z0-9_.:-]+$" },
            ["type"] = new() { Required = true, Enum = ["asset", "liability", "equity", "revenue", "expense"] },
            ["currency"] = Currency,
            ["owner"] = new() { Description = "Defaults to the calling merchant." },
            ["metadata"] = Metadata,
            ["flags"] = new(),
        },
        [typeof(AccountOwnerRequest)] = new Dictionary<string, FieldRule>
        {
            ["type"] = new() { Required = true, Enum = ["platform", "merchant", "courier"] },
            ["id"] = new() { MaxLength = 255, Description = "Required for a merchant or courier owner." },
        },
        [typeof(AccountFlagsRequest)] = new Dictionary<string, FieldRule>
        {
            ["debitsMustNotExceedCredits"] = new(),
            ["creditsMustNotExceedDebits"] = new(),
        },
        [typeof(TransferRequest)] = new Dictionary<string, FieldRule>
        {
            ["debitAccountId"] = new() { Required = true, MinLength = 1 },
            ["creditAccountId"] = new() { Required = true, MinLength = 1 },
            ["amount"] = PositiveMinorUnits with
            {
                Required = true,
                Description = "A whole number of minor units (a fraction is 400 invalid_amount, more than 2^63-1 is 422 amount_overflow).",
            },
            ["currency"] = Currency,
            ["pending"] = new() { Description = "A two-phase transfer: a hold until posted, voided or timed out. Defaults to false." },
            ["timeoutSeconds"] = new() { Minimum = 1, Maximum = 366L * 24 * 3600, Description = "For a pending transfer: when its hold is released." },
        },
        [typeof(CreateTransactionRequest)] = new Dictionary<string, FieldRule>
        {
            ["transfers"] = new() { Required = true, MinItems = 1 },
            ["externalId"] = ExternalId,
            ["description"] = Description1000,
            ["metadata"] = Metadata,
            ["effectiveAt"] = Instant with { Description = "When the transaction takes effect; defaults to now." },
        },
        [typeof(CreateTransactionBatchRequest)] = new Dictionary<string, FieldRule>
        {
            ["transactions"] = new() { Required = true, MinItems = 1, MaxItems = LedgerEndpoints.MaxBatchTransactions },
        },
        [typeof(PostTransferRequest)] = new Dictionary<string, FieldRule>
        {
            ["amount"] = PositiveMinorUnits with { Description = "At most the pending amount; defaults to all of it." },
            ["externalId"] = ExternalId,
            ["description"] = Description1000,
            ["metadata"] = Metadata,
        },
        [typeof(ResolutionRequest)] = new Dictionary<string, FieldRule>
        {
            ["externalId"] = ExternalId,
            ["description"] = Description1000,
            ["metadata"] = Metadata,
        },

        // src/Obol.Scheduling/Schedules/CreateScheduledPayment.cs (ValidatePayment, ValidateRecurrence, ResolveTime)
        [typeof(CreateScheduledPaymentRequest)] = new Dictionary<string, FieldRule>
        {
            ["amount"] = PositiveMinorUnits with { Required = true },
            ["currency"] = Currency,
            ["paymentMethod"] = PaymentMethod,
            ["captureMethod"] = new() { Enum = ["automatic", "manual"], Description = "Defaults to automatic." },
            ["description"] = Description1000,
            ["metadata"] = Metadata,
            ["executeAt"] = Instant with { Description = "When to run (RFC 3339 with an offset); or give localDateTime and timeZone instead." },
            ["localDateTime"] = new()
            {
                Pattern = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?$",
                Description = "A local date-time without offset (2027-03-14T09:00:00), with timeZone; instead of executeAt.",
            },
            ["timeZone"] = new() { Description = "An IANA time zone name (America/New_York), with localDateTime." },
            ["recurrence"] = new(),
        },
        [typeof(RecurrenceRequest)] = new Dictionary<string, FieldRule>
        {
            ["frequency"] = new() { Required = true, Enum = ["daily", "weekly", "monthly"] },
            ["interval"] = new() { Minimum = 1, Maximum = CreateScheduledPayment.MaxInterval, Description = "Defaults to 1." },
            ["count"] = new() { Minimum = 1, Maximum = CreateScheduledPayment.MaxOccurrences, Description = "How many executions; give count or until." },
            ["until"] = Instant with { Description = "The last instant an execution may be at; give count or until." },
        },

        // src/Obol.Payouts/Couriers/CourierTerms.cs (CourierTermsDecision), Events/DeliveryEvent.cs, PayoutsEndpoints.cs
        [typeof(PutCourierRequest)] = new Dictionary<string, FieldRule>
        {
            ["timeZone"] = new() { Required = true, MinLength = 1, Description = "An IANA time zone name; fixed once set." },
            ["currency"] = Currency with { Description = "An ISO 4217 currency code in upper case; fixed once set." },
            ["basePayRate"] = new() { Required = true, MinorUnits = true, Minimum = 1, Maximum = CourierTerms.MaxBasePayRate },
            ["bonusPay"] = new() { Required = true, MinorUnits = true, Minimum = 0, Maximum = CourierTerms.MaxBonusPay },
            ["deliveriesPerBonus"] = new() { Required = true, Minimum = 1, Maximum = CourierTerms.MaxDeliveriesPerBonus },
            ["cancellationPay"] = new() { MinorUnits = true, Minimum = 0, Maximum = CourierTerms.MaxCancellationPay, Description = "Defaults to 0." },
            ["payPeriodStartDay"] = new()
            {
                Enum = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
                Description = "Defaults to monday; fixed once set.",
            },
            ["effectiveAt"] = Instant with { Description = "When the new terms start to apply; defaults to now." },
        },
        [typeof(DeliveryEventBatch)] = new Dictionary<string, FieldRule>
        {
            ["events"] = new() { Required = true, MaxItems = DeliveryEventBatch.MaxEvents },
        },

        // Each event is checked on its own: one that breaks these rules is listed under `rejected` and the rest are taken.
        [typeof(DeliveryEventInput)] = new Dictionary<string, FieldRule>
        {
            ["eventId"] = CourierId,
            ["courierId"] = CourierId,
            ["orderId"] = CourierId,
            ["status"] = new() { Required = true, Enum = ["accepted", "fulfilled", "cancelled"] },
            ["occurredAt"] = Instant with { Required = true },
        },
        [typeof(ResolveAnomalyRequest)] = new Dictionary<string, FieldRule>
        {
            ["acceptedAt"] = Instant with { Description = "For a fulfilled_without_accepted anomaly: when the delivery was accepted." },
            ["note"] = new(),
        },

        // src/Obol.Reconciliation/Http/ReconciliationEndpoints.cs (Validate, ResolveDiscrepancyAsync)
        [typeof(StartRunRequest)] = new Dictionary<string, FieldRule>
        {
            ["psp"] = new() { Required = true, Enum = ["stripe", "adyen"] },
            ["date"] = new() { Required = true, Format = "date", Description = "The settlement day (UTC), YYYY-MM-DD, not in the future." },
        },
        [typeof(ResolveDiscrepancyRequest)] = new Dictionary<string, FieldRule>
        {
            ["note"] = new() { Required = true, MinLength = 1, MaxLength = 2000, Description = "How the discrepancy was dealt with." },
        },

        // src/Obol.Fx/Api/FxEndpoints.cs (CreateQuoteAsync, LockDuration, PutSettingsAsync)
        [typeof(CreateQuoteRequest)] = new Dictionary<string, FieldRule>
        {
            ["from"] = Currency,
            ["to"] = Currency with { Description = "An ISO 4217 code in upper case, other than from." },
            ["amount"] = PositiveMinorUnits with { Description = "In from's minor units; a quote with an amount converts that amount only." },
            ["lockDuration"] = new() { MaxLength = FxEndpoints.MaxLockDurationLength, Description = "ISO 8601 duration in hours, minutes and seconds (PT5M); defaults to 5 minutes." },
        },
        [typeof(FxSettingsRequest)] = new Dictionary<string, FieldRule>
        {
            ["settlementCurrency"] = new() { Pattern = "^[A-Z]{3}$", Description = "An ISO 4217 code in upper case; left out, each payment settles in its own currency." },
        },

        // src/Obol.Webhooks/Api/WebhooksEndpoints.cs (CheckUrl, CheckEnabledEvents, CheckDescription, ReplayAsync, RedeliverAsync)
        [typeof(CreateWebhookEndpointRequest)] = new Dictionary<string, FieldRule>
        {
            ["url"] = new() { Required = true, MaxLength = CreateWebhookEndpointRequest.MaxUrlLength, Format = "uri",
                Description = "https (http only where configured); not loopback, private or link-local addresses unless configured." },
            ["enabledEvents"] = new() { Required = true, MinItems = 1, MaxItems = WebhooksEndpoints.MaxEnabledEvents,
                Description = "Event types (GET /v1/event-types), families such as payment.*, or * for every type." },
            ["description"] = new() { MaxLength = WebhooksEndpoints.MaxDescriptionLength },
            ["disabled"] = new(),
        },
        [typeof(UpdateWebhookEndpointRequest)] = new Dictionary<string, FieldRule>
        {
            ["url"] = new() { MaxLength = CreateWebhookEndpointRequest.MaxUrlLength, Format = "uri" },
            ["enabledEvents"] = new() { MinItems = 1, MaxItems = WebhooksEndpoints.MaxEnabledEvents },
            ["description"] = new() { MaxLength = WebhooksEndpoints.MaxDescriptionLength },
            ["disabled"] = new() { Description = "false enables a disabled endpoint again; its failing streak starts over." },
        },
        [typeof(ReplayRequest)] = new Dictionary<string, FieldRule>
        {
            ["from"] = Instant with { Required = true },
            ["to"] = Instant with { Required = true, Description = "After from; events created before it are sent." },
        },
        [typeof(RedeliverRequest)] = new Dictionary<string, FieldRule>
        {
            ["endpointId"] = new() { Description = "Without it, every enabled endpoint whose enabledEvents take the event's type." },
        },
    };

    /// <summary>
    /// Throws when a request body, or an object inside it, has no entry here, or an entry names a field the type does not
    /// have: a new or renamed request field must be stated here (the document test fails otherwise).
    /// </summary>
    public static void EnsureCovers(Type bodyType) => EnsureCovers(bodyType, []);

    private static void EnsureCovers(Type type, HashSet<Type> seen)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                EnsureCovers(argument, seen);
            }

            return;
        }

        if (type.IsArray)
        {
            EnsureCovers(type.GetElementType()!, seen);
            return;
        }

        if (type.IsEnum || type.Namespace?.StartsWith("Obol.", StringComparison.Ordinal) != true || !seen.Add(type))
        {
            return;
        }

        var properties = type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.CanWrite || p.SetMethod is not null || type.GetConstructors().Any(c => c.GetParameters().Any(a => a.Name == p.Name)))
            .ToDictionary(p => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(p.Name), p => p.PropertyType, StringComparer.Ordinal);
        if (!Rules.TryGetValue(type, out var fields))
        {
            throw new InvalidOperationException($"The request type {type.FullName} has no entry in {nameof(RequestFields)}: say which of its fields are required.");
        }

        foreach (var name in fields.Keys.Where(name => !properties.ContainsKey(name)))
        {
            throw new InvalidOperationException($"{nameof(RequestFields)} names a field '{name}' that {type.FullName} does not have.");
        }

        foreach (var name in properties.Keys.Where(name => !fields.ContainsKey(name)))
        {
            throw new InvalidOperationException($"The field '{name}' of {type.FullName} has no entry in {nameof(RequestFields)}.");
        }

        foreach (var property in properties.Values)
        {
            EnsureCovers(property, seen);
        }
    }
}
