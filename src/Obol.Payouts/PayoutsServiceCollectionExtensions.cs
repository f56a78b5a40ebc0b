using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Configuration;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;
using Obol.Payouts.PayPeriods;

namespace Obol.Payouts;

public static class PayoutsServiceCollectionExtensions
{
    /// <summary>
    /// Courier earnings: migrations, options (<c>Obol:Payouts</c>), the background sweep, and the <c>pay_period.*</c>,
    /// <c>payout.*</c> and <c>courier.*</c> events they write to the outbox (<see cref="IEventOutbox"/>, from the webhooks module).
    /// </summary>
    public static IServiceCollection AddObolPayouts(this IServiceCollection services)
    {
        services.AddModuleOptions<PayoutsOptions>("Obol:Payouts", PayoutsOptions.Problems);
        services.AddSingleton(new MigrationSource("payouts", typeof(PayoutsServiceCollectionExtensions).Assembly));
        services.AddSingleton(sp => new CourierTermsCache(sp.GetRequiredService<PayoutsOptions>().TermsCacheCapacity));
        services.AddSingleton(new CopyFirstPolicy());
        services.AddSingleton<PayoutsSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<PayoutsSweeper>());
        services.AddEventTypes("payouts", PayoutsEvents.Types);
        return services;
    }
}
