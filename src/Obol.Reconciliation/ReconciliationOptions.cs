using Obol.Core.Merchants;

namespace Obol.Reconciliation;

/// <summary>Configuration section <c>Obol:Reconciliation</c>.</summary>
public sealed class ReconciliationOptions
{
    /// <summary>
    /// Merchants whose keys may reconcile. A settlement report covers Obol's whole account at the PSP, every merchant's
    /// payments, so this is the platform operator's job, not any merchant's. Default: the default merchant, the operator
    /// of a single-tenant install.
    /// </summary>
    public List<string> OperatorMerchantIds { get; set; } = [];

    public IReadOnlyCollection<string> Operators => OperatorMerchantIds.Count > 0 ? OperatorMerchantIds : [ApiKeys.DefaultMerchantId];

    /// <summary>Report rows per database transaction (each books against the merchants' hot accounts).</summary>
    public int RowsPerTransaction { get; set; } = 200;

    public ReportSourceOptions Stripe { get; set; } = new();
    public ReportSourceOptions Adyen { get; set; } = new();

    public ReportSourceOptions For(string psp) => psp == "stripe" ? Stripe : Adyen;
}

public sealed class ReportSourceOptions
{
    /// <summary>
    /// Where a day's report is fetched from, with <c>{date}</c> (yyyy-MM-dd) in it. Default: the PSP simulator the
    /// server hosts. A PSP whose reports come some other way (downloaded by a person) is reconciled by upload.
    /// </summary>
    public string? ReportUrl { get; set; }
}
