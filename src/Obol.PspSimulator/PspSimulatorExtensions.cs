using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Obol.PspSimulator.Adyen;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Control;
using Obol.PspSimulator.Faults;
using Obol.PspSimulator.Rates;
using Obol.PspSimulator.Requests;
using Obol.PspSimulator.Scheduling;
using Obol.PspSimulator.Settlements;
using Obol.PspSimulator.Stripe;
using Obol.PspSimulator.Webhooks;

namespace Obol.PspSimulator;

public static class PspSimulatorExtensions
{
    /// <summary>Registers the simulator's services, bound to the <c>PspSimulator</c> configuration section.</summary>
    public static IServiceCollection AddPspSimulator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PspSimulatorOptions>()
            .Bind(configuration.GetSection(PspSimulatorOptions.SectionName))
            .Validate(o => AdyenHmac.IsHexKey(o.Adyen.HmacKey), "PspSimulator:Adyen:HmacKey must be hex-encoded.")
            .Validate(
                o => o.Adyen.WebhookEndpoints.All(e => string.IsNullOrEmpty(e.Secret) || AdyenHmac.IsHexKey(e.Secret)),
                "PspSimulator:Adyen:WebhookEndpoints:n:Secret must be a hex-encoded HMAC key.")
            .Validate(
                o => new[] { o.Stripe.WebhookUrl, o.Adyen.WebhookUrl }.All(u => u is null || WebhookEndpoint.IsDeliverable(u))
                    && o.Stripe.WebhookEndpoints.Concat(o.Adyen.WebhookEndpoints).All(e => WebhookEndpoint.IsDeliverable(e.Url)),
                "PspSimulator webhook URLs (Stripe/Adyen WebhookUrl, WebhookEndpoints:n:Url) must be absolute http(s) URLs.")
            .Validate(o => o.WebhookRetry.MaxAttempts >= 1 && o.WebhookRetry.BackoffFactor >= 1, "PspSimulator:WebhookRetry needs MaxAttempts >= 1 and BackoffFactor >= 1.")
            .Validate(
                o => o.ProxyUrl is null || (o.ProxyUrl.IsAbsoluteUri && o.ProxyUrl.Scheme == Uri.UriSchemeHttp && o.ProxyUrl.AbsolutePath == "/"),
                "PspSimulator:ProxyUrl must be an http URL with a host and port only, such as http://127.0.0.1:5091.")
            .Validate(o => o.Fees.PercentBasisPoints >= 0 && o.Fees.FixedMinorUnits >= 0, "PspSimulator:Fees must not be negative.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(WebhookDispatcher.HttpClientName);

        services.AddSingleton<ChargeStore>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<FaultInjector>();
        services.AddSingleton<FaultCounts>();
        services.AddSingleton<PspPipeline>();
        services.AddSingleton<DeferredWork>();
        services.AddHostedService(sp => sp.GetRequiredService<DeferredWork>());

        services.AddSingleton<WebhookTargets>();
        services.AddSingleton<WebhookLog>();
        services.AddSingleton<WebhookDispatcher>();

        services.AddSingleton<StripeWebhooks>();
        services.AddSingleton<StripeApi>();
        services.AddSingleton<AdyenNotifications>();
        services.AddSingleton<AdyenApi>();
        services.AddSingleton<SettlementReports>();
        return services;
    }

    /// <summary>
    /// Maps every simulator endpoint under <c>/sim</c>: <c>/sim/stripe/v1/…</c>, <c>/sim/adyen/v71/…</c> (and <c>v72</c>) and
    /// the control endpoints.
    /// </summary>
    /// <summary>
    /// The simulator under <c>/sim</c>: each PSP's API (with that PSP's own authentication), settlement reports, and the
    /// control endpoints, which <paramref name="protectControl"/> may put behind the host's authentication.
    /// </summary>
    public static IEndpointRouteBuilder MapPspSimulator(this IEndpointRouteBuilder endpoints, Action<RouteGroupBuilder>? protectControl = null)
    {
        // Test infrastructure, not part of the host's public API description.
        var sim = endpoints.MapGroup("/sim").ExcludeFromDescription();
        sim.MapStripeDialect("/stripe");
        sim.MapAdyenDialect("/adyen");
        sim.MapSimulatorSettlements();
        sim.MapEcbReferenceRates("/ecb");
        var control = sim.MapGroup(string.Empty).MapSimulatorControl();
        protectControl?.Invoke(control);
        return endpoints;
    }

    /// <summary>
    /// The same PSP endpoints where the PSPs' client libraries send them, so a client is pointed at the simulator by
    /// configuration alone: Stripe's <c>/v1/…</c> at the root, Adyen's Checkout at <c>/v72/…</c> (the shape of
    /// <c>https://checkout-test.adyen.com/v72</c>) and <c>/checkout/v72/…</c> (the shape of the live URL). For the
    /// standalone simulator only: a host with an API of its own under <c>/v1</c> keeps the <c>/sim</c> paths.
    /// </summary>
    public static IEndpointRouteBuilder MapPspDialectsAtRoot(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapStripeDialect(string.Empty);
        endpoints.MapAdyenDialect(string.Empty);
        endpoints.MapAdyenDialect("/checkout");
        return endpoints;
    }
}
