using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Obol.Core.Storage;

namespace Obol.Testing;

public static class PaymentsTestServer
{
    /// <summary>
    /// The real server with its in-process PSP simulator on <paramref name="clock"/>: PSP calls time out after a second
    /// (the simulator holds a timed-out charge's answer for 30), and the background work a fake clock would fire at
    /// random moments (the unknown-outcome resolver, the ledger's expiry sweep) runs only when a test asks. With
    /// <paramref name="database"/> it is a second node on another server's database.
    /// </summary>
    public static Task<ObolTestServer> StartAsync(
        DatabaseProvider provider, FakeTimeProvider clock, IDictionary<string, string?>? settings = null, DatabaseOptions? database = null) =>
        ObolTestServer.StartAsync(provider, builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Obol:Payments:PspTimeout"] = "00:00:01",
                ["PspSimulator:TimeoutHold"] = "00:00:30",
                ["Obol:Payments:Resolver:Enabled"] = "false",
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }

            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.AddSingleton(new Ledger.Expiry.PendingTransferExpiryOptions { Interval = TimeSpan.FromDays(40) });
        }, database: database);
}
