using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Scheduling.Api;

namespace Obol.Scheduling.Schedules;

/// <summary>
/// The merchant events of scheduled payments. Every history row a merchant cares about reports exactly one event, in
/// the unit of work that appends the row, with the scheduled payment as <c>GET /v1/scheduled-payments/{id}</c> returns
/// it at that moment. The runner's own bookkeeping (a claim, a reclaimed lease, a claim handed back unstarted) reports
/// nothing: each claim ends in an outcome row that does.
/// </summary>
internal static class ScheduleEvents
{
    public const string Created = "scheduled_payment.created";
    public const string Succeeded = "scheduled_payment.succeeded";
    public const string Retrying = "scheduled_payment.retrying";
    public const string Failed = "scheduled_payment.failed";
    public const string DeadLettered = "scheduled_payment.dead_lettered";
    public const string Requeued = "scheduled_payment.requeued";
    public const string Cancelled = "scheduled_payment.cancelled";

    public static EventType[] Types { get; } =
    [
        new(Created, "A scheduled payment was created. Its status is `scheduled`; it runs at `nextAttemptAt`."),
        new(Succeeded,
            "An occurrence was charged: the payment it created is the last entry of `payments`. A recurring schedule with occurrences "
            + "left is `scheduled` again for the next one (`occurrence`, `nextAttemptAt`); after the last or only occurrence its status "
            + "is `succeeded`. Sent once per occurrence."),
        new(Retrying,
            "An attempt to charge an occurrence failed with an error that may pass (the code is `lastErrorCode`, for example "
            + "`psp_unavailable` or `execution_timeout`). It is tried again at `nextAttemptAt` with the same idempotency key, so the "
            + "occurrence is never charged twice."),
        new(Failed,
            "An occurrence's payment was declined (`lastErrorCode` is the decline code, the declined payment is the last entry of "
            + "`payments`). A decline is final: the status is `failed` and nothing more is charged."),
        new(DeadLettered,
            "An occurrence failed its last attempt (`lastErrorCode` says why). The status is `dead_lettered`: nothing more is tried "
            + "until you retry it with `POST /v1/scheduled-payments/{id}/retry`."),
        new(Requeued,
            "A dead-lettered scheduled payment was put back in the queue (`POST /v1/scheduled-payments/{id}/retry`): its occurrence "
            + "runs again at `nextAttemptAt` with a fresh set of attempts and the same idempotency key."),
        new(Cancelled, "A scheduled payment was cancelled before it ran (`POST /v1/scheduled-payments/{id}/cancel`); nothing more is charged."),
    ];

    /// <summary>The event a history row reports, or null for the runner's bookkeeping. A reason without a decision here is a bug.</summary>
    public static string? TypeFor(string reason) => reason switch
    {
        HistoryReason.Created => Created,
        HistoryReason.OccurrenceSucceeded or HistoryReason.Succeeded => Succeeded,
        HistoryReason.RetryScheduled => Retrying,
        HistoryReason.Declined => Failed,
        HistoryReason.AttemptsExhausted or HistoryReason.LeaseExpiredAttemptsExhausted => DeadLettered,
        HistoryReason.RetriedByMerchant => Requeued,
        HistoryReason.CancelledByMerchant => Cancelled,
        HistoryReason.Claimed or HistoryReason.LeaseExpiredReclaimed or HistoryReason.ReleasedUnstarted => null,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "A history reason with no event decision."),
    };

    /// <summary>
    /// Appends the events of these just-appended history rows, after the rows' state change in the same session: the
    /// schedules and their executions are read back once for the whole batch.
    /// </summary>
    public static async Task AppendAsync(DbSession session, IEventOutbox events, IReadOnlyCollection<HistoryEntry> entries)
    {
        var reported = entries
            .Select(e => (Entry: e, Type: TypeFor(e.Reason)))
            .Where(r => r.Type is not null)
            .OrderBy(r => r.Entry.ScheduleId, StringComparer.Ordinal) // one lock order for every batch
            .ToList();
        if (reported.Count == 0)
        {
            return;
        }

        var ids = reported.Select(r => r.Entry.ScheduleId).Distinct(StringComparer.Ordinal).ToList();
        var rows = (await ScheduledPayments.ByIdsAsync(session, ids)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var executions = await ScheduledPayments.ExecutionsAsync(session, ids);
        foreach (var (entry, type) in reported)
        {
            var row = rows[entry.ScheduleId];
            await events.AppendAsync(session, new MerchantEvent(
                row.MerchantId, type!, row.Id, ScheduledPaymentResponse.From(row, executions.GetValueOrDefault(row.Id))));
        }
    }
}
