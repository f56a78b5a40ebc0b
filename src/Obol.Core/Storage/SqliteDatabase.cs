using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Obol.Core.Storage;

/// <summary>
/// SQLite in WAL mode with <c>synchronous=FULL</c>. SQLite allows one writer at a time: this process queues
/// its writers on a gate, and <c>BEGIN IMMEDIATE</c> with a busy timeout orders them against other processes.
/// </summary>
public sealed class SqliteDatabase : Database
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writerGate = new(1, 1);

    /// <remarks>A file is never unavailable the way a server is, so there is no window for waiting on one.</remarks>
    public SqliteDatabase(string connectionString)
        : base(unavailableRetryWindow: TimeSpan.Zero)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = builder.ToString();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // cache_size: 16 MiB of pages per pooled connection instead of the default 2 MiB, so hot indexes stay in memory.
        command.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    protected override async Task<Writer> BeginWriteAsync(CancellationToken cancellationToken)
    {
        await _writerGate.WaitAsync(cancellationToken);
        var gate = new GateRelease(_writerGate);
        try
        {
            var connection = (SqliteConnection)await OpenConnectionAsync(cancellationToken);
            // deferred: false issues BEGIN IMMEDIATE, taking the write lock up front.
            var transaction = connection.BeginTransaction(deferred: false);
            return new Writer(connection, transaction, gate);
        }
        catch
        {
            gate.Dispose();
            throw;
        }
    }

    public override ValueTask DisposeAsync()
    {
        _writerGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class GateRelease(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
