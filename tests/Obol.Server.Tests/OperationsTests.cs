using System.Net;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

public class OperationsTests
{
    [Theory]
    [BothDatabases]
    public async Task Health_readiness_openapi_and_docs_need_no_key(DatabaseProvider provider)
    {
        await using var server = await ObolTestServer.StartAsync(provider);
        using var client = server.CreateClient(apiKey: null);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        var ready = await (await client.GetAsync("/readyz")).ReadJsonAsync();
        Assert.Equal("ready", ready.GetProperty("status").GetString());

        var openApi = await (await client.GetAsync("/openapi/v1.json")).ReadJsonAsync();
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/v1/api-keys", out _));
        var docs = await client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_hosts_starting_at_once_on_one_postgres_database_both_become_ready()
    {
        var database = await TestDatabases.CreateAsync(DatabaseProvider.Postgres);
        var servers = await Task.WhenAll(
            Task.Run(() => ObolTestServer.StartAsync(DatabaseProvider.Postgres, database: database)),
            Task.Run(() => ObolTestServer.StartAsync(DatabaseProvider.Postgres, database: database)));
        try
        {
            foreach (var server in servers)
            {
                using var client = server.CreateClient();
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/api-keys")).StatusCode);
            }

            var migrations = await servers[0].GetRequiredService<Database>().ReadAsync(
                s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations"), CancellationToken.None);
            Assert.Equal(servers[0].GetRequiredService<MigrationRunner>().Known.Count, migrations);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }
}
