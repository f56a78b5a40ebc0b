using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Obol.PspSimulator.Faults;
using Obol.PspSimulator.Scheduling;

namespace Obol.PspSimulator.Webhooks;

/// <summary>
/// Delivers each event to every webhook endpoint its PSP has when the event is published. Each (event, endpoint)
/// delivery is independent: its own fault draws (drop, duplicate, delay, reorder, in endpoint order), its own
/// retries of failures (non-2xx, connection error, timeout) with exponential backoff up to
/// <see cref="WebhookRetryOptions.MaxAttempts"/>, its own record; an endpoint that is down delays only its own.
/// </summary>
public sealed partial class WebhookDispatcher(
    IHttpClientFactory httpClientFactory,
    WebhookTargets targets,
    FaultInjector faults,
    FaultCounts counts,
    DeferredWork deferred,
    WebhookLog log,
    TimeProvider time,
    IOptions<PspSimulatorOptions> options,
    ILogger<WebhookDispatcher> logger)
{
    public const string HttpClientName = "Obol.PspSimulator.Webhooks";

    public void Publish(WebhookMessage message)
    {
        var now = time.GetUtcNow();
        var endpoints = targets.For(message.Psp);
        if (endpoints.Count == 0)
        {
            log.Add(new DeliveryRecord(message.Psp, message.EventId, message.EventType, null, DeliveryState.NoEndpoint, 0, null, now));
            return;
        }

        foreach (var endpoint in endpoints)
        {
            var decision = faults.ForWebhook(message.Psp);
            counts.Add(message.Psp, CountedFault.WebhookDelivery);
            if (decision.Drop)
            {
                counts.Add(message.Psp, CountedFault.WebhookDropped);
                log.Add(new DeliveryRecord(message.Psp, message.EventId, message.EventType, endpoint.Url, DeliveryState.Dropped, 0, null, now));
                LogDropped(logger, message.EventId, endpoint.Url);
                continue;
            }

            Count(message.Psp, decision);
            var delivery = new Delivery(message, endpoint, message.Body(endpoint.Secret));
            var copies = decision.Duplicate ? 2 : 1;
            for (var i = 0; i < copies; i++)
            {
                var id = log.Add(new DeliveryRecord(message.Psp, message.EventId, message.EventType, endpoint.Url, DeliveryState.Pending, 0, null, now));
                deferred.Schedule(decision.Delay + decision.ReorderDelay, ct => AttemptAsync(delivery, id, 1, ct));
            }
        }
    }

    private async Task AttemptAsync(Delivery delivery, long id, int attempt, CancellationToken cancellationToken)
    {
        var retry = options.Value.WebhookRetry;
        var (message, endpoint, body) = delivery;
        int? statusCode = null;
        var delivered = false;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            foreach (var (name, value) in message.Sign(body, time.GetUtcNow(), endpoint.Secret))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(retry.RequestTimeout);
            var client = httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, timeout.Token);
            statusCode = (int)response.StatusCode;
            delivered = response.IsSuccessStatusCode;
            if (!delivered)
            {
                LogAttemptRejected(logger, message.EventId, endpoint.Url, attempt, statusCode.Value);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException)
        {
            // SocketHttpHandler lets a few socket errors through unwrapped (a peer that resets the connection while it
            // is being set up: "Transport endpoint is not connected"); they are failed attempts like any other.
            LogAttemptFailed(logger, message.EventId, endpoint.Url, attempt, ex.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogAttemptFailed(logger, message.EventId, endpoint.Url, attempt, "timeout");
        }

        counts.Add(message.Psp, CountedFault.WebhookAttempt);
        if (!delivered)
        {
            counts.Add(message.Psp, CountedFault.WebhookFailedAttempt);
        }

        var final = delivered || attempt >= retry.MaxAttempts;
        var state = delivered ? DeliveryState.Delivered : final ? DeliveryState.Failed : DeliveryState.Pending;
        log.Update(id, r => r with { State = state, Attempts = attempt, LastStatusCode = statusCode });
        if (delivered)
        {
            LogDelivered(logger, message.EventId, message.EventType, endpoint.Url, attempt);
        }
        else if (!final)
        {
            deferred.Schedule(retry.DelayBeforeAttempt(attempt + 1), ct => AttemptAsync(delivery, id, attempt + 1, ct));
        }
        else
        {
            LogGaveUp(logger, message.EventId, endpoint.Url, attempt);
        }
    }

    private void Count(Psp psp, WebhookFaultDecision decision)
    {
        if (decision.Duplicate)
        {
            counts.Add(psp, CountedFault.WebhookDuplicated);
        }

        if (decision.Delay > TimeSpan.Zero)
        {
            counts.Add(psp, CountedFault.WebhookDelayed);
        }

        if (decision.ReorderDelay > TimeSpan.Zero)
        {
            counts.Add(psp, CountedFault.WebhookReordered);
        }
    }

    /// <summary>An event bound to one endpoint, with the body rendered for that endpoint's secret.</summary>
    private sealed record Delivery(WebhookMessage Message, WebhookEndpoint Endpoint, string Body);

    [LoggerMessage(EventId = PspSimulatorLogEvents.WebhookDelivered, Level = LogLevel.Debug, Message = "Webhook {EventId} ({EventType}) delivered to {Url} on attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, string eventId, string eventType, Uri url, int attempt);

    [LoggerMessage(EventId = PspSimulatorLogEvents.WebhookAttemptFailed, Level = LogLevel.Information, Message = "Webhook {EventId} to {Url} attempt {Attempt} failed: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string eventId, Uri url, int attempt, string reason);

    [LoggerMessage(EventId = PspSimulatorLogEvents.WebhookAttemptRejected, Level = LogLevel.Information, Message = "Webhook {EventId} to {Url} attempt {Attempt} answered {StatusCode}")]
    private static partial void LogAttemptRejected(ILogger logger, string eventId, Uri url, int attempt, int statusCode);

    [LoggerMessage(EventId = PspSimulatorLogEvents.WebhookGaveUp, Level = LogLevel.Warning, Message = "Webhook {EventId} not delivered to {Url} after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, string eventId, Uri url, int attempts);

    [LoggerMessage(EventId = PspSimulatorLogEvents.WebhookDropped, Level = LogLevel.Information, Message = "Webhook {EventId} to {Url} dropped by fault injection")]
    private static partial void LogDropped(ILogger logger, string eventId, Uri url);
}
