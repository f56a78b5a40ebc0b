using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Errors;
using Obol.Core.Events;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Core.Time;
using Obol.Webhooks.Delivery;
using Obol.Webhooks.Endpoints;
using Obol.Webhooks.Events;

namespace Obol.Webhooks.Api;

public static class WebhooksEndpoints
{
    public const string TestEvent = "webhook_endpoint.test";
    public const int MaxDescriptionLength = 1000;
    public const int MaxEnabledEvents = 100;

    /// <summary>
    /// <c>/v1/webhook-endpoints</c> (create, list, get, update, delete, rotate the secret, send a test event, replay a time
    /// range, the delivery log) and <c>/v1/events</c> (list, get, redeliver, the delivery log, the event types).
    /// </summary>
    public static IEndpointRouteBuilder MapWebhooksEndpoints(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.MapGroup("/v1/webhook-endpoints").WithTags("Webhooks").RequireAuthorization();
        endpoints.MapPost("/", CreateAsync).WithUnitOfWork(IdempotencyKeyRule.Refused)
            .WithName("createWebhookEndpoint").WithSummary("Create a webhook endpoint")
            .WithDescription("The answer holds the signing secret (whsec_…); it is shown only here and after a rotation.");
        endpoints.MapGet("/", ListAsync)
            .WithName("listWebhookEndpoints").WithSummary("List webhook endpoints, newest first");
        endpoints.MapGet("/{id}", GetAsync)
            .WithName("getWebhookEndpoint").WithSummary("Get a webhook endpoint and its backlog");
        endpoints.MapPatch("/{id}", UpdateAsync).WithUnitOfWork(IdempotencyKeyRule.Optional)
            .WithName("updateWebhookEndpoint").WithSummary("Change a webhook endpoint's URL, events, description or disabled flag");
        endpoints.MapDelete("/{id}", DeleteAsync).WithUnitOfWork(IdempotencyKeyRule.Optional)
            .WithName("deleteWebhookEndpoint").WithSummary("Delete a webhook endpoint").WithDescription("Its pending deliveries are not sent.");
        endpoints.MapPost("/{id}/rotate-secret", RotateSecretAsync).WithUnitOfWork(IdempotencyKeyRule.Refused)
            .WithName("rotateWebhookEndpointSecret").WithSummary("Issue a new signing secret")
            .WithDescription("The previous secret keeps signing beside the new one for Obol:Webhooks:SecretOverlap (24 h by default).");
        endpoints.MapPost("/{id}/test", SendTestAsync).WithUnitOfWork(IdempotencyKeyRule.Optional)
            .WithName("sendTestWebhook").WithSummary("Send a webhook_endpoint.test event to this endpoint alone")
            .ProducesProblems(new ProblemCase(409, "webhook_endpoint_disabled"));
        endpoints.MapPost("/{id}/replay", ReplayAsync).WithUnitOfWork(IdempotencyKeyRule.Optional)
            .WithName("replayWebhooks").WithSummary("Send the events of a time range to this endpoint again, in order");
        endpoints.MapGet("/{id}/delivery-attempts", EndpointAttemptsAsync)
            .WithName("listEndpointDeliveryAttempts").WithSummary("The delivery log of an endpoint, newest first");

        var events = routes.MapGroup("/v1/events").WithTags("Webhooks").RequireAuthorization();
        events.MapGet("/", ListEventsAsync)
            .WithName("listEvents").WithSummary("List events, newest first");
        events.MapGet("/{id}", GetEventAsync)
            .WithName("getEvent").WithSummary("Get an event as it was delivered");
        events.MapPost("/{id}/redeliver", RedeliverAsync).WithUnitOfWork(IdempotencyKeyRule.Optional)
            .WithName("redeliverEvent").WithSummary("Send an event again to one endpoint or to every endpoint that takes it");
        events.MapGet("/{id}/delivery-attempts", EventAttemptsAsync)
            .WithName("listEventDeliveryAttempts").WithSummary("The delivery log of an event, newest first");
        routes.MapGet("/v1/event-types", EventTypes).WithTags("Webhooks").RequireAuthorization()
            .WithName("listEventTypes").WithSummary("The event types Obol sends");
        return routes;
    }

