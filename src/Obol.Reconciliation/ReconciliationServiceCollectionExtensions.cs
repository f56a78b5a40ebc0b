using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Configuration;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Reconciliation.Runs;

namespace Obol.Reconciliation;

public static class ReconciliationServiceCollectionExtensions
{
    /// <summary>
    /// Settlement report import and matching; needs the ledger and payments modules, and the outbox its
    /// <c>reconciliation.*</c> events go to (<see cref="IEventOutbox"/>, from the webhooks module).
    /// </summary>
    public static IServiceCollection AddObolReconciliation(this IServiceCollection services)
    {
        services.AddModuleOptions<ReconciliationOptions>("Obol:Reconciliation", ReconciliationOptions.Problems);
        services.AddSingleton(new MigrationSource("reconciliation", typeof(ReconciliationServiceCollectionExtensions).Assembly));
        services.AddSingleton<Reconciler>();
        services.AddSingleton<SettlementReportSource>();
        services.AddSingleton<ScheduledReconciliation>();
        services.AddHostedService(sp => sp.GetRequiredService<ScheduledReconciliation>());
        services.AddEventTypes("reconciliation", DiscrepancyEvents.Types);
        return services;
    }
}
