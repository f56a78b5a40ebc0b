using Microsoft.AspNetCore.Http.HttpResults;
using Obol.Core;
using Obol.Core.Http;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Scheduling;
using Obol.Scheduling.Api;
using Scalar.AspNetCore;

namespace Obol.Server;

/// <summary>The composition root: which modules run, in which pipeline. Program.cs and the tests both use it.</summary>
public static class ObolApplication
{
    public const string DefaultUrl = "http://localhost:5080";

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
        builder.Services.AddObolScheduling(builder.Configuration);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecuritySchemeTransformer>());
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

        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).WithTags("Operations");
        app.MapGet("/readyz", ReadyAsync).WithTags("Operations");
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("Obol API"));

        app.MapMerchantEndpoints();
        app.MapSchedulingEndpoints();
        return app;
    }

    /// <summary>Migrates the database and makes the configured keys valid, before the server takes traffic.</summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken = default)
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
                return await apiKeys.IssueAsync(session, merchant.Id, "test", "development");
            }, cancellationToken);
            await Console.Out.WriteLineAsync($"Obol development API key for {merchant.Id} (valid until the next start): {issued.Secret}");
        }
    }

    private static async Task<Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>>> ReadyAsync(MigrationRunner migrations, HttpContext http)
    {
        bool upToDate;
        try
        {
            upToDate = await migrations.IsUpToDateAsync(http.RequestAborted);
        }
        catch (System.Data.Common.DbException)
        {
            return TypedResults.Json(new ReadyResponse("unavailable", false, false), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return upToDate
            ? TypedResults.Ok(new ReadyResponse("ready", true, true))
            : TypedResults.Json(new ReadyResponse("migrations_pending", true, false), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private sealed record ReadyResponse(string Status, bool Database, bool Migrations);
}
