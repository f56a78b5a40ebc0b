using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger.Booking;
using Obol.Ledger.Expiry;
using Obol.Ledger.GroupCommit;

namespace Obol.Ledger;

public static class LedgerServiceCollectionExtensions
{
    /// <summary>The ledger: <see cref="ILedger"/>, group commit, its migrations and the pending-transfer expiry sweep.</summary>
    public static IServiceCollection AddObolLedger(this IServiceCollection services)
    {
        services.AddSingleton(new MigrationSource("ledger", typeof(LedgerServiceCollectionExtensions).Assembly));
        services.AddSingleton(sp => new Bookkeeper(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Ledger>();
        services.AddSingleton<ILedger>(sp => sp.GetRequiredService<Ledger>());
        services.AddSingleton(new LedgerGroupCommitOptions());
        services.AddSingleton(sp => new LedgerGroupCommit(
            sp.GetRequiredService<Database>(), sp.GetRequiredService<Bookkeeper>(), sp.GetRequiredService<LedgerGroupCommitOptions>()));
        services.AddSingleton(new PendingTransferExpiryOptions());
        services.AddSingleton<PendingTransferExpiryService>();
        services.AddHostedService(sp => sp.GetRequiredService<PendingTransferExpiryService>());
        return services;
    }
}
