using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;
using Obol.Core.Storage;

namespace Obol.Core.Tests;

/// <summary>
/// PostgreSQL restarting, starting up, in recovery or unreachable is a passing condition: reads and units of work run
/// again inside <see cref="Database"/> for a bounded time, and the pool is cleared when the server went away. The
/// database double here fails the way Npgsql does; <see cref="PostgresRestartTests"/> does it with a real server.
/// </summary>
public class DatabaseUnavailableTests
{
    [Theory]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    [InlineData(PostgresErrorCodes.CrashShutdown)]
    [InlineData(PostgresErrorCodes.ConnectionFailure)]
    [InlineData(PostgresErrorCodes.SqlClientUnableToEstablishSqlConnection)]
    [InlineData(PostgresErrorCodes.TooManyConnections)]
    public void Server_states_that_pass_by_themselves_are_unavailability(string sqlState)
    {
        Assert.True(Database.IsUnavailable(Postgres(sqlState)));
        Assert.True(Database.IsTransient(Postgres(sqlState)));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    [InlineData(PostgresErrorCodes.ProtocolViolation)]
    [InlineData(PostgresErrorCodes.UndefinedTable)]
    public void Other_server_errors_are_not(string sqlState) => Assert.False(Database.IsUnavailable(Postgres(sqlState)));

    [Fact]
    public void Broken_and_refused_connections_are_unavailability_but_an_unknown_commit_is_not()
    {
        Assert.True(Database.IsUnavailable(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())));
        Assert.True(Database.IsUnavailable(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(Database.IsUnavailable(new NpgsqlException("Timeout", new TimeoutException())));
        Assert.True(Database.IsUnavailable(new DatabaseUnavailableException(new NpgsqlException("down", new IOException()))));
        Assert.False(Database.IsUnavailable(new CommitOutcomeUnknownException(new NpgsqlException("reset", new IOException()))));
        Assert.False(Database.IsUnavailable(new NpgsqlException("The connection pool has been exhausted")));
        Assert.False(Database.IsUnavailable(new SqliteException("database is locked", 5)));
    }

    [Fact]
    public async Task A_read_runs_again_until_the_server_answers_and_the_pool_is_cleared_each_time_it_went_away()
    {
        await using var database = new FlakyDatabase(TimeSpan.FromSeconds(30),
            Postgres(PostgresErrorCodes.CannotConnectNow), ConnectionReset(), Postgres(PostgresErrorCodes.AdminShutdown));

        var value = await database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT 42"), CancellationToken.None);

        Assert.Equal(42, value);
        Assert.Equal(4, database.Opens);
        Assert.Equal(3, database.PoolClears);
    }

    [Fact]
    public async Task A_timeout_is_retried_but_does_not_clear_the_pool()
    {
        await using var database = new FlakyDatabase(TimeSpan.FromSeconds(30), new NpgsqlException("Timeout during reading", new TimeoutException()));

        Assert.Equal(1, await database.ReadAsync(s => s.ExecuteScalarAsync<long>("SELECT 1"), CancellationToken.None));
        Assert.Equal(0, database.PoolClears);
    }

    [Fact]
    public async Task A_unit_of_work_that_met_a_broken_connection_runs_again_whole_and_commits_once()
    {
        await using var database = new FlakyDatabase(TimeSpan.FromSeconds(30));
        var attempts = 0;

        var result = await database.WriteAsync(_ => ++attempts < 3 ? throw ConnectionReset() : Task.FromResult(attempts), CancellationToken.None);

        Assert.Equal(3, result);
        Assert.Equal(1, database.Commits);
        Assert.Equal(2, database.PoolClears);
    }

    [Fact]
    public async Task Still_unavailable_after_the_window_the_caller_gets_database_unavailable_and_nothing_is_committed()
    {
        await using var database = new FlakyDatabase(TimeSpan.FromMilliseconds(200));
        var attempts = 0;

        var thrown = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => database.WriteAsync<int>(_ =>
        {
            attempts++;
            throw Postgres(PostgresErrorCodes.CannotConnectNow);
        }, CancellationToken.None));

        Assert.True(attempts >= 1);
        Assert.Equal(0, database.Commits);
        Assert.IsType<PostgresException>(thrown.InnerException);
        Assert.Equal((503, "database_unavailable"), (thrown.Problem.Status, thrown.Problem.Code));
    }

    [Fact]
    public async Task An_inner_call_that_already_gave_up_is_not_waited_for_again()
    {
        await using var database = new FlakyDatabase(TimeSpan.FromSeconds(30));
        var attempts = 0;

        await Assert.ThrowsAsync<DatabaseUnavailableException>(() => database.WriteAsync<int>(_ =>
        {
            attempts++;
            throw new DatabaseUnavailableException(ConnectionReset());
        }, CancellationToken.None));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Conflicts_are_retried_a_bounded_number_of_times_then_surface_as_they_are()
    {
        await using var database = new FlakyDatabase(TimeSpan.FromSeconds(30));
        var attempts = 0;

        var thrown = await Assert.ThrowsAsync<PostgresException>(() => database.WriteAsync<int>(_ =>
        {
            attempts++;
            throw Postgres(PostgresErrorCodes.SerializationFailure);
        }, CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.SerializationFailure, thrown.SqlState);
        Assert.Equal(13, attempts);
    }

    private static PostgresException Postgres(string sqlState) =>
        new("simulated", sqlState.StartsWith("57P", StringComparison.Ordinal) ? "FATAL" : "ERROR",
            sqlState.StartsWith("57P", StringComparison.Ordinal) ? "FATAL" : "ERROR", sqlState);

    private static NpgsqlException ConnectionReset() => new("Exception while reading from stream", new IOException("connection reset"));

    /// <summary>Opens fail with the given errors, in order, then succeed on an in-memory SQLite connection.</summary>
    private sealed class FlakyDatabase(TimeSpan window, params DbException[] openFailures) : Database(window)
    {
        private readonly Queue<DbException> _openFailures = new(openFailures);

        public int Opens { get; private set; }
        public int Commits { get; private set; }
        public int PoolClears { get; private set; }

        public override DatabaseProvider Provider => DatabaseProvider.Postgres;

        public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
        {
            Opens++;
            if (_openFailures.TryDequeue(out var failure))
            {
                throw failure;
            }

            var connection = new SqliteConnection("Data Source=:memory:");
            await connection.OpenAsync(cancellationToken);
            return connection;
        }

        protected override async Task<Writer> BeginWriteAsync(CancellationToken cancellationToken)
        {
            var connection = await OpenConnectionAsync(cancellationToken);
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            return new Writer(connection, new CountingTransaction(transaction, () => Commits++), null);
        }

        protected override void OnServerGone() => PoolClears++;

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class CountingTransaction(DbTransaction inner, Action committed) : DbTransaction
    {
        public override System.Data.IsolationLevel IsolationLevel => inner.IsolationLevel;
        protected override DbConnection? DbConnection => inner.Connection;

        public override void Commit()
        {
            inner.Commit();
            committed();
        }

        public override void Rollback() => inner.Rollback();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
