using NodaTime;
using Obol.Payouts.Anomalies;
using Obol.Payouts.Couriers;
using Obol.Payouts.Events;
using Obol.Payouts.PayRules;

namespace Obol.Payouts.Earnings;

internal static class DeliveryState
{
    /// <summary>Accepted, nothing else yet.</summary>
    public const string Accepted = "accepted";

    /// <summary>Accepted and fulfilled: paid.</summary>
    public const string Completed = "completed";

    /// <summary>Fulfilled without an accept: held, unpaid, until the accept arrives or the anomaly is resolved.</summary>
    public const string Held = "held";

    /// <summary>Cancelled after accept: paid the cancellation pay.</summary>
    public const string CancelledAfterAccept = "cancelled_after_accept";

    /// <summary>Cancelled with no accept: nothing to pay.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>What one order pays, derived from all its raw events and nothing else.</summary>
internal sealed record DeliveryOutcome
{
    public required string CourierId { get; init; }
    public required string OrderId { get; init; }
    public required string State { get; init; }
    public DateTimeOffset? AcceptedAt { get; init; }
    public DateTimeOffset? FulfilledAt { get; init; }
    public DateTimeOffset? CancelledAt { get; init; }

    /// <summary>The courier-local date the pay is attributed to; null when nothing is paid.</summary>
    public LocalDate? LocalDate { get; init; }

    public long Minutes { get; init; }
    public long Amount { get; init; }
    public bool Completed { get; init; }
    public bool Cancellation { get; init; }
    public int? TermsVersion { get; init; }
    public required IReadOnlyList<DetectedAnomaly> Anomalies { get; init; }

    /// <summary>All the order's raw event ids (<see cref="OrderEventIds"/>); an order with one is rebuilt from its row.</summary>
    public required string EventIds { get; init; }
}

/// <summary>
/// The pay rules for one order. Pure: the same events and terms always give the same outcome, whatever order the
/// events arrived in, which is what makes a recompute from raw events deterministic.
/// </summary>
internal static class DeliveryPricing
{
    public static DeliveryOutcome Price(string courierId, string orderId, IReadOnlyList<DeliveryEvent> events, CourierTermsHistory terms)
    {
        var anomalies = new List<DetectedAnomaly>();
        var accepted = Earliest(events, DeliveryStatus.Accepted, orderId, anomalies);
        var fulfilled = Earliest(events, DeliveryStatus.Fulfilled, orderId, anomalies);
        var cancelled = Earliest(events, DeliveryStatus.Cancelled, orderId, anomalies);

        var outcome = new DeliveryOutcome
        {
            CourierId = courierId,
            OrderId = orderId,
            State = DeliveryState.Accepted,
            AcceptedAt = accepted?.OccurredAt,
            FulfilledAt = fulfilled?.OccurredAt,
            CancelledAt = cancelled?.OccurredAt,
            Anomalies = anomalies,
            EventIds = OrderEventIds.Of(events),
        };

        if (fulfilled is not null)
        {
            if (cancelled is not null && cancelled.OccurredAt > fulfilled.OccurredAt)
            {
                anomalies.Add(new DetectedAnomaly(AnomalyKind.CancelledAfterFulfilled, cancelled.EventId,
                    $"Order {orderId} was cancelled at {cancelled.OccurredAt:O} after it was fulfilled at {fulfilled.OccurredAt:O}; it is paid as fulfilled."));
            }

            if (accepted is null)
            {
                anomalies.Add(new DetectedAnomaly(AnomalyKind.FulfilledWithoutAccepted, fulfilled.EventId,
                    $"Order {orderId} was fulfilled at {fulfilled.OccurredAt:O} with no accepted event; it is held unpaid until the accept arrives or the anomaly is resolved."));
                return outcome with { State = DeliveryState.Held };
            }

            if (fulfilled.OccurredAt < accepted.OccurredAt)
            {
                anomalies.Add(new DetectedAnomaly(AnomalyKind.FulfilledBeforeAccepted, fulfilled.EventId,
                    $"Order {orderId} was fulfilled at {fulfilled.OccurredAt:O}, before it was accepted at {accepted.OccurredAt:O}; it counts as completed with the time the inclusive-minute rule gives (0 when the minutes are reversed)."));
            }

            var version = terms.At(fulfilled.OccurredAt);
            var minutes = DeliveryMinutes.Inclusive(WholeMinute.Of(accepted.OccurredAt), WholeMinute.Of(fulfilled.OccurredAt));
            return outcome with
            {
                State = DeliveryState.Completed,
                LocalDate = version.LocalDateOf(fulfilled.OccurredAt),
                Minutes = minutes,
                Amount = version.DeliveryPay(minutes),
                Completed = true,
                TermsVersion = version.Version,
            };
        }

        if (cancelled is not null)
        {
            if (accepted is null || cancelled.OccurredAt < accepted.OccurredAt)
            {
                return outcome with { State = DeliveryState.Cancelled };
            }

            var version = terms.At(cancelled.OccurredAt);
            return outcome with
            {
                State = DeliveryState.CancelledAfterAccept,
                LocalDate = version.LocalDateOf(cancelled.OccurredAt),
                Amount = version.CancellationPay,
                Cancellation = true,
                TermsVersion = version.Version,
            };
        }

        return outcome;
    }

    /// <summary>
    /// The earliest event of a status (ties by event id, as for the latest, which the conflict names). Two events of one status at different instants are a
    /// conflicting duplicate: the earliest is used and the conflict is reported.
    /// </summary>
    private static DeliveryEvent? Earliest(IReadOnlyList<DeliveryEvent> events, DeliveryStatus status, string orderId, List<DetectedAnomaly> anomalies)
    {
        DeliveryEvent? earliest = null;
        DeliveryEvent? latest = null;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Status != status)
            {
                continue;
            }

            if (earliest is null || e.OccurredAt < earliest.OccurredAt
                || (e.OccurredAt == earliest.OccurredAt && string.CompareOrdinal(e.EventId, earliest.EventId) < 0))
            {
                earliest = e;
            }

            if (latest is null || e.OccurredAt > latest.OccurredAt
                || (e.OccurredAt == latest.OccurredAt && string.CompareOrdinal(e.EventId, latest.EventId) > 0))
            {
                latest = e;
            }
        }

        if (earliest is not null && latest is not null && latest.OccurredAt != earliest.OccurredAt)
        {
            anomalies.Add(new DetectedAnomaly(AnomalyKind.ConflictingDuplicate, latest.EventId,
                $"Order {orderId} has {DeliveryEvent.StatusName(status)} events at {earliest.OccurredAt:O} and {latest.OccurredAt:O}; the earliest is used."));
        }

        return earliest;
    }
}
