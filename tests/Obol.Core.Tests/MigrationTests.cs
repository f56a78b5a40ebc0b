using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Core.Tests;

public class MigrationTests
{
    [Theory]
    [BothDatabases]
    public async Task A_fresh_database_gets_every_migration_once_and_a_rerun_is_a_no_op(DatabaseProvider provider)
    {
        await using var database = Database.Create(await TestDatabases.CreateAsync(provider));
        var runner = StorageFixture.Runner(database);
        var known = runner.Known.Count;

        Assert.False(await runner.IsUpToDateAsync(CancellationToken.None));
        Assert.Equal(known, await runner.ApplyAsync(CancellationToken.None));
        Assert.True(await runner.IsUpToDateAsync(CancellationToken.None));
        Assert.Equal(0, await runner.ApplyAsync(CancellationToken.None));

        var recorded = await database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations"), CancellationToken.None);
        Assert.Equal(known, recorded);
        var columns = await database.WriteAsync(s => s.ExecuteAsync(
            "INSERT INTO widgets (id, count, created_at, name) VALUES ('w1', 1, @now, 'first')", new { now = DateTimeOffset.UtcNow }), CancellationToken.None);
        Assert.Equal(1, columns);
    }

    [Theory]
    [BothDatabases]
    public async Task A_migration_changed_after_it_was_applied_stops_start_up(DatabaseProvider provider)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);
        await database.WriteAsync(s => s.ExecuteAsync("UPDATE schema_migrations SET checksum = 'tampered' WHERE module = 'test' AND version = 1"), CancellationToken.None);

        await Assert.ThrowsAsync<MigrationChecksumMismatchException>(() => StorageFixture.Runner(database).ApplyAsync(CancellationToken.None));
        Assert.False(await StorageFixture.Runner(database).IsUpToDateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Migrating_on_postgres_leaves_no_session_lock_behind_on_the_pooled_connections_which_are_not_reset()
    {
        await using var database = await StorageFixture.CreateMigratedAsync(DatabaseProvider.Postgres);

        var advisoryLocks = await database.ReadAsync(s => s.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            CancellationToken.None);
        Assert.Equal(0, advisoryLocks);
        Assert.Contains("No Reset On Close=True", PostgresDatabase.WithoutReset("Host=db"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("No Reset On Close=False", PostgresDatabase.WithoutReset("Host=db;No Reset On Close=false"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Two_nodes_starting_at_once_on_postgres_migrate_exactly_once()
    {
        var options = await TestDatabases.CreateAsync(DatabaseProvider.Postgres);
        var nodes = Enumerable.Range(0, 4).Select(_ => Database.Create(options)).ToArray();
        try
        {
            using var start = new Barrier(nodes.Length);
            var applied = await Task.WhenAll(nodes.Select(node => Task.Run(async () =>
            {
                start.SignalAndWait();
                return await StorageFixture.Runner(node).ApplyAsync(CancellationToken.None);
            })));

            var known = StorageFixture.Runner(nodes[0]).Known.Count;
            Assert.Equal(known, applied.Sum());
            var recorded = await nodes[0].ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations"), CancellationToken.None);
            Assert.Equal(known, recorded);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Two_processes_worth_of_runners_on_sqlite_migrate_exactly_once()
    {
        var options = await TestDatabases.CreateAsync(DatabaseProvider.Sqlite);
        await using var first = Database.Create(options);
        await using var second = Database.Create(options);
        var applied = await Task.WhenAll(
            Task.Run(() => StorageFixture.Runner(first).ApplyAsync(CancellationToken.None)),
            Task.Run(() => StorageFixture.Runner(second).ApplyAsync(CancellationToken.None)));

        Assert.Equal(StorageFixture.Runner(first).Known.Count, applied.Sum());
    }
}
