using System.Text.Json.Serialization;
using Obol.Core.Http;
using Obol.Core.Storage;
using Obol.Core.Time;
using Obol.Payouts.Couriers;

namespace Obol.Payouts.Events;

internal enum DeliveryStatus
{
    Accepted,
    Fulfilled,
    Cancelled,
}

/// <summary>A validated lifecycle event. <see cref="OccurredAt"/> is UTC, truncated to microseconds (what both databases keep).</summary>
internal sealed record DeliveryEvent(string EventId, string CourierId, string OrderId, DeliveryStatus Status, DateTimeOffset OccurredAt)
{
    public static string StatusName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Accepted => "accepted",
        DeliveryStatus.Fulfilled => "fulfilled",
        _ => "cancelled",
    };

    public static DeliveryStatus ParseStatus(string text) => text switch
    {
        "accepted" => DeliveryStatus.Accepted,
        "fulfilled" => DeliveryStatus.Fulfilled,
        "cancelled" => DeliveryStatus.Cancelled,
        _ => throw new FormatException($"Unknown delivery status '{text}'."),
    };

    /// <summary>Same event id with the same content: a harmless re-delivery.</summary>
    public bool SameContentAs(DeliveryEvent other) =>
        string.Equals(CourierId, other.CourierId, StringComparison.Ordinal)
        && string.Equals(OrderId, other.OrderId, StringComparison.Ordinal)
        && Status == other.Status
        && OccurredAt == other.OccurredAt;
}

/// <summary>
/// One event as sent: every field a string, read as sent and checked by <see cref="DeliveryEventValidation"/>, so that
/// one bad event is rejected on its own.
/// </summary>
public sealed record DeliveryEventInput
{
    [JsonConverter(typeof(RequestText.CheckedByItemValidation))]
    public string? EventId { get; init; }

    [JsonConverter(typeof(RequestText.CheckedByItemValidation))]
    public string? CourierId { get; init; }

    [JsonConverter(typeof(RequestText.CheckedByItemValidation))]
    public string? OrderId { get; init; }

    [JsonConverter(typeof(RequestText.CheckedByItemValidation))]
    public string? Status { get; init; }

    [JsonConverter(typeof(RequestText.CheckedByItemValidation))]
    public string? OccurredAt { get; init; }
}

public sealed record DeliveryEventBatch
{
    public const int MaxEvents = 1000;

    public IReadOnlyList<DeliveryEventInput>? Events { get; init; }
}

internal sealed record RejectedEvent(string? EventId, string Code, string Detail);

internal static class DeliveryEventValidation
{
    /// <summary>Checks one event's shape; <c>null</c> with a rejection when it is not usable.</summary>
    public static DeliveryEvent? Validate(DeliveryEventInput input, out RejectedEvent? rejection)
    {
        rejection = null;
        if (!CourierIds.IsValid(input.EventId))
        {
            rejection = new RejectedEvent(input.EventId, "invalid_event", "eventId is required: 1 to 100 printable ASCII characters without spaces.");
            return null;
        }

        string? problem = null;
        var parsed = TryParseInstant(input.OccurredAt, out var occurredAt);
        if (!CourierIds.IsValid(input.CourierId))
        {
            problem = "courierId is required: 1 to 100 printable ASCII characters without spaces.";
        }
        else if (!CourierIds.IsValid(input.OrderId))
        {
            problem = "orderId is required: 1 to 100 printable ASCII characters without spaces.";
        }
        else if (input.Status is not ("accepted" or "fulfilled" or "cancelled"))
        {
            problem = "status must be accepted, fulfilled or cancelled.";
        }
        else if (!parsed)
        {
            problem = $"occurredAt must be {ApiTime.InstantRule}.";
        }

        if (problem is not null)
        {
            rejection = new RejectedEvent(input.EventId, "invalid_event", problem);
            return null;
        }

        return new DeliveryEvent(input.EventId!, input.CourierId!, input.OrderId!, DeliveryEvent.ParseStatus(input.Status!), occurredAt);
    }

    /// <summary>An instant as <see cref="ApiTime"/> accepts it, to UTC, truncated to microseconds.</summary>
    public static bool TryParseInstant(string? text, out DateTimeOffset instant)
    {
        var parsed = ApiTime.TryParseInstant(text, out instant);
        instant = parsed ? StoredInstant.Of(instant) : default;
        return parsed;
    }
}
