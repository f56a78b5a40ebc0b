using System.Globalization;
using Obol.Payments.Psp;

namespace Obol.Payments.Settlements;

/// <summary>A PSP's daily settlement report, fetched with Obol's own credentials for that PSP.</summary>
public interface IPspSettlementReports
{
    /// <param name="url">Where the PSP serves that day's report; null for the PSP simulator this server hosts.</param>
    /// <exception cref="HttpRequestException">The PSP could not be reached, or answered with an error status.</exception>
    Task<string> DownloadAsync(string psp, DateOnly date, Uri? url, CancellationToken cancellationToken);
}

/// <summary>Sends each PSP's API key the way that PSP expects it: Stripe's as a bearer token, Adyen's as <c>X-API-Key</c>.</summary>
internal sealed class PspSettlementReports(IHttpClientFactory httpClients, PaymentsOptions options, PspBaseAddresses addresses) : IPspSettlementReports
{
    public const string HttpClientName = "obol-settlement-reports";

    public async Task<string> DownloadAsync(string psp, DateOnly date, Uri? url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url ?? addresses.SimulatorSettlements(psp, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        if (psp == Psp.Stripe.StripeConnector.PspName)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.Stripe.ApiKey);
        }
        else
        {
            request.Headers.Add("X-API-Key", options.Adyen.ApiKey);
        }

        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }
}
