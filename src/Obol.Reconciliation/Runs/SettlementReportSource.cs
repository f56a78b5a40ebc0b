using System.Globalization;
using Obol.Core.Errors;
using Obol.Payments.Psp;

namespace Obol.Reconciliation.Runs;

/// <summary>
/// Fetches a day's settlement report from where the PSP serves it: the configured URL, or else the PSP simulator
/// this server hosts under <c>/sim</c>. The request carries the PSP's API key the way that PSP expects it.
/// </summary>
public sealed class SettlementReportSource(IHttpClientFactory httpClients, ReconciliationOptions options, PaymentsOptions payments, PspBaseAddresses addresses)
{
    public const string HttpClientName = "obol-settlement-reports";

    public async Task<string> FetchAsync(string psp, DateOnly date, CancellationToken cancellationToken)
    {
        var day = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var url = options.For(psp).ReportUrl is { Length: > 0 } template
            ? new Uri(template.Replace("{date}", day, StringComparison.Ordinal))
            : new Uri(addresses.Self(), $"sim/{psp}/settlements?date={day}");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (psp == "stripe")
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", payments.Stripe.ApiKey);
        }
        else
        {
            request.Headers.Add("X-API-Key", payments.Adyen.ApiKey);
        }

        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw Unavailable(psp, day, $"it answered {(int)response.StatusCode}");
            }

            return await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Unavailable(psp, day, e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(psp, day, "it did not answer in time");
        }
    }

    private static ProblemException Unavailable(string psp, string day, string why) =>
        new(502, "settlement_report_unavailable", "The settlement report could not be fetched",
            $"Fetching {psp}'s report for {day} failed: {why}. Set Obol:Reconciliation:{char.ToUpperInvariant(psp[0])}{psp[1..]}:ReportUrl, or upload the report.");
}
