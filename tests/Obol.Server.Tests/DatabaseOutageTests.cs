using System.Net;
using Microsoft.Extensions.Configuration;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

/// <summary>
/// PostgreSQL restarting, stopped or not yet started is a passing condition for the server, never a 500: requests are
/// retried inside for a while, then answered 503 <c>database_unavailable</c> with <c>Retry-After</c>, and start-up waits.
/// Each test runs its own cluster, which it restarts, stops and starts under the server.
/// </summary>
public class DatabaseOutageTests
{
    private const string Path = "/v1/test/counters";

    [Fact]
    public async Task While_postgres_is_down_requests_are_503_with_retry_after_readyz_is_503_and_nothing_is_applied()
    {
        await using var cluster = await PrivatePostgresCluster.StartAsync();
        await using var server = await StartServerAsync(cluster, new() { ["Obol:Database:UnavailableRetryWindow"] = "00:00:00.3", ["Obol:Database:RetryAfter"] = "00:00:02.5" });
        using var client = server.CreateClient();
        using var probe = server.CreateClient(apiKey: null);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(Path, """{"name":"before"}""", "before")).StatusCode);

        await cluster.StopAsync();
        var write = await client.PostJsonAsync(Path, """{"name":"during"}""", "during");
        var read = await client.GetAsync($"{Path}/ctr_whatever");
        var ready = await probe.GetAsync("/readyz");

        foreach (var response in new[] { write, read })
        {
            await response.ReadProblemAsync(503, "database_unavailable");
            Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("unavailable", (await ready.ReadJsonAsync()).GetProperty("status").GetString());

        await cluster.StartServerAsync();
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/readyz")).StatusCode);
        var retried = await client.PostJsonAsync(Path, """{"name":"during"}""", "during");
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.False(retried.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, await TestCounters.CountAsync(server));
    }

    [Fact]
    public async Task Start_up_waits_for_a_database_that_is_not_up_yet()
    {
        await using var cluster = await PrivatePostgresCluster.StartAsync();
        await cluster.StopAsync();

        var starting = StartServerAsync(cluster, new());
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.False(starting.IsCompleted);
        await cluster.StartServerAsync();
        await using var server = await starting;

        using var client = server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync(Path, """{"name":"a"}""", "a")).StatusCode);
    }

    private static Task<ObolTestServer> StartServerAsync(PrivatePostgresCluster cluster, Dictionary<string, string?> settings) =>
        TestCounters.StartServerAsync(
            DatabaseProvider.Postgres,
            builder => builder.Configuration.AddInMemoryCollection(settings),
            new DatabaseOptions(DatabaseProvider.Postgres, cluster.ConnectionString));
}
