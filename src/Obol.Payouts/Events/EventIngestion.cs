using Obol.Core.Storage;
using Obol.Payouts.Anomalies;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.Events;

internal sealed record IngestResult(int Accepted, int Duplicates, IReadOnlyList<RejectedEvent> Rejected);

/// <summary>
/// At-least-once ingestion. Raw events are appended (a repeated event id inserts nothing); a repeat with the same
/// content counts as a duplicate, one with different content is rejected and recorded as an anomaly. The orders
/// that got new events are then re-derived from all their raw events, so arrival order never matters.
/// </summary>
internal static class EventIngestion
{
    /// <param name="write">The write session.</param>
    /// <param name="inputs">The batch.</param>
    /// <param name="termsCache">Where couriers' terms are kept between batches; without one they are read from the store.</param>
    /// <param name="copyFirst">The node's <see cref="CopyFirstPolicy"/>; without one, new orders are always copied first.</param>
    public static async Task<IngestResult> IngestAsync(
        EngineWrite write, IReadOnlyList<DeliveryEventInput> inputs, CourierTermsCache? termsCache = null, CopyFirstPolicy? copyFirst = null)
    {
        var rejected = new List<RejectedEvent>();
        var duplicates = 0;
        var conflicts = new List<(DeliveryEvent Incoming, DeliveryEvent Stored)>();
        var candidates = new List<DeliveryEvent>(inputs.Count);
        var firstById = new Dictionary<string, DeliveryEvent>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var e = DeliveryEventValidation.Validate(input, out var rejection);
            if (e is null)
            {
                rejected.Add(rejection!);
            }
            else if (firstById.TryGetValue(e.EventId, out var first))
            {
                if (first.SameContentAs(e))
                {
                    duplicates++;
                }
                else
                {
                    rejected.Add(ConflictRejection(e, first));
                    conflicts.Add((e, first));
                }
            }
            else
            {
                firstById[e.EventId] = e;
                candidates.Add(e);
            }
        }

        var courierIds = candidates.Select(e => e.CourierId).Distinct(StringComparer.Ordinal).ToList();
        var epoch = await CourierTermsStore.EpochAsync(write.Session, write.MerchantId);
        var terms = termsCache is null
            ? await CourierTermsStore.GetManyAsync(write.Session, write.MerchantId, courierIds)
            : await termsCache.GetManyAsync(write.Session, write.MerchantId, epoch, courierIds);
        var known = new List<DeliveryEvent>(candidates.Count);
        foreach (var e in candidates)
        {
            if (terms.ContainsKey(e.CourierId))
            {
                known.Add(e);
            }
            else
            {
                rejected.Add(new RejectedEvent(e.EventId, "unknown_courier",
                    $"Courier '{e.CourierId}' has no pay terms; create it with PUT /v1/couriers/{{id}} and send the event again."));
            }
        }

        var inserted = await DeliveryEventStore.AppendAsync(write, known, terms);
        var notInserted = known.Where(e => !inserted.Contains(e.EventId)).ToList();
        if (notInserted.Count > 0)
        {
            var stored = await DeliveryEventStore.GetAsync(write.Session, write.MerchantId, notInserted.Select(e => e.EventId).ToList());
            foreach (var e in notInserted)
            {
                var original = stored[e.EventId];
                if (original.SameContentAs(e))
                {
                    duplicates++;
                }
                else
                {
                    rejected.Add(ConflictRejection(e, original));
                    conflicts.Add((e, original));
                }
            }
        }

        if (conflicts.Count > 0)
        {
            await AnomalyStore.RecordEventConflictsAsync(write, conflicts);
        }

        var appended = known.Where(e => inserted.Contains(e.EventId)).ToList();
        var orders = appended.Select(e => new OrderKey(e.CourierId, e.OrderId)).Distinct().ToList();
        await DeliveryRecalculation.ApplyAsync(write, orders, appended, (terms, epoch), copyFirst ?? new CopyFirstPolicy());

        return new IngestResult(inserted.Count, duplicates, InInputOrder(rejected, inputs));
    }

    /// <summary>Rejections in the order their events came in (an event without an id first).</summary>
    private static List<RejectedEvent> InInputOrder(List<RejectedEvent> rejected, IReadOnlyList<DeliveryEventInput> inputs)
    {
        if (rejected.Count == 0)
        {
            return rejected;
        }

        var order = inputs.Select((input, index) => (input.EventId, index))
            .Where(p => p.EventId is not null)
            .GroupBy(p => p.EventId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().index, StringComparer.Ordinal);
        return rejected.OrderBy(r => r.EventId is not null && order.TryGetValue(r.EventId, out var i) ? i : -1).ToList();
    }

    private static RejectedEvent ConflictRejection(DeliveryEvent incoming, DeliveryEvent stored) =>
        new(incoming.EventId, "event_id_conflict",
            $"Event '{incoming.EventId}' was already received with different content ({DeliveryEvent.StatusName(stored.Status)} for order '{stored.OrderId}' of courier '{stored.CourierId}' at {StoredInstant.SqliteText(stored.OccurredAt)}). Event ids must not be reused.");
}
