using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Configuration;
using Obol.Core.Storage;
using Obol.Reconciliation.Runs;

namespace Obol.Reconciliation;

public static class ReconciliationServiceCollectionExtensions
{
    /// <summary>Settlement report import and matching; needs the ledger and payments modules.</summary>
    public static IServiceCollection AddObolReconciliation(this IServiceCollection services)
    {
        services.AddModuleOptions<ReconciliationOptions>("Obol:Reconciliation", ReconciliationOptions.Problems);
        services.AddSingleton(new MigrationSource("reconciliation", typeof(ReconciliationServiceCollectionExtensions).Assembly));
        services.AddSingleton<Reconciler>();
        services.AddSingleton<SettlementReportSource>();
        services.AddSingleton<ScheduledReconciliation>();
        services.AddHostedService(sp => sp.GetRequiredService<ScheduledReconciliation>());
        return services;
    }
}
