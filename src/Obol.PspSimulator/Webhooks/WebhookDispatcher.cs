using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Obol.PspSimulator.Faults;
using Obol.PspSimulator.Scheduling;

namespace Obol.PspSimulator.Webhooks;

/// <summary>
/// Delivers webhooks to the PSP's configured URL, retrying failures (non-2xx or connection error) with
/// exponential backoff up to <see cref="WebhookRetryOptions.MaxAttempts"/>. Webhook faults (drop, duplicate,
/// delay, reorder) are drawn when the event is published.
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
        var target = targets.For(message.Psp);
        if (target.Url is null)
        {
            log.Add(new DeliveryRecord(message.Psp, message.EventId, message.EventType, DeliveryState.NoEndpoint, 0, null, now));
            return;
        }

        var decision = faults.ForWebhook(message.Psp);
        counts.Add(message.Psp, CountedFault.WebhookDelivery);
        if (decision.Drop)
        {
            counts.Add(message.Psp, CountedFault.WebhookDropped);
            log.Add(new DeliveryRecord(message.Psp, message.EventId, message.EventType, DeliveryState.Dropped, 0, null, now));
            LogDropped(logger, message.EventId);
            return;
        }

        Count(message.Psp, decision);
        var copies = decision.Duplicate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var index = log.Add(new DeliveryRecord(message.Psp, message.EventId, message.EventType, DeliveryState.Pending, 0, null, now));
            deferred.Schedule(decision.Delay + decision.ReorderDelay, ct => AttemptAsync(message, index, 1, ct));
        }
    }

    private async Task AttemptAsync(WebhookMessage message, int index, int attempt, CancellationToken cancellationToken)
    {
        var retry = options.Value.WebhookRetry;
        var target = targets.For(message.Psp);
        int? statusCode = null;
        var delivered = false;
        if (target.Url is not null)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
                {
                    Content = new StringContent(message.Body, Encoding.UTF8, "application/json"),
                };
                foreach (var (name, value) in message.Sign(message.Body, time.GetUtcNow(), target.Secret))
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
                    LogAttemptRejected(logger, message.EventId, attempt, statusCode.Value);
                }
            }
            catch (HttpRequestException ex)
            {
                LogAttemptFailed(logger, message.EventId, attempt, ex.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                LogAttemptFailed(logger, message.EventId, attempt, "timeout");
            }
        }

        counts.Add(message.Psp, CountedFault.WebhookAttempt);
        if (!delivered)
        {
            counts.Add(message.Psp, CountedFault.WebhookFailedAttempt);
        }

        var final = delivered || attempt >= retry.MaxAttempts;
        var state = delivered ? DeliveryState.Delivered : final ? DeliveryState.Failed : DeliveryState.Pending;
        log.Update(index, r => r with { State = state, Attempts = attempt, LastStatusCode = statusCode });
        if (delivered)
        {
            LogDelivered(logger, message.EventId, message.EventType, attempt);
        }
        else if (!final)
        {
            deferred.Schedule(retry.DelayBeforeAttempt(attempt + 1), ct => AttemptAsync(message, index, attempt + 1, ct));
        }
        else
        {
            LogGaveUp(logger, message.EventId, attempt);
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

    [LoggerMessage(EventId = 5200, Level = LogLevel.Debug, Message = "Webhook {EventId} ({EventType}) delivered on attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, string eventId, string eventType, int attempt);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Webhook {EventId} attempt {Attempt} failed: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string eventId, int attempt, string reason);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Information, Message = "Webhook {EventId} attempt {Attempt} answered {StatusCode}")]
    private static partial void LogAttemptRejected(ILogger logger, string eventId, int attempt, int statusCode);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Webhook {EventId} not delivered after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, string eventId, int attempts);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Information, Message = "Webhook {EventId} dropped by fault injection")]
    private static partial void LogDropped(ILogger logger, string eventId);
}
