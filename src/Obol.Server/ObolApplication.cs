using System.Data.Common;
using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Obol.Core;
using Obol.Core.Http;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Fx;
using Obol.Fx.Api;
using Obol.Ledger;
using Obol.Payments;
using Obol.Payments.Api;
using Obol.Payments.Psp;
using Obol.Payments.Webhooks;
using Obol.PspSimulator;
using Obol.PspSimulator.Webhooks;
using Obol.Payouts;
using Obol.Reconciliation;
using Obol.Reconciliation.Http;
using Obol.Scheduling;
using Obol.Scheduling.Api;
using Obol.Server.OpenApi;
using Obol.Webhooks;
using Obol.Webhooks.Api;
using Scalar.AspNetCore;

namespace Obol.Server;

/// <summary>The composition root: which modules run, in which pipeline. Program.cs and the tests both use it.</summary>
public static partial class ObolApplication
{
    public const string DefaultUrl = "http://localhost:5080";

    /// <summary>How long <c>/readyz</c> waits for the database before it answers 503.</summary>
    public static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(2);

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            o.UseUtcTimestamp = true;
        });

        // ASP.NET Core's own request lines ("Request starting … GET /path?query"), the log scope it opens for each request
        // (its RequestPath is on every line of the request) and its debug logs (routing, Kestrel's bad requests) show paths
        // and query strings as sent, secrets and card numbers included. Capped here, not only in appsettings.json, which is
        // found only when Obol starts in its own directory; Hosting.Diagnostics is off altogether, because it opens that
        // scope whenever it may log at all. Obol logs its own line per request and its own scope, with the request id
        // (RequestIdMiddleware). Only a setting for a narrower category can lift a cap.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = RequestBodyMiddleware.MaxBodyBytes;
        });

        builder.Services.AddObolCore(builder.Configuration);
        builder.Services.AddObolWebhooks();
        builder.Services.AddObolLedger();
        builder.Services.AddObolFx();
        builder.Services.AddObolPayments();
        builder.Services.AddObolReconciliation();
        builder.Services.AddObolPayouts();
        builder.Services.AddObolScheduling();
        var hostsSimulator = HostsPspSimulator(builder.Configuration, builder.Environment);
        if (hostsSimulator)
        {
            builder.Services.AddPspSimulator(builder.Configuration);
            if (string.IsNullOrEmpty(builder.Configuration["Obol:Fx:RatesUrl"]) && string.IsNullOrEmpty(builder.Configuration["Obol:Fx:RatesFile"]))
            {
                // Without a rates source of its own, a server that runs the simulator takes the simulator's ECB-style rates.
                builder.Configuration.AddInMemoryCollection([new("Obol:Fx:RatesUrl", "sim/ecb/eurofxref-daily.xml")]);
            }
        }

        builder.Services.AddSingleton<IValidateOptions<PaymentsOptions>>(new EveryPspReachable(hostsSimulator));

        builder.Services.AddOpenApi(options => ObolOpenApi.Configure(options)); // a lambda: the XML-comment generator intercepts only calls it recognises
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<RequestBodyMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).WithTags("Operations")
            .WithName("getHealth").WithSummary("Liveness: the process answers").WithDescription("Needs no key and touches no database.");
        app.MapGet("/readyz", ReadyAsync).WithTags("Operations").Produces<ReadyResponse>(StatusCodes.Status503ServiceUnavailable)
            .WithName("getReadiness").WithSummary("Readiness: the database answers and every migration is applied")
            .WithDescription("Needs no key. 503 with the same body while the database is unreachable or migrations are pending.");
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("Obol API"));

        if (HostsPspSimulator(app.Configuration, app.Environment))
        {
            // Faults, reset and webhook configuration are for whoever holds an API key; the PSP APIs keep their own auth.
            app.MapPspSimulator(control => control.RequireAuthorization());
            app.Lifetime.ApplicationStarted.Register(() => SendSimulatorWebhooksHere(app.Services));
        }

        app.MapMerchantEndpoints();
        app.MapLedgerEndpoints();
        app.MapFxEndpoints();
        app.MapPaymentsEndpoints();
        app.MapPspWebhookEndpoints();
        app.MapReconciliationEndpoints();
        app.MapPayoutsEndpoints();
        app.MapSchedulingEndpoints();
        app.MapWebhooksEndpoints();
        return app;
    }

    /// <summary>
    /// The PSP simulator runs in-process under <c>/sim</c> when a PSP has no base URL and it is enabled:
    /// <c>Obol:PspSimulator:Enabled</c>, by default on except in Production, where a PSP without a base URL stops
    /// start-up rather than take payments that move no money.
    /// </summary>
    public static bool HostsPspSimulator(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue("Obol:PspSimulator:Enabled", !environment.IsProduction())
        && (string.IsNullOrEmpty(configuration["Obol:Payments:Stripe:BaseUrl"]) || string.IsNullOrEmpty(configuration["Obol:Payments:Adyen:BaseUrl"]));

    /// <summary>A PSP without a base URL is the in-process simulator, so it needs one.</summary>
    private sealed class EveryPspReachable(bool hostsSimulator) : IValidateOptions<PaymentsOptions>
    {
        public ValidateOptionsResult Validate(string? name, PaymentsOptions options)
        {
            var unset = new[] { ("Stripe", options.Stripe.BaseUrl), ("Adyen", options.Adyen.BaseUrl) }.Where(p => string.IsNullOrEmpty(p.Item2)).ToList();
            return hostsSimulator || unset.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(unset.Select(p =>
                    $"{PaymentsOptions.Section}:{p.Item1}:BaseUrl is not set and the in-process PSP simulator is off (Obol:PspSimulator:Enabled, off by default in Production): "
                    + $"give the PSP's base URL and secrets, or enable the simulator to try Obol without moving money."));
        }
    }

    /// <summary>
    /// Points the in-process simulator's webhooks at this server's own PSP webhook endpoints (unless configured
    /// otherwise), with the secrets the payments module verifies them with. Runs once the listening address is known.
    /// </summary>
    private static void SendSimulatorWebhooksHere(IServiceProvider services)
    {
        var targets = services.GetRequiredService<WebhookTargets>();
        var self = services.GetRequiredService<ServerAddress>().Self();
        var payments = services.GetRequiredService<PaymentsOptions>();
        if (targets.For(Psp.Stripe).Count == 0)
        {
            targets.Set(Psp.Stripe, [new WebhookEndpoint(new Uri(self, "webhooks/psp/stripe"), payments.Stripe.WebhookSecret)]);
        }

        if (targets.For(Psp.Adyen).Count == 0)
        {
            targets.Set(Psp.Adyen, [new WebhookEndpoint(new Uri(self, "webhooks/psp/adyen"), payments.Adyen.HmacKey)]);
        }
    }

    /// <summary>
    /// Migrates the database and makes the configured keys valid, before the server takes traffic. A database that is
    /// not available yet (starting up, in recovery, not listening) is waited for, up to <c>Obol:Database:StartupWait</c>:
    /// every step is safe to run again (a COMMIT without an answer included), so the whole preparation is retried.
    /// </summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        // Every module's settings, before the database is touched (the host checks them again when it starts).
        app.Services.GetRequiredService<IStartupValidator>().Validate();

        var wait = app.Services.GetRequiredService<DatabaseOptions>().StartupWait;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ObolApplication));
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await PrepareOnceAsync(app, cancellationToken);
                return;
            }
            catch (DbException exception) when ((Database.IsUnavailable(exception) || exception is CommitOutcomeUnknownException)
                && Stopwatch.GetElapsedTime(started) < wait)
            {
                LogWaitingForDatabase(logger, exception);
            }

            // Real waiting for a real server: the system clock, not the application's.
            var delay = TimeSpan.FromMilliseconds(Math.Min(2000, 100 << Math.Min(attempt, 5)));
            await Task.Delay(delay, TimeProvider.System, cancellationToken);
        }
    }

    private static async Task PrepareOnceAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var services = app.Services;
        await services.GetRequiredService<MigrationRunner>().ApplyAsync(cancellationToken);
        var apiKeys = services.GetRequiredService<ApiKeys>();
        var merchant = await apiKeys.EnsureDefaultMerchantAsync(cancellationToken);

        if (app.Configuration["Obol:BootstrapApiKey"] is { Length: > 0 } bootstrapKey)
        {
            await apiKeys.RegisterAsync(merchant.Id, bootstrapKey, "bootstrap", cancellationToken);
        }

        if (app.Configuration.GetValue("Obol:PrintDevelopmentKey", app.Environment.IsDevelopment()))
        {
            // A fresh key each start, the previous one revoked: only hashes are stored, so the secret can be shown only now.
            var database = services.GetRequiredService<Database>();
            var issued = await database.WriteAsync(async session =>
            {
                await apiKeys.RevokeLabelledAsync(session, merchant.Id, "development");
                return await apiKeys.IssueAsync(session, merchant.Id, services.GetRequiredService<InstallationMode>().Mode, "development");
            }, cancellationToken);
            await Console.Out.WriteLineAsync($"Obol development API key for {merchant.Id} (valid until the next start): {issued.Secret}");
        }
    }

    /// <summary>
    /// Ready when the database answers and every migration is applied. A probe wants an answer now, so the database
    /// gets <see cref="ReadinessTimeout"/> to answer rather than the whole retry window requests get.
    /// </summary>
    private static async Task<Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>>> ReadyAsync(MigrationRunner migrations, HttpContext http)
    {
        bool upToDate;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(ReadinessTimeout);
        try
        {
            upToDate = await migrations.IsUpToDateAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is DbException || (exception is OperationCanceledException && !http.RequestAborted.IsCancellationRequested))
        {
            return TypedResults.Json(new ReadyResponse("unavailable", false, false), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return upToDate
            ? TypedResults.Ok(new ReadyResponse("ready", true, true))
            : TypedResults.Json(new ReadyResponse("migrations_pending", true, false), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    [LoggerMessage(EventId = ServerLogEvents.WaitingForDatabase, Level = LogLevel.Warning, Message = "The database is not available yet; start-up waits for it")]
    private static partial void LogWaitingForDatabase(ILogger logger, Exception exception);

    private sealed record ReadyResponse(string Status, bool Database, bool Migrations);
}
