namespace Obol.Webhooks.Endpoints;

/// <summary>A merchant's URL that events are delivered to, as stored.</summary>
internal sealed record WebhookEndpoint
{
    public required string Id { get; init; }
    public required string MerchantId { get; init; }
    public required string Url { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyList<string> EnabledEvents { get; init; }
    public bool Disabled { get; init; }
    public string? DisabledReason { get; init; }
    public required string Secret { get; init; }
    public string? PreviousSecret { get; init; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; init; }
    public DateTimeOffset? FailingSince { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The stored form of <see cref="EnabledEvents"/>: <c>*</c>, or the names between commas.</summary>
    public static string StoredEnabledEvents(IReadOnlyList<string> names) =>
        names.Contains("*") ? "*" : "," + string.Join(',', names) + ",";

    public static IReadOnlyList<string> ReadEnabledEvents(string stored) =>
        stored == "*" ? ["*"] : stored.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>An endpoint's deliveries not yet done: how many, and since when the oldest waits.</summary>
internal sealed record EndpointBacklog(long Pending, DateTimeOffset? OldestPendingSince);
