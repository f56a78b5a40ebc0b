using System.Net;
using System.Text.Json;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Payments.Tests;

/// <summary>Obol's Adyen webhook verifies what real Adyen signs, as Adyen's own library computes it.</summary>
public class AdyenNotificationSignatureTests
{
    [Theory]
    [BothDatabases]
    public async Task A_notification_signed_by_the_official_adyen_library_is_accepted(DatabaseProvider provider)
    {
        // Items signed by @adyen/api-library 32.1.0 (tests/psp-clients checks them with it), whose references and merchant
        // account hold ':' and '\': the notification signature escapes neither.
        using var fixture = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryFile("tests/psp-clients/fixtures/adyen-notification-signed.json")));
        await using var server = await PaymentsServer.StartAsync(provider, new Dictionary<string, string?>
        {
            ["Obol:Payments:Adyen:HmacKey"] = fixture.RootElement.GetProperty("hmacKey").GetString(),
        });
        using var anonymous = server.Server.CreateClient(apiKey: null);

        var response = await anonymous.PostJsonAsync("/webhooks/psp/adyen", fixture.RootElement.GetProperty("notification").GetRawText());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[accepted]", await response.Content.ReadAsStringAsync());
        var recorded = await server.Service<Database>().ReadAsync(
            s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM psp_webhook_events WHERE psp = 'adyen'"), CancellationToken.None);
        Assert.Equal(2, recorded);
    }

    private static string RepositoryFile(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Obol.slnx")))
            {
                return Path.Combine(directory.FullName, relativePath);
            }
        }

        throw new InvalidOperationException($"Obol.slnx not found above {AppContext.BaseDirectory}");
    }
}
