using System.Globalization;
using Obol.Payments.Settlements;

namespace Obol.Reconciliation.Runs;

/// <summary>
/// Fetches a day's settlement report from where the PSP serves it: the configured URL, or else the PSP simulator
/// this server hosts under <c>/sim</c>. The payments module downloads it with its credentials for that PSP.
/// </summary>
internal sealed class SettlementReportSource(IPspSettlementReports reports, ReconciliationOptions options)
{
    public async Task<string> FetchAsync(string psp, DateOnly date, CancellationToken cancellationToken)
    {
        var day = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var url = options.For(psp).ReportUrl is { Length: > 0 } template ? new Uri(template.Replace("{date}", day, StringComparison.Ordinal)) : null;
        try
        {
            return await reports.DownloadAsync(psp, date, url, cancellationToken);
        }
        catch (HttpRequestException e) when (e.StatusCode is { } status)
        {
            throw ReconciliationProblems.SettlementReportUnavailable(psp, day, $"it answered {(int)status}");
        }
        catch (HttpRequestException e)
        {
            throw ReconciliationProblems.SettlementReportUnavailable(psp, day, e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw ReconciliationProblems.SettlementReportUnavailable(psp, day, "it did not answer in time");
        }
    }
}
