using System.CommandLine;
using Obol.Core.Merchants;

namespace Obol.Server;

/// <summary>Administrative commands run against the configured database: <c>merchants create --name "Acme"</c>.</summary>
internal static class ServerCommands
{
    public static Task<int> RunAsync(string[] args)
    {
        var name = new Option<string>("--name") { Description = "The merchant's display name", Required = true };
        var mode = new Option<string>("--mode") { Description = "Key mode: test or live", DefaultValueFactory = _ => "test" };
        var create = new Command("create", "Create a merchant and print its first secret key (shown once)") { name, mode };
        create.SetAction(async (parse, cancellationToken) =>
        {
            var builder = ObolApplication.CreateBuilder([]);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            await using var app = ObolApplication.Build(builder);
            await ObolApplicationMigrations.ApplyAsync(app, cancellationToken);
            var apiKeys = app.Services.GetRequiredService<ApiKeys>();
            var merchant = await apiKeys.CreateMerchantAsync(parse.GetValue(name)!, cancellationToken);
            var issued = await apiKeys.IssueAsync(merchant.Id, parse.GetValue(mode)!, "created with merchant", cancellationToken);
            await Console.Out.WriteLineAsync($"merchant: {merchant.Id} ({merchant.Name})");
            await Console.Out.WriteLineAsync($"secret key (shown once, store it now): {issued.Secret}");
            return 0;
        });

        var root = new RootCommand("Obol server administration") { new Command("merchants", "Manage merchants") { create } };
        return root.Parse(args).InvokeAsync();
    }
}

internal static class ObolApplicationMigrations
{
    public static Task ApplyAsync(WebApplication app, CancellationToken cancellationToken) =>
        app.Services.GetRequiredService<Obol.Core.Storage.MigrationRunner>().ApplyAsync(cancellationToken);
}
