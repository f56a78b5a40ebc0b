using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Configuration;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Webhooks.Api;
using Obol.Webhooks.Delivery;
using Obol.Webhooks.Endpoints;
using Obol.Webhooks.Events;

namespace Obol.Webhooks;

public static class WebhooksServiceCollectionExtensions
{
    /// <summary>The events API, the outbox every module writes its events to, webhook endpoints and the dispatcher.</summary>
    public static IServiceCollection AddObolWebhooks(this IServiceCollection services)
    {
        services.AddModuleOptions<WebhooksOptions>(WebhooksOptions.Section, WebhooksOptions.Problems);
        services.AddSingleton(new MigrationSource("webhooks", typeof(WebhooksServiceCollectionExtensions).Assembly));
        services.AddEventTypes("webhooks",
            new EventType(EndpointHealth.DisabledEvent, "An endpoint was disabled because every delivery to it failed for five days."),
            new EventType(WebhooksEndpoints.TestEvent, "Sent on request to one endpoint (POST /v1/webhook-endpoints/{id}/test)."));
        services.AddSingleton<DispatchSignal>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<IEventOutbox>(sp => sp.GetRequiredService<EventStore>());
        services.AddSingleton<EventReader>();
        services.AddSingleton<EventTypeNames>();
        services.AddSingleton<EndpointAddressRule>();
        services.AddSingleton<WebhookEndpointStore>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<EndpointHealth>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}
