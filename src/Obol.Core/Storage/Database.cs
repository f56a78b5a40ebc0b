using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Obol.Core.Storage;

/// <summary>
/// The one storage abstraction: reads on a pooled connection, writes in a transaction that is retried as a
/// whole on transient errors (serialization failure, deadlock, SQLITE_BUSY) so callers never see them.
/// </summary>
public abstract class Database : IAsyncDisposable
{
    private readonly ResiliencePipeline _transientRetry;

    static Database() => DapperTypeHandlers.Register();

    protected Database()
    {
        _transientRetry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<DbException>(IsTransient),
                MaxRetryAttempts = 12,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(4),
                MaxDelay = TimeSpan.FromMilliseconds(500),
            })
            .Build();
    }

    public abstract DatabaseProvider Provider { get; }

    public static Database Create(DatabaseOptions options) => options.Provider switch
    {
        DatabaseProvider.Sqlite => new SqliteDatabase(options.ConnectionString),
        DatabaseProvider.Postgres => new PostgresDatabase(options.ConnectionString),
        _ => throw new ArgumentOutOfRangeException(nameof(options)),
    };

    public abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> on an open connection without a transaction.</summary>
    public async Task<T> ReadAsync<T>(Func<DbSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await work(new DbSession(connection, null, Provider, cancellationToken));
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction and commits it. On a transient error the whole
    /// delegate runs again in a fresh transaction, so it must not have effects outside the database.
    /// Any other exception rolls back. A COMMIT that gets no answer is the exception: it throws
    /// <see cref="CommitOutcomeUnknownException"/> and is never run again.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<DbSession, Task<T>> work, CancellationToken cancellationToken)
    {
        DbSession? committed = null;
        var result = await _transientRetry.ExecuteAsync(async token =>
        {
            await using var writer = await BeginWriteAsync(token);
            var session = new DbSession(writer.Connection, writer.Transaction, Provider, token);
            var value = await work(session);
            await session.RunBeforeCommitAsync();
            try
            {
                // Never cancelled: cancelling a COMMIT cannot undo it, only make its outcome unknown.
                await writer.Transaction.CommitAsync(CancellationToken.None);
            }
            catch (NpgsqlException lost) when (lost is not PostgresException || lost is PostgresException { InvariantSeverity: "FATAL" or "PANIC" })
            {
                // No answer to COMMIT (the connection broke or timed out, or the server process ended while the commit
                // waited, e.g. for a synchronous standby): it may have committed. Running the work again could apply it
                // twice, so this is not retried; the caller learns the outcome is unknown.
                throw new CommitOutcomeUnknownException(lost);
            }

            committed = session;
            return value;
        }, cancellationToken);
        await committed!.RunAfterCommitAsync();
        return result;
    }

    public Task WriteAsync(Func<DbSession, Task> work, CancellationToken cancellationToken) =>
        WriteAsync(async session =>
        {
            await work(session);
            return true;
        }, cancellationToken);

    protected abstract Task<Writer> BeginWriteAsync(CancellationToken cancellationToken);

    public static bool IsTransient(DbException exception) => exception switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.LockNotAvailable,
        NpgsqlException npgsql => npgsql.IsTransient,
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 /* SQLITE_BUSY */ or 6 /* SQLITE_LOCKED */,
        _ => false,
    };

    /// <summary>True when the error is a unique-constraint violation on either provider.</summary>
    public static bool IsUniqueViolation(DbException exception) => exception switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 2067 /* SQLITE_CONSTRAINT_UNIQUE */ or 1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */,
        _ => false,
    };

    public abstract ValueTask DisposeAsync();

    /// <summary>An open connection with a write transaction; disposing it rolls back what was not committed.</summary>
    protected sealed class Writer(DbConnection connection, DbTransaction transaction, IDisposable? gate) : IAsyncDisposable
    {
        public DbConnection Connection { get; } = connection;
        public DbTransaction Transaction { get; } = transaction;

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Transaction.DisposeAsync();
                await Connection.DisposeAsync();
            }
            finally
            {
                gate?.Dispose();
            }
        }
    }
}
