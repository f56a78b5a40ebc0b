using Microsoft.Extensions.Options;

namespace Obol.PspSimulator.Webhooks;

/// <summary>One webhook endpoint of a PSP: where to deliver and the secret to sign with (Stripe <c>whsec_…</c>, Adyen hex HMAC key).</summary>
public sealed record WebhookEndpoint(Uri Url, string Secret)
{
    public static bool IsDeliverable(Uri? url) => url is { IsAbsoluteUri: true } && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);
}

/// <summary>
/// Each PSP's ordered webhook endpoints and its default signing secret; set at start-up, changed by
/// <c>POST /sim/config</c>. Every event goes to every endpoint the PSP has when the event is published.
/// </summary>
public sealed class WebhookTargets
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Psp, IReadOnlyList<WebhookEndpoint>> _endpoints;
    private readonly Dictionary<Psp, string> _defaultSecrets;

    public WebhookTargets(IOptions<PspSimulatorOptions> options)
    {
        var stripe = options.Value.Stripe;
        var adyen = options.Value.Adyen;
        _defaultSecrets = new() { [Psp.Stripe] = stripe.WebhookSecret, [Psp.Adyen] = adyen.HmacKey };
        _endpoints = new()
        {
            [Psp.Stripe] = Configured(stripe.WebhookUrl, stripe.WebhookSecret, stripe.WebhookEndpoints),
            [Psp.Adyen] = Configured(adyen.WebhookUrl, adyen.HmacKey, adyen.WebhookEndpoints),
        };
    }

    public IReadOnlyList<WebhookEndpoint> For(Psp psp)
    {
        lock (_gate)
        {
            return _endpoints[psp];
        }
    }

    /// <summary>The secret of endpoints that name none: <c>WebhookSecret</c> / <c>HmacKey</c> until replaced.</summary>
    public string DefaultSecret(Psp psp)
    {
        lock (_gate)
        {
            return _defaultSecrets[psp];
        }
    }

    public void Set(Psp psp, IReadOnlyList<WebhookEndpoint> endpoints)
    {
        lock (_gate)
        {
            _endpoints[psp] = [.. endpoints];
        }
    }

    public void SetDefaultSecret(Psp psp, string secret)
    {
        lock (_gate)
        {
            _defaultSecrets[psp] = secret;
        }
    }

    private static List<WebhookEndpoint> Configured(Uri? url, string secret, IReadOnlyList<WebhookEndpointOptions> more)
    {
        var endpoints = new List<WebhookEndpoint>();
        if (url is not null)
        {
            endpoints.Add(new WebhookEndpoint(url, secret));
        }

        endpoints.AddRange(more.Select(e => new WebhookEndpoint(e.Url!, string.IsNullOrEmpty(e.Secret) ? secret : e.Secret)));
        return endpoints;
    }
}
