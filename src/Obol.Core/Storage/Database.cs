using System.Data.Common;
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Obol.Core.Storage;

/// <summary>
/// The one storage abstraction: reads on a pooled connection, writes in a transaction that is retried as a
/// whole on transient errors so callers never see them. Two kinds of transient error are retried differently:
/// a conflict with another writer (serialization failure, deadlock, lock not available, SQLITE_BUSY) a bounded number
/// of times, and a database that is unavailable (PostgreSQL down, restarting, starting up, in recovery; the broken
/// connections a restart leaves behind) for a bounded time, <see cref="DatabaseOptions.UnavailableRetryWindow"/>, after
/// which it throws <see cref="DatabaseUnavailableException"/>.
/// </summary>
public abstract class Database : IAsyncDisposable
{
    private const int MaxConflictRetries = 12;
    private static readonly TimeSpan ConflictFirstDelay = TimeSpan.FromMilliseconds(4);
    private static readonly TimeSpan ConflictMaxDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan UnavailableFirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan UnavailableMaxDelay = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _unavailableRetryWindow;

    static Database() => DapperTypeHandlers.Register();

    /// <param name="unavailableRetryWindow">See <see cref="DatabaseOptions.UnavailableRetryWindow"/>.</param>
    protected Database(TimeSpan unavailableRetryWindow) => _unavailableRetryWindow = unavailableRetryWindow;

    public abstract DatabaseProvider Provider { get; }

    public static Database Create(DatabaseOptions options) => options.Provider switch
    {
        DatabaseProvider.Sqlite => new SqliteDatabase(options.ConnectionString),
        DatabaseProvider.Postgres => new PostgresDatabase(options.ConnectionString, options.UnavailableRetryWindow),
        _ => throw new ArgumentOutOfRangeException(nameof(options)),
    };

    public abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> on an open connection without a transaction. Reads have no effects, so while the
    /// database is unavailable the whole delegate runs again on a fresh connection (see <see cref="Database"/>).
    /// </summary>
    public Task<T> ReadAsync<T>(Func<DbSession, Task<T>> work, CancellationToken cancellationToken) =>
        RetryAsync(async token =>
        {
            await using var connection = await OpenConnectionAsync(token);
            return await work(new DbSession(connection, null, Provider, token));
        }, retryConflicts: false, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction and commits it. On a transient error the whole
    /// delegate runs again in a fresh transaction, so it must not have effects outside the database.
    /// Any other exception rolls back. A COMMIT that gets no answer is the exception: it throws
    /// <see cref="CommitOutcomeUnknownException"/> and is never run again.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<DbSession, Task<T>> work, CancellationToken cancellationToken)
    {
        DbSession? committed = null;
        var result = await RetryAsync(async token =>
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
        }, retryConflicts: true, cancellationToken);
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

    /// <summary>
    /// Called when an error says the server went away (restarted, shut down, connection reset): every idle pooled
    /// connection is then as dead as the one that failed, and handing them out one by one would fail one retry each.
    /// </summary>
    protected virtual void OnServerGone()
    {
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds or fails for good: conflicts (when <paramref name="retryConflicts"/>)
    /// up to <see cref="MaxConflictRetries"/> times, unavailability until the window since the first try has passed.
    /// Backoff is real waiting for a real server, so it runs on the system clock, not the application's.
    /// </summary>
    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> attempt, bool retryConflicts, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var conflicts = 0;
        var outages = 0;
        while (true)
        {
            DbException failure;
            try
            {
                return await attempt(cancellationToken);
            }
            catch (DbException error) when (IsRetriedUnavailability(error) || (retryConflicts && IsConflict(error) && conflicts < MaxConflictRetries))
            {
                failure = error;
            }

            TimeSpan delay;
            if (IsRetriedUnavailability(failure))
            {
                if (ServerWentAway(failure))
                {
                    OnServerGone();
                }

                var left = _unavailableRetryWindow - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    throw new DatabaseUnavailableException(failure);
                }

                delay = Min(Backoff(++outages, UnavailableFirstDelay, UnavailableMaxDelay), left);
            }
            else
            {
                delay = Backoff(++conflicts, ConflictFirstDelay, ConflictMaxDelay);
            }

            await Task.Delay(delay, cancellationToken);
        }
    }

    /// <summary>Exponential with jitter (between half and all of the doubled delay), so retrying callers spread out.</summary>
    private static TimeSpan Backoff(int attempt, TimeSpan first, TimeSpan max)
    {
        var ceiling = Min(max, first * Math.Pow(2, Math.Min(attempt - 1, 16)));
        return ceiling * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// Retried inside <see cref="Database"/>: a conflict with another writer or an unavailable database. Either way
    /// nothing of the failed attempt was applied (a COMMIT without an answer is <see cref="CommitOutcomeUnknownException"/>, never this).
    /// </summary>
    public static bool IsTransient(DbException exception) => IsConflict(exception) || IsUnavailable(exception);

    /// <summary>Another writer got in the way: serialization failure, deadlock, lock not available, SQLITE_BUSY.</summary>
    public static bool IsConflict(DbException exception) => exception switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.LockNotAvailable,
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 /* SQLITE_BUSY */ or 6 /* SQLITE_LOCKED */,
        _ => false,
    };

    /// <summary>
    /// PostgreSQL cannot serve the statement now, for a reason that passes by itself: it is down, starting up, shutting
    /// down or in recovery (57P03, 57P01, 57P02), the connection failed or was refused (class 08, socket and I/O errors,
    /// including the pooled connections a restart broke), it did not answer in time, or it has no connection slot free
    /// (53300). Also <see cref="DatabaseUnavailableException"/> itself.
    /// </summary>
    public static bool IsUnavailable(DbException exception) => exception switch
    {
        DatabaseUnavailableException => true,
        CommitOutcomeUnknownException => false,
        PostgresException pg => pg.SqlState is PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown
                or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.TooManyConnections
            || (pg.SqlState.StartsWith("08", StringComparison.Ordinal) && pg.SqlState != PostgresErrorCodes.ProtocolViolation),
        NpgsqlException npgsql => npgsql.InnerException is IOException or SocketException or TimeoutException,
        _ => false,
    };

    /// <summary>Unavailable, but not already given up on by an inner call (whose window has run out: no window on top of it).</summary>
    private static bool IsRetriedUnavailability(DbException exception) => exception is not DatabaseUnavailableException && IsUnavailable(exception);

    /// <summary>The server ended the connection or refused it, as a restart does; a timeout says nothing about the other connections.</summary>
    private static bool ServerWentAway(DbException exception) => exception switch
    {
        PostgresException pg => pg.SqlState != PostgresErrorCodes.TooManyConnections,
        NpgsqlException npgsql => npgsql.InnerException is IOException or SocketException,
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
