using System.Data.Common;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Obol.Core.Storage;

namespace Obol.Core.Idempotency;

/// <summary>
/// This server process's node id, recorded on the idempotency claims its requests hold, and the test of whether the
/// holder of a claim is certainly dead, so that the claim can be taken over at once instead of when its lease runs out.
/// <para>
/// On PostgreSQL a node id is alive exactly while one database session holds a session-level advisory lock keyed by it:
/// a dedicated connection (outside the pool) that the node keeps open, and that the server closes when the node's
/// process dies (<c>kill -9</c> closes its sockets; a host that vanished is found by TCP keepalives within about half a
/// minute). If the lock can be taken, no session holds it, so the holder is dead. When this node's own session breaks
/// (the server restarted) it does not take the same id back: it draws a new one. An id thus names one session, and once
/// its lock is free it never comes back, so "free" stays a certain answer, including for claims of this very process
/// made before the break (their requests failed with the server, or finish by their lock token: see below).
/// </para>
/// <para>
/// On SQLite only one process uses a database file (Obol's writers queue on an in-process gate), so a claim held by
/// any other node id was made by an earlier process, which is gone.
/// </para>
/// <para>
/// Liveness only decides when a takeover may happen, never whether two requests can both commit: a request completes
/// only while it holds the claim's lock token, and a takeover replaces that token (a compare-and-set), so a request
/// whose claim was taken over, wrongly or not, rolls back (409 <c>idempotency_key_in_use</c>) and the key's effects
/// commit once.
/// </para>
/// </summary>
public sealed partial class NodeLiveness : BackgroundService
{
    // Advisory locks keyed by two int4 values never meet those keyed by one bigint (the migration lock, the ledger's and
    // the payouts' per-key locks); this first key keeps node locks apart from any other two-key use.
    private const int LockSpace = 0x0B01_0DE5;
    private static readonly TimeSpan ReconnectFirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ReconnectMaxDelay = TimeSpan.FromSeconds(2);

    private readonly Database _database;
    private readonly ILogger<NodeLiveness> _logger;
    private NpgsqlConnection? _session;
    private int _nodeId;

    public NodeLiveness(Database database, ILogger<NodeLiveness> logger)
    {
        _database = database;
        _logger = logger;
        if (database.Provider == DatabaseProvider.Sqlite)
        {
            _nodeId = NewId();
        }
    }

    /// <summary>The id to record on a claim made now; null while PostgreSQL holds no live session for one (the lease alone protects such a claim).</summary>
    public int? NodeId => Volatile.Read(ref _nodeId) is var id and not 0 ? id : null;

    /// <summary>
    /// True when <paramref name="holder"/> is certainly dead. Inside a PostgreSQL transaction the probe keeps the holder's
    /// lock until the transaction ends, so of two requests that probe the same dead holder at once, the second sees it held.
    /// </summary>
    public async Task<bool> IsDeadAsync(DbSession session, int holder)
    {
        if (holder == NodeId)
        {
            return false;
        }

        return !session.IsPostgres
            || await session.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_xact_lock(@space, @holder)", new { space = LockSpace, holder });
    }

    /// <summary>Takes a node id before the server takes traffic (start-up has already waited for the database); if that fails, the loop keeps trying.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_database is PostgresDatabase postgres)
        {
            try
            {
                await EstablishAsync(postgres, cancellationToken);
            }
            catch (DbException exception)
            {
                LogLost(_logger, exception);
            }
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_database is not PostgresDatabase postgres)
        {
            return;
        }

        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var session = _session ?? await EstablishAsync(postgres, stoppingToken);
                    failures = 0;

                    // Nothing is sent on the session; waiting on it returns for a server notice and throws once it breaks.
                    while (true)
                    {
                        await session.WaitAsync(stoppingToken);
                    }
                }
#pragma warning disable CA1031 // The loop must outlive any way the session can break; it only ends when the host stops.
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    await LoseAsync();
                    LogLost(_logger, exception);
                }

                // Backoff is real waiting for a real server: the system clock, not the application's.
                var delay = TimeSpan.FromTicks(Math.Min(ReconnectMaxDelay.Ticks, ReconnectFirstDelay.Ticks << Math.Min(failures++, 8)));
                await Task.Delay(delay, TimeProvider.System, stoppingToken);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: cancelling the wait may surface as a cancellation or as a broken connection.
        }
        finally
        {
            await LoseAsync();
        }
    }

    /// <summary>Opens the dedicated session and locks a fresh random id on it (another if a live node already has that one).</summary>
    private async Task<NpgsqlConnection> EstablishAsync(PostgresDatabase postgres, CancellationToken cancellationToken)
    {
        var connection = postgres.CreateDedicatedConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            var session = new DbSession(connection, null, DatabaseProvider.Postgres, cancellationToken);

            // The server's side of the keepalives: it ends the session (freeing the lock) when this node's host vanished.
            await session.ExecuteAsync("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3");
            while (true)
            {
                var id = NewId();
                if (await session.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@space, @id)", new { space = LockSpace, id }))
                {
                    _session = connection;
                    Volatile.Write(ref _nodeId, id);
                    LogEstablished(_logger, id);
                    return connection;
                }
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops recording the id first (claims made from now on rely on the lease), then closes its session.</summary>
    private async Task LoseAsync()
    {
        if (_database.Provider == DatabaseProvider.Postgres)
        {
            Volatile.Write(ref _nodeId, 0);
        }

        if (Interlocked.Exchange(ref _session, null) is { } session)
        {
            await session.DisposeAsync();
        }
    }

    private static int NewId() => RandomNumberGenerator.GetInt32(1, int.MaxValue);

    [LoggerMessage(EventId = CoreLogEvents.NodeAlive, Level = LogLevel.Information, Message = "Node {NodeId} is alive (liveness session established)")]
    private static partial void LogEstablished(ILogger logger, int nodeId);

    [LoggerMessage(EventId = CoreLogEvents.NodeLivenessLost, Level = LogLevel.Warning, Message = "Liveness session lost or not established; taking a new node id once the database answers")]
    private static partial void LogLost(ILogger logger, Exception exception);
}
