using Microsoft.Extensions.Options;

namespace Obol.PspSimulator.Webhooks;

/// <summary>Where each PSP sends webhooks and with which secret; set at start-up, changed by <c>POST /sim/config</c>.</summary>
public sealed record WebhookTarget(Uri? Url, string Secret);

public sealed class WebhookTargets(IOptions<PspSimulatorOptions> options)
{
    private readonly Lock _gate = new();
    private WebhookTarget _stripe = new(options.Value.Stripe.WebhookUrl, options.Value.Stripe.WebhookSecret);
    private WebhookTarget _adyen = new(options.Value.Adyen.WebhookUrl, options.Value.Adyen.HmacKey);

    public WebhookTarget For(Psp psp)
    {
        lock (_gate)
        {
            return psp == Psp.Stripe ? _stripe : _adyen;
        }
    }

    public void Set(Psp psp, WebhookTarget target)
    {
        lock (_gate)
        {
            if (psp == Psp.Stripe)
            {
                _stripe = target;
            }
            else
            {
                _adyen = target;
            }
        }
    }
}
