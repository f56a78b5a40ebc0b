using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Obol.Core.Http;

namespace Obol.Server.OpenApi;

/// <summary>
/// Gives each operation what its endpoint's code implies but does not declare: the bearer requirement (endpoints behind
/// <c>RequireAuthorization</c>; PSP webhooks and probes have none), the <c>Idempotency-Key</c> header
/// (<see cref="IdempotencyKeyMetadata"/>), its query parameters' rules, and every problem+json response it can give (the
/// ones of its kind, and those its mapping declares with <see cref="ProblemCaseEndpointExtensions.ProducesProblems"/>).
/// Ids, summaries and descriptions are declared on each mapping (<c>WithName</c>, <c>WithSummary</c>,
/// <c>WithDescription</c>); a handler's XML comment, applied before this transformer, goes before the declared description.
/// </summary>
internal sealed class ObolOperationTransformer : IOpenApiOperationTransformer
{
    public const string ProblemSchema = "Problem";
    public const string BearerScheme = "secretKey";

    /// <summary>Query parameters whose handler requires them or reads them as dates, instants or one of a few words.</summary>
    private static readonly Dictionary<string, Dictionary<string, QueryRule>> QueryRules = new(StringComparer.Ordinal)
    {
        ["GET /v1/payments"] = new() { ["status"] = new(Enum: ["pending", "processing", "authorized", "captured", "partially_refunded", "refunded", "declined", "failed", "cancelled"]) },
        ["GET /v1/ledger/accounts/{id}"] = new() { ["asOf"] = new(Format: "date-time", Description: "Balances as of this instant (RFC 3339).") },
        ["GET /v1/ledger/accounts/{id}/entries"] = new()
        {
            ["from"] = new(Format: "date-time", Description: "Entries at or after this instant (RFC 3339)."),
            ["to"] = new(Format: "date-time", Description: "Entries before this instant (RFC 3339)."),
            ["startingAfter"] = new(Description: "The sequence number of the last entry seen."),
        },
        ["GET /v1/couriers/{id}/earnings"] = new()
        {
            ["from"] = new(Required: true, Format: "date", Description: "The first courier-local date (YYYY-MM-DD)."),
            ["to"] = new(Required: true, Format: "date", Description: "The last courier-local date (YYYY-MM-DD), at most 366 days after from."),
        },
        ["POST /v1/couriers/{id}/recompute"] = new()
        {
            ["from"] = new(Required: true, Format: "date", Description: "The first courier-local date (YYYY-MM-DD)."),
            ["to"] = new(Required: true, Format: "date", Description: "The last courier-local date (YYYY-MM-DD), at most 366 days after from."),
        },
        ["GET /v1/couriers/{id}/anomalies"] = new() { ["status"] = new(Enum: ["open", "resolved"]) },
        ["GET /v1/pay-periods"] = new() { ["courierId"] = new(Required: true) },
        ["GET /v1/scheduled-payments"] = new() { ["status"] = new(Enum: ["scheduled", "processing", "succeeded", "failed", "cancelled", "dead_lettered"]) },
        ["POST /v1/reconciliation/reports"] = new()
        {
            ["psp"] = new(Required: true, Enum: ["stripe", "adyen"]),
            ["date"] = new(Required: true, Format: "date", Description: "The report's settlement day (UTC), YYYY-MM-DD, not in the future."),
        },
        ["GET /v1/reconciliation/runs"] = new() { ["psp"] = new(Enum: ["stripe", "adyen"]), ["date"] = new(Format: "date") },
        ["GET /v1/reconciliation/discrepancies"] = new() { ["status"] = new(Enum: ["open", "superseded", "resolved"]), ["psp"] = new(Enum: ["stripe", "adyen"]) },
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var key = $"{description.HttpMethod} /{description.RelativePath?.TrimEnd('/')}";
        var metadata = description.ActionDescriptor.EndpointMetadata;
        foreach (var body in description.ParameterDescriptions.Where(p => p.Source == BindingSource.Body))
        {
            RequestFields.EnsureCovers(body.Type);
        }

        if (metadata.OfType<IEndpointDescriptionMetadata>().LastOrDefault()?.Description is { } declared
            && operation.Description is { } fromComment && fromComment != declared)
        {
            // The handler's XML comment replaced the declared description: both are kept, the comment first.
            operation.Description = $"{fromComment}\n\n{declared}";
        }

        var secured = metadata.OfType<IAuthorizeData>().Any();
        operation.Security = secured
            ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }]
            : [];

        operation.Parameters ??= [];
        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>())
        {
            if (parameter.In == ParameterLocation.Query)
            {
                ApplyQueryRule(key, parameter);
            }
        }

        var idempotency = metadata.OfType<IdempotencyKeyMetadata>().LastOrDefault()?.Rule;
        if (idempotency is IdempotencyKeyRule.Optional or IdempotencyKeyRule.Required)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = UnitOfWorkFilter.HeaderName,
                In = ParameterLocation.Header,
                Required = idempotency == IdempotencyKeyRule.Required,
                Description = "1 to 255 printable ASCII characters, scoped to the merchant. The first completed response is stored with the "
                    + "request's effects for at least 24 hours and sent again (with `Idempotent-Replayed: true`) for the same request under the "
                    + "same key; the same key on another request is 422 idempotency_key_reused, while the first still runs 409 idempotency_key_in_use.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255, Pattern = "^[\\x20-\\x7E]+$" },
            });
        }

        AddProblems(operation, key, secured, idempotency, metadata.OfType<ProblemCasesMetadata>().SelectMany(m => m.Problems));
        return Task.CompletedTask;
    }

    private static void ApplyQueryRule(string key, OpenApiParameter parameter)
    {
        if (parameter.Schema is not OpenApiSchema schema)
        {
            return;
        }

        if (parameter.Name == "limit")
        {
            schema.Minimum = "1";
            schema.Maximum = PageRequest.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            schema.Default = JsonValue.Create(PageRequest.DefaultLimit);
        }

        if (parameter.Name == "startingAfter")
        {
            parameter.Description = "The id of the last item of the previous page.";
        }

        if (QueryRules.TryGetValue(key, out var rules) && parameter.Name is { } name && rules.TryGetValue(name, out var rule))
        {
            parameter.Required = rule.Required;
            parameter.Description = rule.Description ?? parameter.Description;
            schema.Format = rule.Format ?? schema.Format;
            if (rule.Enum is { } values)
            {
                schema.Type = JsonSchemaType.String;
                schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
            }
        }
    }

    private static void AddProblems(OpenApiOperation operation, string key, bool secured, IdempotencyKeyRule? idempotency, IEnumerable<ProblemCase> declared)
    {
        var problems = new List<ProblemCase>
        {
            new(400, "validation_failed"),
            new(400, "card_number_not_allowed"),
            new(500, "internal_error"),
        };
        var probe = key is "GET /healthz" or "GET /readyz";
        if (!probe)
        {
            problems.Add(new(503, "database_unavailable"));
        }

        if (!key.StartsWith("GET ", StringComparison.Ordinal) && !probe)
        {
            problems.Add(new(503, "commit_outcome_unknown"));
        }

        if (secured)
        {
            problems.Add(new(401, "unauthenticated"));
        }

        if (key.Contains('{', StringComparison.Ordinal))
        {
            problems.Add(new(404, "not_found"));
        }

        if (operation.RequestBody is not null)
        {
            problems.AddRange([new(400, "malformed_json"), new(400, "unknown_field"), new(413, "request_too_large"), new(415, "unsupported_media_type")]);
        }

        switch (idempotency)
        {
            case IdempotencyKeyRule.Required:
                problems.Add(new(400, "idempotency_key_required"));
                goto case IdempotencyKeyRule.Optional;
            case IdempotencyKeyRule.Optional:
                problems.AddRange([new(400, "invalid_idempotency_key"), new(409, "idempotency_key_in_use"), new(422, "idempotency_key_reused")]);
                break;
            case IdempotencyKeyRule.Refused:
                problems.Add(new(400, "idempotency_key_not_supported"));
                break;
        }

        problems.AddRange(declared);
        operation.Responses ??= [];
        foreach (var status in problems.GroupBy(p => p.Status).OrderBy(g => g.Key))
        {
            var codes = string.Join(", ", status.Select(p => $"`{p.Code}`").Distinct(StringComparer.Ordinal));
            operation.Responses[status.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = $"{Reason(status.Key)}: problem+json with code {codes}.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema) },
                },
            };
        }
    }

    private static string Reason(int status) => status switch
    {
        400 => "Bad request",
        401 => "No valid secret key",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Body too large",
        415 => "Unsupported media type",
        422 => "Unprocessable",
        500 => "Internal error",
        502 => "Bad gateway",
        503 => "Unavailable",
        _ => "Error",
    };

    private sealed record QueryRule(bool Required = false, string? Format = null, string[]? Enum = null, string? Description = null);
}
