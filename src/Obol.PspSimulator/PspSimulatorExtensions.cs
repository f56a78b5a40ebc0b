using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Obol.PspSimulator.Adyen;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Control;
using Obol.PspSimulator.Faults;
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

    /// <summary>Maps every simulator endpoint under <c>/sim</c>: <c>/sim/stripe/v1/…</c>, <c>/sim/adyen/v71/…</c> and the control endpoints.</summary>
    public static IEndpointRouteBuilder MapPspSimulator(this IEndpointRouteBuilder endpoints)
    {
        // Test infrastructure, not part of the host's public API description.
        var sim = endpoints.MapGroup("/sim").ExcludeFromDescription();
        sim.MapStripeDialect();
        sim.MapAdyenDialect();
        sim.MapSimulatorControl();
        return endpoints;
    }
}
