using Obol.Core.Errors;

namespace Obol.Reconciliation;

/// <summary>
/// Reconciliation's rejections, each with its stable code; the generic ones (validation, not found) are Core's
/// <see cref="Problems"/>. A report that is refused is not applied, not even in part.
/// </summary>
internal static class ReconciliationProblems
{
    /// <summary>Settlement reports and discrepancies are the operator's: another merchant's key is refused.</summary>
    public static ProblemException OperatorOnly() =>
        new(403, "forbidden", "Forbidden", "Settlement reports cover every merchant's payments: only the platform operator's keys may reconcile them.");

    /// <summary>The report cannot be read at all; nothing of it is applied.</summary>
    public static ProblemException InvalidSettlementReport(string detail) =>
        new(400, "invalid_settlement_report", "The settlement report cannot be read", detail);

    public static ProblemException InvalidSettlementReport(int lineNumber, string detail) => InvalidSettlementReport($"Row {lineNumber}: {detail}");

    /// <summary>A report declared for one day whose rows are all days away from it.</summary>
    public static ProblemException SettlementReportDateMismatch(DateOnly reportDate, DateTimeOffset firstRow, DateTimeOffset lastRow) =>
        new(400, "settlement_report_date_mismatch", "The report is not about that day",
            $"No row of the report falls within a day of {reportDate:yyyy-MM-dd}; its rows run from {firstRow:O} to {lastRow:O}.");

    public static ProblemException SettlementReportUnavailable(string psp, string day, string why) =>
        new(502, "settlement_report_unavailable", "The settlement report could not be fetched",
            $"Fetching {psp}'s report for {day} failed: {why}. Set Obol:Reconciliation:{char.ToUpperInvariant(psp[0])}{psp[1..]}:ReportUrl, or upload the report.");

    public static ProblemException DiscrepancyAlreadyResolved(string id, DateTimeOffset? resolvedAt) =>
        new(409, "discrepancy_already_resolved", "Already resolved", $"Discrepancy '{id}' was resolved at {resolvedAt:O} with another note.");
}
