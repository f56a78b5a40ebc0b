namespace Obol.Reconciliation.Reports;

/// <summary>The PSPs whose settlement reports Obol reads, by the names payments use for them.</summary>
public static class SettlementReports
{
    public static IReadOnlyList<string> Psps { get; } = ["stripe", "adyen"];

    public static IReadOnlyList<SettlementLine> Parse(string psp, string csv) => psp switch
    {
        "stripe" => StripeSettlementReport.Parse(csv),
        "adyen" => AdyenSettlementReport.Parse(csv),
        _ => throw new ArgumentOutOfRangeException(nameof(psp), psp, "Not a PSP Obol reconciles."),
    };
}
