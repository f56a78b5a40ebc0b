using System.Text.Json;
using System.Text.Json.Serialization;
using Obol.Webhooks.Delivery;
using Obol.Webhooks.Endpoints;

namespace Obol.Webhooks.Api;

public sealed record CreateWebhookEndpointRequest(string Url, IReadOnlyList<string> EnabledEvents, string? Description, bool? Disabled)
{
    /// <summary>The longest endpoint URL accepted, on creation and on update.</summary>
    public const int MaxUrlLength = 2048;
}

/// <summary>Fields left out stay as they are.</summary>
public sealed record UpdateWebhookEndpointRequest(string? Url, IReadOnlyList<string>? EnabledEvents, string? Description, bool? Disabled);

/// <summary>Events created in [from, to) are sent again, in order.</summary>
public sealed record ReplayRequest(DateTimeOffset From, DateTimeOffset To);

/// <summary>Without an endpoint, to every endpoint of the merchant that enables the event's type.</summary>
public sealed record RedeliverRequest(string? EndpointId);

public sealed record WebhookEndpointBacklog(long Pending, DateTimeOffset? OldestPendingSince);

/// <param name="Secret">The signing secret: only in the answer that created it (creation, rotation).</param>
/// <param name="PreviousSecretExpiresAt">After a rotation: until when the previous secret also signs deliveries.</param>
public sealed record WebhookEndpointResponse(
    string Id,
    string Url,
    IReadOnlyList<string> EnabledEvents,
    string? Description,
    bool Disabled,
    string? DisabledReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    WebhookEndpointBacklog? Backlog,
    string? Secret,
    DateTimeOffset? PreviousSecretExpiresAt)
{
    internal static WebhookEndpointResponse From(WebhookEndpoint endpoint, EndpointBacklog? backlog = null, bool withSecret = false) => new(
        endpoint.Id, endpoint.Url, endpoint.EnabledEvents, endpoint.Description, endpoint.Disabled, endpoint.DisabledReason,
        endpoint.CreatedAt, endpoint.UpdatedAt, backlog is null ? null : new WebhookEndpointBacklog(backlog.Pending, backlog.OldestPendingSince),
        withSecret ? endpoint.Secret : null, endpoint.PreviousSecret is null ? null : endpoint.PreviousSecretExpiresAt);
}

public sealed record EventDataResponse([property: JsonPropertyName("object")] JsonElement DataObject);

/// <summary>An event, exactly as it is delivered to webhook endpoints.</summary>
public sealed record EventResponse(string Id, string Type, DateTimeOffset CreatedAt, string ApiVersion, long ObjectSequence, EventDataResponse Data);

public sealed record EventTypeResponse(string Name, string Module, string Description);

public sealed record DeliveryAttemptResponse(
    string Id, string EventId, string EndpointId, int Attempt, DateTimeOffset AttemptedAt, string Outcome, int? StatusCode,
    int LatencyMs, string? ResponseBody, string? Error)
{
    internal static DeliveryAttemptResponse From(DeliveryAttempt a) =>
        new(a.Id, a.EventId, a.EndpointId, a.Attempt, a.AttemptedAt, a.Outcome, a.StatusCode, a.LatencyMs, a.ResponseBody, a.Error);
}

/// <param name="Deliveries">How many deliveries were queued.</param>
public sealed record QueuedResponse(int Deliveries);
