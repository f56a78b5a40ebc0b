using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Obol.Core.Storage;
using Obol.Server;

namespace Obol.Testing;

/// <summary>
/// The real Obol server (same composition as Program.cs) on Kestrel at a free loopback port, on a fresh
/// database of the given provider (copied from a migrated template, dropped when the server is disposed) or on the
/// one given, with a bootstrap key for the default merchant.
/// </summary>
public sealed class ObolTestServer : IAsyncDisposable
{
    public const string BootstrapKey = "sk_test_bootstrapkeyfortests0000000001";

    private readonly WebApplication _app;

    private readonly bool _ownsDatabase;

    private ObolTestServer(WebApplication app, Uri baseAddress, DatabaseOptions database, bool ownsDatabase)
    {
        _app = app;
        BaseAddress = baseAddress;
        Database = database;
        _ownsDatabase = ownsDatabase;
    }

    public Uri BaseAddress { get; }
    public DatabaseOptions Database { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<ObolTestServer> StartAsync(
        DatabaseProvider provider,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? map = null,
        DatabaseOptions? database = null)
    {
        var ownsDatabase = database is null;
        database ??= TestDatabases.Allocate(provider);
        var builder = ObolApplication.CreateBuilder(
        [
            "--urls=http://127.0.0.1:0",
            "--environment=Testing",
            $"--Obol:Database:Provider={provider.ToString().ToLowerInvariant()}",
            $"--ConnectionStrings:Obol={database.ConnectionString}",
            $"--Obol:BootstrapApiKey={BootstrapKey}",
            "--Obol:PrintDevelopmentKey=false",

            // Reconciliation runs when a test asks (ScheduledReconciliation.RunDueAsync), not on a timer.
            "--Obol:Reconciliation:Schedule:Enabled=false",
        ]);
        if (TestRunLog.Directory is null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }
        else
        {
            builder.Logging.ClearProviders().AddProvider(new TestRunLog()).SetMinimumLevel(LogLevel.Information);
        }

        configure?.Invoke(builder);
        var app = ObolApplication.Build(builder);
        map?.Invoke(app);
        if (ownsDatabase)
        {
            await TestDatabases.CreateMigratedAsync(database, app.Services.GetServices<MigrationSource>());
        }

        await ObolApplication.PrepareAsync(app);
        await app.StartAsync();
        return new ObolTestServer(app, new Uri(app.Urls.First()), database, ownsDatabase);
    }

    public HttpClient CreateClient(string? apiKey = BootstrapKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    public T GetRequiredService<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    /// <summary>Recomputes the whole ledger from its entries and throws, naming each broken invariant, if any is broken.</summary>
    public async Task AssertLedgerBalancedAsync()
    {
        var report = await GetRequiredService<Database>().ReadAsync(s => GetRequiredService<Ledger.ILedger>().VerifyAsync(s, null), CancellationToken.None);
        if (!report.Ok)
        {
            throw new InvalidOperationException("The ledger does not verify: " + string.Join("; ", report.Problems.Select(p => $"{p.Code} {p.AccountId}: {p.Detail}")));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDatabase)
        {
            await TestDatabases.DropAsync(Database);
        }
    }
}
