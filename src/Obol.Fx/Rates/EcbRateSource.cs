using Obol.Core.Http;

namespace Obol.Fx.Rates;

/// <summary>The ECB reference rates from <see cref="FxOptions.RatesFile"/> if set, else over HTTP from <see cref="FxOptions.RatesUrl"/>.</summary>
internal sealed class EcbRateSource(IHttpClientFactory httpClients, FxOptions options, ServerAddress server, TimeProvider clock) : IFxRateSource
{
    public const string HttpClientName = "fx-rates";

    public async Task<RateSet> FetchAsync(CancellationToken cancellationToken)
    {
        var xml = options.RatesFile is { Length: > 0 } file
            ? await File.ReadAllTextAsync(file, cancellationToken)
            : await httpClients.CreateClient(HttpClientName).GetStringAsync(Address(), cancellationToken);
        return EcbReferenceRates.Parse(xml, clock.GetUtcNow());
    }

    private Uri Address()
    {
        var url = new Uri(options.RatesUrl, UriKind.RelativeOrAbsolute);
        return url.IsAbsoluteUri ? url : new Uri(server.Self(), url);
    }
}