    private static async Task<Created<WebhookEndpointResponse>> CreateAsync(
        CreateWebhookEndpointRequest request, HttpContext http, RequestUnitOfWork unitOfWork, WebhookEndpointStore store, EndpointAddressRule addresses,
        EventTypeNames types, IdGenerator ids, TimeProvider clock)
    {
        var errors = new ValidationErrors();
        CheckUrl(errors, addresses, request.Url);
        CheckEnabledEvents(errors, types, request.EnabledEvents);
        CheckDescription(errors, request.Description);
        errors.ThrowIfAny();

        var now = StoredInstant.Of(clock.GetUtcNow());
        var endpoint = new WebhookEndpoint
        {
            Id = ids.New("we"),
            MerchantId = http.MerchantId(),
            Url = request.Url,
            Description = request.Description,
            EnabledEvents = request.EnabledEvents.Distinct(StringComparer.Ordinal).ToList(),
            Disabled = request.Disabled ?? false,
            Secret = WebhookSignature.NewSecret(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await store.InsertAsync(unitOfWork.Session, endpoint);
        return TypedResults.Created($"/v1/webhook-endpoints/{endpoint.Id}",
            WebhookEndpointResponse.From(endpoint, new EndpointBacklog(0, null), withSecret: true));
    }

    private static async Task<Ok<Page<WebhookEndpointResponse>>> ListAsync(HttpContext http, Database database, WebhookEndpointStore store, int? limit, string? startingAfter)
    {
        var page = PageRequest.From(limit, startingAfter);
        var result = await database.ReadAsync(async s =>
        {
            var found = await store.ListAsync(s, http.MerchantId(), page);
            var withBacklog = new List<WebhookEndpointResponse>(found.Data.Count);
            foreach (var endpoint in found.Data)
            {
                withBacklog.Add(WebhookEndpointResponse.From(endpoint, await store.BacklogAsync(s, endpoint.Id)));
            }

            return new Page<WebhookEndpointResponse>(withBacklog, found.HasMore);
        }, http.RequestAborted);
        return TypedResults.Ok(result);
    }

    private static async Task<Ok<WebhookEndpointResponse>> GetAsync(string id, HttpContext http, Database database, WebhookEndpointStore store) =>
        TypedResults.Ok(await database.ReadAsync(async s =>
        {
            var endpoint = await store.GetAsync(s, http.MerchantId(), id) ?? throw Problems.NotFound("webhook endpoint", id);
            return WebhookEndpointResponse.From(endpoint, await store.BacklogAsync(s, id));
        }, http.RequestAborted));

    private static async Task<Ok<WebhookEndpointResponse>> UpdateAsync(
        string id, UpdateWebhookEndpointRequest request, HttpContext http, RequestUnitOfWork unitOfWork, WebhookEndpointStore store,
        DeliveryStore deliveries, DispatchSignal signal, EndpointAddressRule addresses, EventTypeNames types, TimeProvider clock)
    {
        var errors = new ValidationErrors();
        if (request.Url is not null)
        {
            CheckUrl(errors, addresses, request.Url);
        }

        if (request.EnabledEvents is not null)
        {
            CheckEnabledEvents(errors, types, request.EnabledEvents);
        }

        CheckDescription(errors, request.Description);
        errors.ThrowIfAny();

        var session = unitOfWork.Session;
        var endpoint = await store.GetAsync(session, http.MerchantId(), id, forUpdate: true) ?? throw Problems.NotFound("webhook endpoint", id);
        var enabling = request.Disabled == false && endpoint.Disabled;
        var updated = endpoint with
        {
            Url = request.Url ?? endpoint.Url,
            EnabledEvents = request.EnabledEvents?.Distinct(StringComparer.Ordinal).ToList() ?? endpoint.EnabledEvents,
            Description = request.Description ?? endpoint.Description,
            Disabled = request.Disabled ?? endpoint.Disabled,
            DisabledReason = request.Disabled is null ? endpoint.DisabledReason : request.Disabled.Value ? "Disabled through the API." : null,

            // Enabled again: its failing streak starts over.
            FailingSince = enabling ? null : endpoint.FailingSince,
            UpdatedAt = StoredInstant.Of(clock.GetUtcNow()),
        };
        await store.UpdateAsync(session, updated);
        if (updated.Disabled && !endpoint.Disabled)
        {
            await deliveries.ParkAsync(session, id);
        }
        else if (enabling)
        {
            await deliveries.PromoteEndpointAsync(session, id, updated.UpdatedAt);
            signal.WakeAfterCommit(session);
        }

        return TypedResults.Ok(WebhookEndpointResponse.From(updated, await store.BacklogAsync(session, id)));
    }

    private static async Task<Ok<DeletedResponse>> DeleteAsync(
        string id, HttpContext http, RequestUnitOfWork unitOfWork, WebhookEndpointStore store, DeliveryStore deliveries, TimeProvider clock)
    {
        var session = unitOfWork.Session;
        _ = await store.GetAsync(session, http.MerchantId(), id, forUpdate: true) ?? throw Problems.NotFound("webhook endpoint", id);
        await store.DeleteAsync(session, id, StoredInstant.Of(clock.GetUtcNow()));
        await deliveries.ParkAsync(session, id);
        return TypedResults.Ok(new DeletedResponse(id, true));
    }

    /// <remarks>The previous secret keeps signing (beside the new one) for <see cref="WebhooksOptions.SecretOverlap"/>.</remarks>
    private static async Task<Ok<WebhookEndpointResponse>> RotateSecretAsync(
        string id, HttpContext http, RequestUnitOfWork unitOfWork, WebhookEndpointStore store, WebhooksOptions options, TimeProvider clock)
    {
        var session = unitOfWork.Session;
        var endpoint = await store.GetAsync(session, http.MerchantId(), id, forUpdate: true) ?? throw Problems.NotFound("webhook endpoint", id);
        var now = StoredInstant.Of(clock.GetUtcNow());
        var rotated = endpoint with
        {
            Secret = WebhookSignature.NewSecret(),
            PreviousSecret = endpoint.Secret,
            PreviousSecretExpiresAt = now + options.SecretOverlap,
            UpdatedAt = now,
        };
        await store.UpdateAsync(session, rotated);
        return TypedResults.Ok(WebhookEndpointResponse.From(rotated, await store.BacklogAsync(session, id), withSecret: true));
    }

    /// <summary>A <c>webhook_endpoint.test</c> event about the endpoint, delivered to it alone.</summary>
    private static async Task<Created<EventResponse>> SendTestAsync(
        string id, HttpContext http, RequestUnitOfWork unitOfWork, WebhookEndpointStore store, EventStore events, EventReader reader)
    {
        var session = unitOfWork.Session;
        var endpoint = await store.GetAsync(session, http.MerchantId(), id) ?? throw Problems.NotFound("webhook endpoint", id);
        if (endpoint.Disabled)
        {
            throw WebhooksProblems.EndpointDisabled();
        }

        var eventId = await events.AppendAsync(session, new MerchantEvent(endpoint.MerchantId, TestEvent, endpoint.Id, WebhookEndpointResponse.From(endpoint)), endpoint.Id);
        var created = (await reader.GetAsync(session, endpoint.MerchantId, eventId))!;
        return TypedResults.Created($"/v1/events/{eventId}", created);
    }

    private static async Task<Accepted<QueuedResponse>> ReplayAsync(
        string id, ReplayRequest request, HttpContext http, RequestUnitOfWork unitOfWork, WebhookEndpointStore store, DeliveryStore deliveries,
        DispatchSignal signal, TimeProvider clock)
    {
        if (request.To <= request.From)
        {
            throw Problems.Validation("to", "Must be after from.");
        }

        var session = unitOfWork.Session;
        var endpoint = await store.GetAsync(session, http.MerchantId(), id) ?? throw Problems.NotFound("webhook endpoint", id);
        var queued = await deliveries.ReplayAsync(session, endpoint.MerchantId, endpoint.Id, WebhookEndpoint.StoredEnabledEvents(endpoint.EnabledEvents),
            request.From, request.To, StoredInstant.Of(clock.GetUtcNow()));
        signal.WakeAfterCommit(unitOfWork.Session);
        return TypedResults.Accepted($"/v1/webhook-endpoints/{id}", new QueuedResponse(queued));
    }

    private static async Task<Ok<Page<DeliveryAttemptResponse>>> EndpointAttemptsAsync(
        string id, HttpContext http, Database database, WebhookEndpointStore store, DeliveryStore deliveries, int? limit, string? startingAfter)
    {
        var page = PageRequest.From(limit, startingAfter);
        var attempts = await database.ReadAsync(async s =>
        {
            _ = await store.GetAsync(s, http.MerchantId(), id) ?? throw Problems.NotFound("webhook endpoint", id);
            return await deliveries.AttemptsAsync(s, id, null, page);
        }, http.RequestAborted);
        return TypedResults.Ok(new Page<DeliveryAttemptResponse>(attempts.Data.Select(DeliveryAttemptResponse.From).ToList(), attempts.HasMore));
    }

    private static async Task<Ok<Page<EventResponse>>> ListEventsAsync(
        HttpContext http, Database database, EventReader reader, EventTypeNames types, string? type, string? objectId, string? createdFrom, string? createdTo,
        int? limit, string? startingAfter)
    {
        var errors = new ValidationErrors();
        if (type is not null && !types.IsKnown(type))
        {
            errors.Add("type", "Not an event type (GET /v1/event-types lists them).");
        }

        var from = ApiTime.OptionalInstant(errors, "createdFrom", createdFrom);
        var to = ApiTime.OptionalInstant(errors, "createdTo", createdTo);
        errors.ThrowIfAny();
        var page = PageRequest.From(limit, startingAfter);
        return TypedResults.Ok(await database.ReadAsync(s => reader.ListAsync(s, http.MerchantId(), type, objectId, from, to, page), http.RequestAborted));
    }

    private static async Task<Ok<EventResponse>> GetEventAsync(string id, HttpContext http, Database database, EventReader reader) =>
        TypedResults.Ok(await database.ReadAsync(s => reader.GetAsync(s, http.MerchantId(), id), http.RequestAborted) ?? throw Problems.NotFound("event", id));

    private static async Task<Accepted<QueuedResponse>> RedeliverAsync(
        string id, RedeliverRequest? request, HttpContext http, RequestUnitOfWork unitOfWork, EventReader reader, WebhookEndpointStore store,
        DeliveryStore deliveries, DispatchSignal signal, TimeProvider clock)
    {
        var session = unitOfWork.Session;
        var merchantId = http.MerchantId();
        var evt = await reader.GetAsync(session, merchantId, id) ?? throw Problems.NotFound("event", id);
        List<string> targets;
        if (request?.EndpointId is { } endpointId)
        {
            var endpoint = await store.GetAsync(session, merchantId, endpointId) ?? throw Problems.NotFound("webhook endpoint", endpointId);
            targets = [endpoint.Id];
        }
        else
        {
            targets = [];
            string? after = null;
            do
            {
                var page = await store.ListAsync(session, merchantId, new PageRequest(PageRequest.MaxLimit, after));
                targets.AddRange(page.Data.Where(e => !e.Disabled && EventTypeNames.Enables(e.EnabledEvents, evt.Type)).Select(e => e.Id));
                after = page.HasMore ? page.Data[^1].Id : null;
            }
            while (after is not null);
        }

        var queued = targets.Count == 0 ? 0 : await deliveries.EnqueueAsync(session, id, targets, StoredInstant.Of(clock.GetUtcNow()));
        signal.WakeAfterCommit(session);
        return TypedResults.Accepted($"/v1/events/{id}", new QueuedResponse(queued));
    }

    private static async Task<Ok<Page<DeliveryAttemptResponse>>> EventAttemptsAsync(
        string id, HttpContext http, Database database, EventReader reader, DeliveryStore deliveries, int? limit, string? startingAfter)
    {
        var page = PageRequest.From(limit, startingAfter);
        var attempts = await database.ReadAsync(async s =>
        {
            _ = await reader.GetAsync(s, http.MerchantId(), id) ?? throw Problems.NotFound("event", id);
            return await deliveries.AttemptsAsync(s, null, id, page);
        }, http.RequestAborted);
        return TypedResults.Ok(new Page<DeliveryAttemptResponse>(attempts.Data.Select(DeliveryAttemptResponse.From).ToList(), attempts.HasMore));
    }

    private static Ok<Page<EventTypeResponse>> EventTypes(EventTypeNames types) =>
        TypedResults.Ok(new Page<EventTypeResponse>(types.All.Select(t => new EventTypeResponse(t.Type.Name, t.Module, t.Type.Description)).ToList(), false));

    private static void CheckUrl(ValidationErrors errors, EndpointAddressRule addresses, string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            errors.Add("url", "Required.");
        }
        else if (addresses.Problem(url) is { } problem)
        {
            errors.Add("url", problem);
        }
    }

    private static void CheckEnabledEvents(ValidationErrors errors, EventTypeNames types, IReadOnlyList<string>? names)
    {
        if (names is null || names.Count == 0)
        {
            errors.Add("enabledEvents", "Name at least one event type, a family such as payment.*, or * for all.");
            return;
        }

        if (names.Count > MaxEnabledEvents)
        {
            errors.Add("enabledEvents", $"At most {MaxEnabledEvents} names.");
            return;
        }

        foreach (var unknown in names.Where(n => !types.IsSelectable(n)))
        {
            errors.Add("enabledEvents", $"'{(unknown.Length > 100 ? unknown[..100] + "…" : unknown)}' is not an event type (GET /v1/event-types lists them), a family such as payment.*, or *.");
        }
    }

    private static void CheckDescription(ValidationErrors errors, string? description)
    {
        if (description is { Length: > MaxDescriptionLength })
        {
            errors.Add("description", $"At most {MaxDescriptionLength} characters.");
        }
    }
}

public sealed record DeletedResponse(string Id, bool Deleted);
