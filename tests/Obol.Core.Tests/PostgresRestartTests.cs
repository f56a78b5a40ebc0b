using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Core.Tests;

/// <summary>
/// <see cref="Database"/> against a real PostgreSQL of the test's own that is restarted immediately (every backend
/// killed, crash recovery) or stopped while the pool holds connections.
/// </summary>
public class PostgresRestartTests
{
    [Fact]
    public async Task After_an_immediate_restart_reads_and_writes_succeed_without_the_caller_seeing_an_error()
    {
        await using var cluster = await PrivatePostgresCluster.StartAsync();
        await using var database = Database.Create(new DatabaseOptions(DatabaseProvider.Postgres, cluster.ConnectionString));
        await database.WriteAsync(s => s.ExecuteAsync("CREATE TABLE t (n INTEGER PRIMARY KEY)"), CancellationToken.None);
        await FillPoolAsync(database);

        await cluster.RestartImmediateAsync();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(n => Task.Run(() =>
            database.WriteAsync(s => s.ExecuteAsync("INSERT INTO t (n) VALUES (@n)", new { n }), CancellationToken.None))));
        var rows = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM t"), CancellationToken.None))));

        Assert.All(rows, count => Assert.Equal(8, count));
    }

    /// <summary>
    /// With no window to retry in, a call that meets a connection the restart killed fails; the pooled connections as dead
    /// as it are not handed out one by one after it (Npgsql drops those the server closed; a failure clears the pool).
    /// </summary>
    [Fact]
    public async Task After_a_restart_dead_pooled_connections_are_not_handed_out_one_by_one()
    {
        await using var cluster = await PrivatePostgresCluster.StartAsync();
        await using var database = Database.Create(new DatabaseOptions(DatabaseProvider.Postgres, cluster.ConnectionString) { UnavailableRetryWindow = TimeSpan.Zero });
        await FillPoolAsync(database);

        await cluster.RestartImmediateAsync();
        var failures = 0;
        for (var i = 0; i < 8; i++)
        {
            try
            {
                Assert.Equal(1, await database.ReadAsync(s => s.ExecuteScalarAsync<int>("SELECT 1"), CancellationToken.None));
            }
            catch (DatabaseUnavailableException)
            {
                failures++;
            }
        }

        Assert.True(failures <= 1, $"{failures} calls met a dead pooled connection");
    }

    [Fact]
    public async Task While_the_server_is_down_calls_give_up_after_the_window_and_nothing_is_applied()
    {
        await using var cluster = await PrivatePostgresCluster.StartAsync();
        await using var database = Database.Create(new DatabaseOptions(DatabaseProvider.Postgres, cluster.ConnectionString) { UnavailableRetryWindow = TimeSpan.FromMilliseconds(300) });
        await database.WriteAsync(s => s.ExecuteAsync("CREATE TABLE t (n INTEGER PRIMARY KEY)"), CancellationToken.None);
        await FillPoolAsync(database);

        await cluster.StopAsync();
        await Assert.ThrowsAsync<DatabaseUnavailableException>(() =>
            database.WriteAsync(s => s.ExecuteAsync("INSERT INTO t (n) VALUES (1)"), CancellationToken.None));
        await Assert.ThrowsAsync<DatabaseUnavailableException>(() =>
            database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM t"), CancellationToken.None));

        await cluster.StartServerAsync();
        Assert.Equal(0, await database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM t"), CancellationToken.None));
        await database.WriteAsync(s => s.ExecuteAsync("INSERT INTO t (n) VALUES (1)"), CancellationToken.None);
        Assert.Equal(1, await database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM t"), CancellationToken.None));
    }

    /// <summary>Eight connections busy at once, then idle in the pool.</summary>
    private static async Task FillPoolAsync(Database database) =>
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            database.ReadAsync(s => s.ExecuteAsync("SELECT pg_sleep(0.2)"), CancellationToken.None))));
}
