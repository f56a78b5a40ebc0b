
namespace Obol.PspSimulator.Webhooks;

/// <summary>
/// One webhook ready to send. <see cref="Sign"/> produces the signature headers at delivery time
/// (Stripe signs with the attempt's timestamp; Adyen signs inside the body, so it adds none).
/// </summary>
public sealed record WebhookMessage(
    Psp Psp,
    string EventId,
    string EventType,
    string Body,
    Func<string, DateTimeOffset, string, IReadOnlyList<KeyValuePair<string, string>>> Sign);

public enum DeliveryState
{
    Pending,
    Delivered,
    Failed,
    Dropped,
    NoEndpoint,
}

public sealed record DeliveryRecord(Psp Psp, string EventId, string EventType, DeliveryState State, int Attempts, int? LastStatusCode, DateTimeOffset CreatedAt);
