using Obol.Core.Errors;

namespace Obol.Webhooks;

/// <summary>
/// Merchant webhooks' rejections, each with its stable code; the generic ones (validation, not found) are Core's
/// <see cref="Problems"/>.
/// </summary>
internal static class WebhooksProblems
{
    public static ProblemException EndpointDisabled() =>
        new(409, "webhook_endpoint_disabled", "Webhook endpoint disabled", "A disabled endpoint receives nothing; enable it first.");
}
