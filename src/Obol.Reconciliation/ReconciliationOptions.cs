using Obol.Core.Configuration;
using Obol.Core.Merchants;

namespace Obol.Reconciliation;

/// <summary>Configuration section <c>Obol:Reconciliation</c>.</summary>
internal sealed class ReconciliationOptions
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

    public ReconciliationScheduleOptions Schedule { get; set; } = new();

    /// <summary>
    /// How far, in basis points, the amount a PSP paid out for a converted row may be from the same gross at Obol's rate (the
    /// payment's quote, else the day's reference rate) before the row is an <c>fx_rate_difference</c> discrepancy. PSPs keep a
    /// margin on conversions, so a little difference is normal.
    /// </summary>
    public int FxToleranceBps { get; set; } = 200;

    public ReportSourceOptions Stripe { get; set; } = new();
    public ReportSourceOptions Adyen { get; set; } = new();

    public ReportSourceOptions For(string psp) => psp == "stripe" ? Stripe : Adyen;

    public static IEnumerable<string> Problems(ReconciliationOptions options)
    {
        if (options.OperatorMerchantIds.Any(string.IsNullOrWhiteSpace))
        {
            yield return "OperatorMerchantIds must not hold an empty id.";
        }

        if (options.RowsPerTransaction < 1)
        {
            yield return "RowsPerTransaction must be at least 1.";
        }

        if (options.FxToleranceBps is < 0 or > 10_000)
        {
            yield return "FxToleranceBps must be from 0 to 10000 basis points.";
        }

        foreach (var (psp, source) in new[] { ("Stripe", options.Stripe), ("Adyen", options.Adyen) })
        {
            if (source.ReportUrl is { Length: > 0 } url
                && (!Uri.TryCreate(url.Replace("{date}", "2027-01-01", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                    || uri.Scheme is not ("http" or "https") || !url.Contains("{date}", StringComparison.Ordinal)))
            {
                yield return $"{psp}:ReportUrl must be an absolute http or https URL with {{date}} in it, not '{url}'.";
            }
        }

        var schedule = options.Schedule;
        if (schedule.PublishedAfter < TimeSpan.Zero || schedule.PublishedAfter >= TimeSpan.FromDays(1))
        {
            yield return $"Schedule:PublishedAfter is a time of day, from 00:00:00 to before 1.00:00:00, not {schedule.PublishedAfter}.";
        }

        if (schedule.CatchUpDays is < 0 or > 366)
        {
            yield return $"Schedule:CatchUpDays must be between 0 and 366, not {schedule.CatchUpDays}.";
        }

        foreach (var problem in ModuleOptions.Positive("Schedule:PollInterval", schedule.PollInterval).Concat(ModuleOptions.Positive("Schedule:ClaimLease", schedule.ClaimLease)))
        {
            yield return problem;
        }
    }
}

internal sealed class ReportSourceOptions
{
    /// <summary>
    /// Where a day's report is fetched from, with <c>{date}</c> (yyyy-MM-dd) in it. Default: the PSP simulator the
    /// server hosts. A PSP whose reports come some other way (downloaded by a person) is reconciled by upload.
    /// </summary>
    public string? ReportUrl { get; set; }
}

/// <summary>The daily reconciliation: each PSP's report for a day is fetched and reconciled once it is published.</summary>
internal sealed class ReconciliationScheduleOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Time of day (UTC) after which the previous day's reports are published.</summary>
    public TimeSpan PublishedAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How many published days back are reconciled if they have not been (after downtime or a failed fetch).</summary>
    public int CatchUpDays { get; set; } = 3;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one node's claim on a day lasts; a node that dies mid-run leaves the day to another after this.</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(30);
}
