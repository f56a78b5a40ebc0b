using System.CommandLine;
using Obol.Core.Merchants;
using Obol.Core.Storage;

namespace Obol.Server;

/// <summary>Administrative commands run against the configured database: <c>merchants create --name "Acme"</c>.</summary>
public static class ServerCommands
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null)
    {
        output ??= Console.Out;
        var name = new Option<string>("--name") { Description = "The merchant's display name", Required = true };
        var mode = new Option<string>("--mode") { Description = "Key mode: test or live (default: the installation's, Obol:Mode)" };
        // Unmatched tokens are configuration for the host, e.g. --ConnectionStrings:Obol=…
        var create = new Command("create", "Create a merchant and print its first secret key (shown once)") { name, mode };
        create.TreatUnmatchedTokensAsErrors = false;
        create.SetAction(async (parse, cancellationToken) =>
        {
            var builder = ObolApplication.CreateBuilder([.. parse.UnmatchedTokens, "--Obol:PrintDevelopmentKey=false"]);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            await using var app = ObolApplication.Build(builder);
            await app.Services.GetRequiredService<MigrationRunner>().ApplyAsync(cancellationToken);
            var apiKeys = app.Services.GetRequiredService<ApiKeys>();
            var merchant = await apiKeys.CreateMerchantAsync(parse.GetValue(name)!, cancellationToken);
            var issued = await apiKeys.IssueAsync(
                merchant.Id, parse.GetValue(mode) ?? app.Services.GetRequiredService<InstallationMode>().Mode, "created with merchant", cancellationToken);
            await output.WriteLineAsync($"merchant: {merchant.Id} ({merchant.Name})");
            await output.WriteLineAsync($"secret key (shown once, store it now): {issued.Secret}");
            return 0;
        });

        var root = new RootCommand("Obol server administration") { new Command("merchants", "Manage merchants") { create } };
        return root.Parse(args).InvokeAsync();
    }
}
