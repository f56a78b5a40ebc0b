using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Obol.Core.Configuration;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Idempotency;
using Obol.Core.Merchants;
using Obol.Core.Storage;

namespace Obol.Core;

public static class CoreServiceCollectionExtensions
{
    public const string DefaultSqliteConnectionString = "Data Source=./data/obol.db";

    /// <summary>Clock, ids, storage and migrations, merchants and keys, idempotency and the HTTP chassis.</summary>
    public static IServiceCollection AddObolCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IdGenerator>();
        services.AddSingleton<Http.ServerAddress>();
        services.AddSingleton(sp => ReadDatabaseOptions(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => Database.Create(sp.GetRequiredService<DatabaseOptions>()));
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton(new MigrationSource("core", typeof(CoreServiceCollectionExtensions).Assembly));

        services.AddModuleOptions<IdempotencyOptions>("Obol:Idempotency", IdempotencyOptions.Problems);
        services.AddModuleOptions<InstallationMode>("Obol", InstallationMode.Problems);
        services.AddSingleton<NodeLiveness>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeLiveness>());
        services.AddSingleton<IdempotencyStore>();
        services.AddHostedService<IdempotencyCleanupService>();

        services.AddSingleton<ApiKeys>();
        services.AddScoped<RequestUnitOfWork>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.ConfigureHttpJsonOptions(o => ObolJson.Configure(o.SerializerOptions));
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    public static DatabaseOptions ReadDatabaseOptions(IConfiguration configuration)
    {
        var providerName = configuration["Obol:Database:Provider"] ?? "sqlite";
        var provider = providerName.ToLowerInvariant() switch
        {
            "sqlite" => DatabaseProvider.Sqlite,
            "postgres" or "postgresql" => DatabaseProvider.Postgres,
            _ => throw new InvalidOperationException($"Obol__Database__Provider must be 'sqlite' or 'postgres', not '{providerName}'."),
        };
        var connectionString = configuration.GetConnectionString("Obol");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = provider == DatabaseProvider.Sqlite
                ? DefaultSqliteConnectionString
                : throw new InvalidOperationException("ConnectionStrings__Obol is required with the postgres provider.");
        }

        var defaults = new DatabaseOptions(provider, connectionString);
        return defaults with
        {
            UnavailableRetryWindow = NonNegative(configuration, "Obol:Database:UnavailableRetryWindow") ?? defaults.UnavailableRetryWindow,
            StartupWait = NonNegative(configuration, "Obol:Database:StartupWait") ?? defaults.StartupWait,
            RetryAfter = NonNegative(configuration, "Obol:Database:RetryAfter") ?? defaults.RetryAfter,
        };
    }

    private static TimeSpan? NonNegative(IConfiguration configuration, string key)
    {
        var value = configuration.GetValue<TimeSpan?>(key);
        return value < TimeSpan.Zero
            ? throw new InvalidOperationException($"{key.Replace(":", "__", StringComparison.Ordinal)} must not be negative.")
            : value;
    }
}
