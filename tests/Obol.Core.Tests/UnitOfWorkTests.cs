using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Core.Tests;

public class UnitOfWorkTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-25T10:00:00.123456Z", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [BothDatabases]
    public async Task A_failed_unit_of_work_leaves_nothing_behind(DatabaseProvider provider)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);

        await Assert.ThrowsAsync<InvalidOperationException>(() => database.WriteAsync(async s =>
        {
            await s.ExecuteAsync("INSERT INTO widgets (id, count, created_at) VALUES ('w1', 1, @Now)", new { Now });
            throw new InvalidOperationException("rejected after the first write");
        }, CancellationToken.None));

        Assert.Equal(0, await CountWidgetsAsync(database));
    }

    [Theory]
    [BothDatabases]
    public async Task Transient_errors_are_retried_inside_and_the_work_commits_once(DatabaseProvider provider)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);
        var attempts = 0;
        var afterCommit = 0;

        var result = await database.WriteAsync(async s =>
        {
            attempts++;
            await s.ExecuteAsync("INSERT INTO widgets (id, count, created_at) VALUES ('w1', 1, @Now)", new { Now });
            s.AfterCommit(() =>
            {
                afterCommit++;
                return Task.CompletedTask;
            });
            if (attempts < 3)
            {
                throw Transient(provider);
            }

            return "done";
        }, CancellationToken.None);

        Assert.Equal("done", result);
        Assert.Equal(3, attempts);
        Assert.Equal(1, afterCommit);
        Assert.Equal(1, await CountWidgetsAsync(database));
    }

    [Theory]
    [BothDatabases]
    public async Task Instants_round_trip_to_the_microsecond(DatabaseProvider provider)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);
        await database.WriteAsync(s => s.ExecuteAsync("INSERT INTO widgets (id, count, created_at) VALUES ('w1', 1, @Now)", new { Now }), CancellationToken.None);

        var read = await database.ReadAsync(s => s.QuerySingleAsync<DateTimeOffset>("SELECT created_at FROM widgets"), CancellationToken.None);
        Assert.Equal(Now, read);
        Assert.Equal(TimeSpan.Zero, read.Offset);
    }

    [Theory]
    [BothDatabases]
    public async Task Concurrent_read_modify_write_loses_no_update(DatabaseProvider provider)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);
        await database.WriteAsync(s => s.ExecuteAsync("INSERT INTO widgets (id, count, created_at) VALUES ('w1', 0, @Now)", new { Now }), CancellationToken.None);

        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, token) =>
            await database.WriteAsync(async s =>
            {
                var count = await s.QuerySingleAsync<long>(s.Sql(
                    "SELECT count FROM widgets WHERE id = 'w1'",
                    "SELECT count FROM widgets WHERE id = 'w1' FOR UPDATE"));
                await s.ExecuteAsync("UPDATE widgets SET count = @next WHERE id = 'w1'", new { next = count + 1 });
            }, token));

        Assert.Equal(200, await database.ReadAsync(s => s.QuerySingleAsync<long>("SELECT count FROM widgets WHERE id = 'w1'"), CancellationToken.None));
    }

    [Fact]
    public async Task A_postgres_deadlock_is_retried_and_both_writers_succeed()
    {
        await using var database = await StorageFixture.CreateMigratedAsync(DatabaseProvider.Postgres);
        await database.WriteAsync(s => s.ExecuteAsync(
            "INSERT INTO widgets (id, count, created_at) VALUES ('a', 0, @Now), ('b', 0, @Now)", new { Now }), CancellationToken.None);

        using var bothHoldOneLock = new Barrier(2);
        var totalAttempts = 0;
        async Task LockInOrder(string first, string second)
        {
            var attempt = 0;
            await database.WriteAsync(async s =>
            {
                attempt++;
                Interlocked.Increment(ref totalAttempts);
                await s.ExecuteAsync("UPDATE widgets SET count = count + 1 WHERE id = @first", new { first });
                if (attempt == 1)
                {
                    bothHoldOneLock.SignalAndWait(TimeSpan.FromSeconds(30));
                }

                await s.ExecuteAsync("UPDATE widgets SET count = count + 1 WHERE id = @second", new { second });
            }, CancellationToken.None);
        }

        await Task.WhenAll(Task.Run(() => LockInOrder("a", "b")), Task.Run(() => LockInOrder("b", "a")));

        Assert.True(totalAttempts >= 3, "one of the two transactions must have been chosen as the deadlock victim and retried");
        var counts = await database.ReadAsync(s => s.QueryAsync<long>("SELECT count FROM widgets ORDER BY id"), CancellationToken.None);
        Assert.Equal([2L, 2L], counts);
    }

    private static Task<long> CountWidgetsAsync(Database database) =>
        database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT count(*) FROM widgets"), CancellationToken.None);

    private static DbException Transient(DatabaseProvider provider) => provider == DatabaseProvider.Sqlite
        ? new SqliteException("database is locked", 5)
        : new PostgresException("could not serialize access", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);
}

public class InstantStorageTests
{
    [Fact]
    public async Task Sqlite_stores_instants_as_fixed_width_utc_text_whatever_the_offset()
    {
        await using var database = await StorageFixture.CreateMigratedAsync(DatabaseProvider.Sqlite);
        var local = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.FromHours(2));
        DateTimeOffset? nullable = local.AddTicks(5);
        await database.WriteAsync(s => s.ExecuteAsync(
            "INSERT INTO widgets (id, count, created_at, name) VALUES ('w1', 1, @local, NULL), ('w2', 2, @nullable, NULL)", new { local, nullable }), CancellationToken.None);

        var stored = await database.ReadAsync(s => s.QueryAsync<string>("SELECT created_at FROM widgets ORDER BY id"), CancellationToken.None);

        Assert.Equal(["2026-11-25T08:00:00.000000Z", "2026-11-25T08:00:00.000000Z"], stored);
    }
}
