using Obol.Core.Errors;

namespace Obol.Reconciliation.Reports;

internal static class SettlementReportProblems
{
    /// <summary>The report cannot be read at all; nothing of it is applied.</summary>
    public static ProblemException Invalid(string detail) =>
        new(400, "invalid_settlement_report", "The settlement report cannot be read", detail);

    public static ProblemException Invalid(int lineNumber, string detail) => Invalid($"Row {lineNumber}: {detail}");
}
