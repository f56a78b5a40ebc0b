namespace Obol.Reconciliation.Reports;

/// <summary>The PSPs whose settlement reports Obol reads, by the names payments use for them.</summary>
internal static class SettlementReports
{
    public static IReadOnlyList<string> Psps { get; } = ["stripe", "adyen"];

    /// <summary>The report's rows, or <c>invalid_settlement_report</c> naming the first row that cannot be read.</summary>
    public static IReadOnlyList<SettlementLine> Parse(string psp, string csv)
    {
        try
        {
            return psp switch
            {
                "stripe" => StripeSettlementReport.Parse(csv),
                "adyen" => AdyenSettlementReport.Parse(csv),
                _ => throw new ArgumentOutOfRangeException(nameof(psp), psp, "Not a PSP Obol reconciles."),
            };
        }
        catch (OverflowException)
        {
            throw ReconciliationProblems.InvalidSettlementReport("An amount, or a sum of amounts, is beyond what Obol can hold.");
        }
    }
}
