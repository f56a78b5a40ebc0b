using System.Net;
using System.Net.Http.Headers;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

public class AuthenticationTests
{
    [Theory]
    [BothDatabases]
    public async Task Missing_malformed_wrong_and_revoked_keys_are_401(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        using var anonymous = server.CreateClient(apiKey: null);
        await (await anonymous.GetAsync("/v1/api-keys")).ReadProblemAsync(401, "unauthenticated");

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "c2s6");
        await (await anonymous.GetAsync("/v1/api-keys")).ReadProblemAsync(401, "unauthenticated");

        using var wrong = server.CreateClient("sk_test_thisisnotakeythatexists00000000");
        await (await wrong.GetAsync("/v1/api-keys")).ReadProblemAsync(401, "unauthenticated");

        using var admin = server.CreateClient();
        var issued = await (await admin.PostJsonAsync("/v1/api-keys", """{"label":"temp"}""")).ReadJsonAsync();
        using var temp = server.CreateClient(issued.GetProperty("secret").GetString());
        Assert.Equal(HttpStatusCode.OK, (await temp.GetAsync("/v1/api-keys")).StatusCode);

        var revoke = await admin.PostAsync($"/v1/api-keys/{issued.GetProperty("id").GetString()}/revoke", null);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        await (await temp.GetAsync("/v1/api-keys")).ReadProblemAsync(401, "unauthenticated");
    }

    [Theory]
    [BothDatabases]
    public async Task A_merchant_cannot_see_or_touch_another_merchants_objects(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        var apiKeys = server.GetRequiredService<ApiKeys>();
        var merchantB = await apiKeys.CreateMerchantAsync("B", CancellationToken.None);
        var keyB = await apiKeys.IssueAsync(merchantB.Id, "test", null, CancellationToken.None);
        using var clientA = server.CreateClient();
        using var clientB = server.CreateClient(keyB.Secret);

        var counter = await (await clientA.PostJsonAsync("/v1/test/counters", """{"name":"a-only"}""")).ReadJsonAsync();
        var counterId = counter.GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.OK, (await clientA.GetAsync($"/v1/test/counters/{counterId}")).StatusCode);
        await (await clientB.GetAsync($"/v1/test/counters/{counterId}")).ReadProblemAsync(404, "not_found");
        var unknownKeyId = keyB.Key.Id[..^1] + (keyB.Key.Id[^1] == '0' ? '1' : '0');
        await (await clientB.PostAsync($"/v1/api-keys/{unknownKeyId}/revoke", null)).ReadProblemAsync(404, "not_found");

        var keysOfA = await (await clientA.GetAsync("/v1/api-keys")).ReadJsonAsync();
        var idOfAKey = keysOfA.GetProperty("data")[0].GetProperty("id").GetString();
        await (await clientB.PostAsync($"/v1/api-keys/{idOfAKey}/revoke", null)).ReadProblemAsync(404, "not_found");
        var keysOfB = await (await clientB.GetAsync("/v1/api-keys")).ReadJsonAsync();
        Assert.DoesNotContain(keysOfB.GetProperty("data").EnumerateArray(), k => k.GetProperty("id").GetString() == idOfAKey);
    }

    [Theory]
    [BothDatabases]
    public async Task Keys_are_stored_only_as_hashes_and_secrets_are_shown_once(DatabaseProvider provider)
    {
        await using var server = await TestCounters.StartServerAsync(provider);
        using var client = server.CreateClient();
        var issued = await (await client.PostJsonAsync("/v1/api-keys", """{"mode":"test","label":"ci"}""")).ReadJsonAsync();
        var secret = issued.GetProperty("secret").GetString()!;

        Assert.StartsWith("sk_test_", secret, StringComparison.Ordinal);
        Assert.True(secret.Length >= 8 + 22, "at least 128 bits of base62 randomness");
        var stored = await server.GetRequiredService<Database>().ReadAsync(
            s => s.QueryAsync<string>("SELECT id || '|' || key_hash || '|' || last4 || '|' || coalesce(label, '') FROM api_keys"), CancellationToken.None);
        Assert.DoesNotContain(stored, row => row.Contains(secret, StringComparison.Ordinal) || row.Contains(ObolTestServer.BootstrapKey, StringComparison.Ordinal));

        var listed = await (await client.GetAsync("/v1/api-keys")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        await (await client.PostJsonAsync("/v1/api-keys", """{"label":"x"}""", "some-key")).ReadProblemAsync(400, "idempotency_key_not_supported");
    }

    [Fact]
    public async Task The_server_command_creates_a_merchant_and_prints_its_key_once()
    {
        var database = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite);
        using var output = new StringWriter();

        var exit = await ServerCommands.RunAsync(
            ["merchants", "create", "--name", "Acme", $"--ConnectionStrings:Obol={database.ConnectionString}", "--Logging:LogLevel:Default=Warning"], output);

        Assert.Equal(0, exit);
        var secret = output.ToString().Split(' ', '\n').Single(w => w.StartsWith("sk_test_", StringComparison.Ordinal)).Trim();
        await using var server = await TestCounters.StartServerAsync(DatabaseProvider.Sqlite, database: database);
        using var client = server.CreateClient(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/api-keys")).StatusCode);
    }
}
