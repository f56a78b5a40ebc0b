using System.Collections.Concurrent;
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

    /// <summary>
    /// Clients create counters, each under its own key and sent again with that key until it is created, while the
    /// server is restarted immediately twice. Every answer is a success, a 503 that says when to come back (or that a
    /// COMMIT went unanswered), or a 409 for a key whose earlier try is being taken over; never a 500. Every counter is
    /// stored once, and writes after the restarts succeed.
    /// </summary>
    [Fact]
    public async Task Requests_across_immediate_restarts_never_get_a_500_and_every_write_lands_exactly_once()
    {
        await using var cluster = await PrivatePostgresCluster.StartAsync();
        await using var server = await StartServerAsync(cluster, new() { ["Obol:Database:UnavailableRetryWindow"] = "00:00:30" });
        using var client = server.CreateClient();
        var unexpected = new ConcurrentQueue<string>();
        var created = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();

        async Task ClientAsync(int worker)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = $"w{worker}-{n}";
                while (true)
                {
                    var response = await client.PostJsonAsync(Path, $$"""{"name":"{{key}}"}""", key);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        created[key] = response.Headers.Location!.ToString();
                        break;
                    }

                    var body = await response.Content.ReadAsStringAsync();
                    var expected = response.StatusCode switch
                    {
                        HttpStatusCode.ServiceUnavailable => body.Contains("\"commit_outcome_unknown\"", StringComparison.Ordinal)
                            || (body.Contains("\"database_unavailable\"", StringComparison.Ordinal) && response.Headers.RetryAfter is not null),
                        HttpStatusCode.Conflict => body.Contains("\"idempotency_key_in_use\"", StringComparison.Ordinal),
                        _ => false,
                    };
                    if (!expected)
                    {
                        unexpected.Enqueue($"{(int)response.StatusCode} {body}");
                    }

                    await Task.Delay(50, TestContext.Current.CancellationToken);
                }
            }
        }

        var clients = Enumerable.Range(0, 4).Select(worker => Task.Run(() => ClientAsync(worker), TestContext.Current.CancellationToken)).ToArray();
        await WaitForAsync(() => created.Count >= 20);
        await cluster.RestartImmediateAsync();
        var afterFirst = created.Count;
        await WaitForAsync(() => created.Count >= afterFirst + 20);
        await cluster.RestartImmediateAsync();
        var afterSecond = created.Count;
        await WaitForAsync(() => created.Count >= afterSecond + 20);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Empty(unexpected);
        var names = await server.GetRequiredService<Database>().ReadAsync(s => s.QueryAsync<string>("SELECT name FROM test_counters"), CancellationToken.None);
        Assert.Equal(created.Keys.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
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

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var tries = 0; !condition(); tries++)
        {
            Assert.True(tries < 1200, "The clients made no progress.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
