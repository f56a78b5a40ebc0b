using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Reconciliation.Http;

namespace Obol.Reconciliation.Runs;

/// <summary>
/// The merchant events of discrepancies, written in the unit of work that changes what <c>GET
/// /v1/reconciliation/discrepancies/{id}</c> shows, with the discrepancy as it shows it then. Discrepancies are the
/// platform's, not one merchant's (only operator keys may read them), so each event goes to every operator merchant.
/// </summary>
internal sealed class DiscrepancyEvents(IEventOutbox outbox, ReconciliationOptions options)
{
    public const string Opened = "reconciliation.discrepancy_opened";
    public const string Superseded = "reconciliation.discrepancy_superseded";
    public const string Resolved = "reconciliation.discrepancy_resolved";

    public static EventType[] Types { get; } =
    [
        new(Opened,
            "A reconciliation run recorded something it could not book; `code` says what: a settlement report row that matches no "
            + "payment or refund, or disagrees with Obol (`unknown_payment`, `amount_mismatch`, `currency_mismatch`, `already_settled`, "
            + "`line_changed`, `booking_rejected`, …), a converted row booked at a PSP rate too far from Obol's (`fx_rate_difference`), a capture or refund Obol recorded that no report has shown (`missing_from_report`), "
            + "or a PSP webhook that contradicted Obol and could not be applied (`psp_report_unapplied`). Sent once per discrepancy to "
            + "the platform operator's merchants, the ones whose keys may reconcile."),
        new(Superseded,
            "A discrepancy needs nothing more: a later run matched and booked the same report row, or a report has since shown the "
            + "missing capture or refund. Its status is `superseded`."),
        new(Resolved,
            "A person resolved a discrepancy with `POST /v1/reconciliation/discrepancies/{id}/resolve`; `resolution.note` says how. "
            + "Resolving again reports nothing."),
    ];

    /// <summary>The discrepancies this unit of work has just inserted.</summary>
    public async Task OpenedAsync(DbSession session, IReadOnlyCollection<DiscrepancyRecord> inserted)
    {
        if (inserted.Count > 0)
        {
            await ReportAsync(session, Opened, await ReconciliationStore.DiscrepanciesByIdAsync(session, inserted.Select(d => d.Id).ToList()));
        }
    }

    /// <summary>One event per discrepancy and operator, in id order (one lock order for every unit of work).</summary>
    public async Task ReportAsync(DbSession session, string type, IEnumerable<ReconciliationStore.DiscrepancyView> discrepancies)
    {
        var operators = options.Operators.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var discrepancy in discrepancies.OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            var response = DiscrepancyResponse.From(discrepancy);
            foreach (var merchantId in operators)
            {
                await outbox.AppendAsync(session, new MerchantEvent(merchantId, type, discrepancy.Id, response));
            }
        }
    }
}
