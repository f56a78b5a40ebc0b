namespace Obol.PspSimulator.Webhooks;

/// <summary>
/// One webhook event, ready to send to each of the PSP's endpoints. <see cref="Body"/> renders the body for an
/// endpoint's secret (Adyen signs each item inside the body; Stripe's body is the same for all); <see cref="Sign"/>
/// produces the signature headers at delivery time (Stripe signs with the attempt's timestamp; Adyen adds none).
/// </summary>
public sealed record WebhookMessage(
    Psp Psp,
    string EventId,
    string EventType,
    Func<string, string> Body,
    Func<string, DateTimeOffset, string, IReadOnlyList<KeyValuePair<string, string>>> Sign);

public enum DeliveryState
{
    Pending,
    Delivered,
    Failed,
    Dropped,
    NoEndpoint,
}

/// <summary>One delivery of an event to one endpoint (<paramref name="Url"/> null: the PSP had no endpoint).</summary>
public sealed record DeliveryRecord(
    Psp Psp,
    string EventId,
    string EventType,
    Uri? Url,
    DeliveryState State,
    int Attempts,
    int? LastStatusCode,
    DateTimeOffset CreatedAt);
