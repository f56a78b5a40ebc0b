using Microsoft.Extensions.Options;
using Obol.Core.Merchants;

namespace Obol.Payments.Psp;

/// <summary>
/// A PSP's settings are of the installation's mode (<see cref="InstallationMode"/>): a live installation talks to real
/// PSPs with live credentials, a test one never holds a live Stripe key or a live Adyen endpoint, so a test payment can
/// never charge a real card.
/// </summary>
internal sealed class PspModeRule(InstallationMode installation) : IValidateOptions<PaymentsOptions>
{
    public ValidateOptionsResult Validate(string? name, PaymentsOptions options)
    {
        var problems = Problems(options).Select(p => $"{PaymentsOptions.Section}: {p}").ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private IEnumerable<string> Problems(PaymentsOptions options)
    {
        var liveStripeKey = options.Stripe.ApiKey.StartsWith("sk_live_", StringComparison.Ordinal) || options.Stripe.ApiKey.StartsWith("rk_live_", StringComparison.Ordinal);
        var liveAdyenUrl = Uri.TryCreate(options.Adyen.BaseUrl, UriKind.Absolute, out var adyen) && adyen.Host.Contains("-live", StringComparison.OrdinalIgnoreCase);
        if (installation.IsLive)
        {
            foreach (var (psp, url) in new[] { ("Stripe", options.Stripe.BaseUrl), ("Adyen", options.Adyen.BaseUrl) }.Where(p => PaymentsOptions.IsSimulator(p.Item2)))
            {
                yield return $"{psp}:BaseUrl is {(string.IsNullOrEmpty(url) ? "not set" : url)}: a live installation (Obol:Mode=live) talks to the real PSP.";
            }

            if (!liveStripeKey)
            {
                yield return "Stripe:ApiKey is not a live key (sk_live_… or rk_live_…), and this installation is live (Obol:Mode=live).";
            }

            if (!liveAdyenUrl)
            {
                yield return "Adyen:BaseUrl is not Adyen's live Checkout endpoint (https://…-checkout-live.adyenpayments.com/…), and this installation is live.";
            }
        }
        else
        {
            if (liveStripeKey)
            {
                yield return "Stripe:ApiKey is a live key, and this installation is in test mode (Obol:Mode=test): it would charge real cards.";
            }

            if (liveAdyenUrl)
            {
                yield return "Adyen:BaseUrl is Adyen's live endpoint, and this installation is in test mode (Obol:Mode=test): it would charge real cards.";
            }
        }
    }
}
