using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Obol.Core.Configuration;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Scheduling.Execution;
using Obol.Scheduling.Runner;
using Obol.Scheduling.Schedules;

namespace Obol.Scheduling;

public static class SchedulingServiceCollectionExtensions
{
    /// <summary>
    /// Scheduled payments: tables, options (<c>Obol:Scheduling</c>), the runner and its background loop, executing
    /// through the payments core (<see cref="PaymentsCoreExecutor"/>) unless another executor is registered first, and the
    /// <c>scheduled_payment.*</c> events it writes to the outbox (<see cref="IEventOutbox"/>, from the webhooks module).
    /// </summary>
    public static IServiceCollection AddObolScheduling(this IServiceCollection services)
    {
        services.AddModuleOptions<SchedulingOptions>("Obol:Scheduling", SchedulingOptions.Problems);
        services.AddSingleton(new MigrationSource("scheduling", typeof(SchedulingServiceCollectionExtensions).Assembly));
        services.TryAddSingleton<IScheduledPaymentExecutor, PaymentsCoreExecutor>();
        services.AddSingleton(sp => new ScheduledPaymentRunner(
            sp.GetRequiredService<Database>(),
            sp.GetRequiredService<IScheduledPaymentExecutor>(),
            sp.GetRequiredService<IEventOutbox>(),
            sp.GetRequiredService<SchedulingOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ScheduledPaymentRunner>>()));
        services.AddHostedService<ScheduledPaymentWorker>();
        services.AddEventTypes("scheduling", ScheduleEvents.Types);
        return services;
    }
}
