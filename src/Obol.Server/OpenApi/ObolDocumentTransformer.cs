using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Obol.Server.OpenApi;

/// <summary>
/// The document as a whole: its info and tags, the <c>Problem</c> schema every error response refers to, the PSP webhooks'
/// request bodies (read raw by their handlers, so the generator sees none), examples of the main operations, no
/// <c>null</c> in any type (responses are written without nulls; a request leaves a field out rather than sending null),
/// and no component that nothing refers to.
/// </summary>
internal sealed class ObolDocumentTransformer : IOpenApiDocumentTransformer
{
    private static readonly Dictionary<string, string> Tags = new(StringComparer.Ordinal)
    {
        ["Operations"] = "Liveness and readiness probes; no key needed.",
        ["API keys"] = "The calling merchant's secret keys.",
        ["Payments"] = "Card payments through the PSPs: authorize, capture, cancel, refund, and their history.",
        ["PSP webhooks"] = "Where Stripe and Adyen report outcomes; signed by the PSP, not authenticated with a secret key.",
        ["Ledger"] = "The merchant's double-entry books: accounts, balanced transactions, two-phase transfers, verification.",
        ["Courier earnings"] = "Couriers and their pay terms, delivery events, earnings, anomalies and pay periods.",
        ["Scheduled payments"] = "Payments at a future instant or local time, once or recurring.",
        ["Reconciliation"] = "PSP settlement reports matched against captures and refunds; operator keys only.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Obol API";
        document.Info.Description =
            "Obol's HTTP API. JSON bodies in camelCase; amounts are integers in the currency's minor units; instants are RFC 3339; "
            + "errors are RFC 9457 problem+json with a stable `code`. Unknown fields are refused. Optional fields are left out "
            + "(responses never contain null).";
        document.Info.License = new OpenApiLicense { Name = "Proprietary", Url = new Uri("https://obol.invalid/license") };
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Tags = Tags.Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }).ToHashSet();
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ObolOperationTransformer.ProblemSchema] = Problem();
        document.Components.Schemas["StripeEvent"] = StripeEvent();
        document.Components.Schemas["AdyenNotification"] = AdyenNotification();

        Webhooks(document);
        OperationExamples.Apply(document);
        foreach (var schema in AllSchemas(document).ToList())
        {
            WithoutNull(schema);
        }

        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            var media = (operation.RequestBody?.Content?.Values ?? []).Concat(
                (operation.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>()).SelectMany(r => r.Content?.Values ?? []));
            foreach (var content in media.Where(m => m.Schema is not null))
            {
                content.Schema = Collapse(content.Schema!);
            }
        }

        RemoveUnused(document);
        return Task.CompletedTask;
    }

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details. Branch on `code`, which is stable; the other texts are for people.",
        Required = new HashSet<string>(StringComparer.Ordinal) { "type", "title", "status", "code" },
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference", Description = "`urn:obol:problem:{code}`." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[a-z0-9_]+$", Description = "Stable, snake_case." },
            ["requestId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's id, to quote when reporting a problem." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "For validation_failed and unknown_field: the messages of each field, by its path (`transfers[0].amount`).",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };

    private static OpenApiSchema Text() => new() { Type = JsonSchemaType.String };

    private static OpenApiSchema StripeEvent() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "A Stripe event (https://docs.stripe.com/api/events/object). Events about payment intents and refunds Obol made are applied; others are stored and ignored.",
        Required = new HashSet<string>(StringComparer.Ordinal) { "id", "type", "data" },
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["id"] = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 255 },
            ["object"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("event")] },
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 255, Description = "payment_intent.succeeded, charge.refunded, refund.updated, …" },
            ["api_version"] = Text(),
            ["created"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
            ["livemode"] = new OpenApiSchema { Type = JsonSchemaType.Boolean },
            ["data"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string>(StringComparer.Ordinal) { "object" },
                Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                {
                    ["object"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Description = "A payment intent or a refund, with its currency and Obol's metadata (obol_payment_id, obol_attempt_id).",
                    },
                },
            },
        },
    };

    private static OpenApiSchema AdyenNotification()
    {
        var item = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string>(StringComparer.Ordinal)
            {
                "pspReference", "merchantAccountCode", "merchantReference", "amount", "eventCode", "success", "additionalData",
            },
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["pspReference"] = Text(),
                ["originalReference"] = Text(),
                ["merchantAccountCode"] = Text(),
                ["merchantReference"] = Text(),
                ["amount"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string>(StringComparer.Ordinal) { "value", "currency" },
                    Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                    {
                        ["value"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
                        ["currency"] = Text(),
                    },
                },
                ["eventCode"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "AUTHORISATION, CAPTURE, CANCELLATION, REFUND, …" },
                ["success"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true"), JsonValue.Create("false")] },
                ["reason"] = Text(),
                ["eventDate"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
                ["additionalData"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string>(StringComparer.Ordinal) { "hmacSignature" },
                    Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
                    {
                        ["hmacSignature"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            Description = "Base64(HMAC-SHA256(key, pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success)).",
                        },
                    },
                },
            },
        };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An Adyen standard notification (https://docs.adyen.com/development-resources/webhooks). Every item must carry a valid HMAC signature.",
            Required = new HashSet<string>(StringComparer.Ordinal) { "notificationItems" },
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["live"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true"), JsonValue.Create("false")] },
                ["notificationItems"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    MinItems = 1,
                    Items = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string>(StringComparer.Ordinal) { "NotificationRequestItem" },
                        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal) { ["NotificationRequestItem"] = item },
                    },
                },
            },
        };
    }

    private static void Webhooks(OpenApiDocument document)
    {
        if (document.Paths.TryGetValue("/webhooks/psp/stripe", out var stripePath) && stripePath.Operations?.GetValueOrDefault(HttpMethod.Post) is { } stripe)
        {
            stripe.RequestBody = JsonBody("StripeEvent", "The event exactly as Stripe signed it.");
            stripe.Parameters ??= [];
            stripe.Parameters.Add(new OpenApiParameter
            {
                Name = "Stripe-Signature",
                In = ParameterLocation.Header,
                Required = true,
                Description = "`t=<unix time>,v1=<hex HMAC-SHA256 of \"t.payload\" with the webhook secret>`.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            stripe.Responses ??= [];
            stripe.Responses["200"] = new OpenApiResponse
            {
                Description = "Received (applied, stored, or a repeat).",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string>(StringComparer.Ordinal) { "received" },
                            Properties = new Dictionary<string, IOpenApiSchema> { ["received"] = new OpenApiSchema { Type = JsonSchemaType.Boolean } },
                        },
                    },
                },
            };
        }

        if (document.Paths.TryGetValue("/webhooks/psp/adyen", out var adyenPath) && adyenPath.Operations?.GetValueOrDefault(HttpMethod.Post) is { } adyen)
        {
            adyen.RequestBody = JsonBody("AdyenNotification", "The notification exactly as Adyen sent it.");
            adyen.Responses ??= [];
            adyen.Responses["200"] = new OpenApiResponse
            {
                Description = "Received: Adyen's expected acknowledgement.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("[accepted]")] } },
                },
            };
        }
    }

    private static OpenApiRequestBody JsonBody(string schema, string description) => new()
    {
        Required = true,
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchemaReference(schema) } },
    };

    /// <summary>Every schema object in the document, components and inline ones, each once.</summary>
    private static IEnumerable<OpenApiSchema> AllSchemas(OpenApiDocument document)
    {
        var roots = new List<IOpenApiSchema>();
        roots.AddRange(document.Components?.Schemas?.Values ?? []);
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            roots.AddRange((operation.Parameters ?? []).Select(p => p.Schema).OfType<IOpenApiSchema>());
            roots.AddRange((operation.RequestBody?.Content?.Values ?? []).Select(c => c.Schema).OfType<IOpenApiSchema>());
            roots.AddRange((operation.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>()).SelectMany(r => r.Content?.Values ?? []).Select(c => c.Schema).OfType<IOpenApiSchema>());
        }

        var seen = new HashSet<OpenApiSchema>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<IOpenApiSchema>(roots);
        while (stack.Count > 0)
        {
            if (stack.Pop() is not OpenApiSchema schema || !seen.Add(schema))
            {
                continue;
            }

            yield return schema;
            foreach (var child in Children(schema))
            {
                stack.Push(child);
            }
        }
    }

    private static IEnumerable<IOpenApiSchema> Children(OpenApiSchema schema) =>
        (schema.Properties?.Values ?? []).Concat(schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Concat(schema.AllOf ?? [])
            .Concat(new[] { schema.Items, schema.AdditionalProperties }.OfType<IOpenApiSchema>());

    /// <summary>Takes <c>null</c> out of a schema's type and its children's <c>oneOf: [null, X]</c>, which become X.</summary>
    private static void WithoutNull(OpenApiSchema schema)
    {
        if (schema.Type is { } type && type != JsonSchemaType.Null)
        {
            schema.Type = type & ~JsonSchemaType.Null;
        }

        if (schema.Properties is { } properties)
        {
            foreach (var name in properties.Keys.ToList())
            {
                properties[name] = Collapse(properties[name]);
            }
        }

        if (schema.Items is { } items)
        {
            schema.Items = Collapse(items);
        }

        if (schema.AdditionalProperties is { } values)
        {
            schema.AdditionalProperties = Collapse(values);
        }
    }

    private static IOpenApiSchema Collapse(IOpenApiSchema schema)
    {
        if (schema is OpenApiSchema { OneOf: { Count: 2 } oneOf } wrapper && oneOf.Count(IsNull) == 1 && wrapper.Properties is not { Count: > 0 })
        {
            var other = oneOf.Single(s => !IsNull(s));
            if (wrapper.Description is null)
            {
                return other;
            }

            wrapper.OneOf = null;
            wrapper.AllOf = [other];
            return wrapper;
        }

        return schema;

        static bool IsNull(IOpenApiSchema s) => s is OpenApiSchema { Type: JsonSchemaType.Null };
    }

    /// <summary>Drops component schemas that nothing refers to (left behind by the webhooks' and problems' own schemas).</summary>
    private static void RemoveUnused(OpenApiDocument document)
    {
        var schemas = document.Components!.Schemas!;
        while (true)
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var schema in AllReferences(document))
            {
                used.Add(schema);
            }

            var unused = schemas.Keys.Where(k => !used.Contains(k)).ToList();
            if (unused.Count == 0)
            {
                return;
            }

            foreach (var name in unused)
            {
                schemas.Remove(name);
            }
        }
    }

    private static HashSet<string> AllReferences(OpenApiDocument document)
    {
        var roots = new List<IOpenApiSchema>();
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            roots.AddRange((operation.Parameters ?? []).Select(p => p.Schema).OfType<IOpenApiSchema>());
            roots.AddRange((operation.RequestBody?.Content?.Values ?? []).Select(c => c.Schema).OfType<IOpenApiSchema>());
            roots.AddRange((operation.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>()).SelectMany(r => r.Content?.Values ?? []).Select(c => c.Schema).OfType<IOpenApiSchema>());
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var visited = new HashSet<OpenApiSchema>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<IOpenApiSchema>(roots);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (next is OpenApiSchemaReference reference)
            {
                var id = reference.Reference.Id;
                if (id is not null && seen.Add(id) && document.Components?.Schemas is { } all && all.TryGetValue(id, out var target))
                {
                    stack.Push(target);
                }
            }
            else if (next is OpenApiSchema schema && visited.Add(schema))
            {
                foreach (var child in Children(schema))
                {
                    stack.Push(child);
                }
            }
        }

        return seen;
    }
}
