using Microsoft.Extensions.Logging;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Webhooks.Api;
using Obol.Webhooks.Delivery;

namespace Obol.Webhooks.Endpoints;

/// <summary>
/// Follows whether an endpoint's deliveries succeed: it is failing from its first failed try after its last success, and
/// an endpoint failing for <see cref="WebhooksOptions.DisableAfter"/> is disabled, with a <c>webhook_endpoint.disabled</c> event.
/// </summary>
internal sealed partial class EndpointHealth(WebhookEndpointStore endpoints, IEventOutbox outbox, WebhooksOptions options, ILogger<EndpointHealth> logger)
{
    public const string DisabledEvent = "webhook_endpoint.disabled";

    public async Task RecordAsync(DbSession session, IReadOnlyList<(AttemptResult Result, AttemptOutcome Outcome, DateTimeOffset? NextAttemptAt)> results)
    {
        var byEndpoint = results.GroupBy(r => r.Result.Delivery.EndpointId);
        var succeeded = new List<string>();
        var failed = new List<(string Id, DateTimeOffset FirstFailure, DateTimeOffset LastFailure)>();
        foreach (var endpoint in byEndpoint)
        {
            if (endpoint.Any(r => r.Outcome == AttemptOutcome.Succeeded))
            {
                succeeded.Add(endpoint.Key);
            }
            else
            {
                failed.Add((endpoint.Key, endpoint.Min(r => r.Result.AttemptedAt), endpoint.Max(r => r.Result.AttemptedAt)));
            }
        }

        if (succeeded.Count > 0)
        {
            await session.ExecuteAsync(
                $"UPDATE webhook_endpoints SET failing_since = NULL WHERE failing_since IS NOT NULL AND {session.InList("id", "ids")}",
                new { ids = session.ListOf(succeeded) });
        }

        foreach (var (id, firstFailure, lastFailure) in failed)
        {
            await session.ExecuteAsync("UPDATE webhook_endpoints SET failing_since = @firstFailure WHERE id = @id AND failing_since IS NULL", new { id, firstFailure });
            var failingLong = await session.QueryAsync<(string Id, string MerchantId)>(
                $"SELECT id AS Id, merchant_id AS MerchantId FROM webhook_endpoints WHERE id = @id AND NOT disabled AND failing_since <= @since{(session.IsPostgres ? " FOR UPDATE" : "")}",
                new { id, since = lastFailure - options.DisableAfter });
            foreach (var (endpointId, merchantId) in failingLong)
            {
                var endpoint = (await endpoints.GetAsync(session, merchantId, endpointId))!;
                var disabled = endpoint with
                {
                    Disabled = true,
                    DisabledReason = $"Every delivery failed for {options.DisableAfter.TotalDays:0.##} days.",
                    UpdatedAt = lastFailure,
                };
                await endpoints.UpdateAsync(session, disabled);
                await outbox.AppendAsync(session, new MerchantEvent(merchantId, DisabledEvent, endpointId, WebhookEndpointResponse.From(disabled)));
                LogDisabled(logger, endpointId, merchantId);
            }
        }
    }

    [LoggerMessage(EventId = WebhooksLogEvents.EndpointDisabled, Level = LogLevel.Warning, Message = "Webhook endpoint {EndpointId} of {MerchantId} disabled: every delivery failed for the configured time")]
    private static partial void LogDisabled(ILogger logger, string endpointId, string merchantId);
}
