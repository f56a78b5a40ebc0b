using System.Data.Common;
using Npgsql;

namespace Obol.Core.Storage;

/// <summary>PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>; writers lock rows themselves.</summary>
public sealed class PostgresDatabase(string connectionString, TimeSpan unavailableRetryWindow) : Database(unavailableRetryWindow)
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(WithoutReset(WithStatementCache(connectionString)));

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    public NpgsqlDataSource DataSource => _dataSource;

    public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    protected override async Task<Writer> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            return new Writer(connection, transaction, null);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A connection of its own, outside the pool, for a session that lives as long as the process (see
    /// <see cref="Idempotency.NodeLiveness"/>): it neither takes a pool slot for good nor is closed by a pool clear.
    /// TCP keepalives make a server that vanished without closing the connection show up as an error within a minute.
    /// </summary>
    internal NpgsqlConnection CreateDedicatedConnection() =>
        new(new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            TcpKeepAlive = true,
            TcpKeepAliveTime = 10,
            TcpKeepAliveInterval = 5,
        }.ConnectionString);

    /// <summary>
    /// Idle pooled connections opened before the server went away are dead too. Npgsql drops those whose socket the
    /// server closed when it hands them out, but not those of a server that vanished without a word: drop them all.
    /// </summary>
    protected override void OnServerGone() => _dataSource.Clear();

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>
    /// Every statement Obol sends is parameterised text from a small fixed set, so unless the connection string says
    /// otherwise, pooled connections prepare the ones used more than once: PostgreSQL then parses and plans each once
    /// per connection instead of once per call, which is most of its work for short statements.
    /// </summary>
    internal static string WithStatementCache(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 256;
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Unless the connection string says otherwise, a connection going back to the pool is not reset. Obol leaves no
    /// session state on pooled connections: settings are <c>SET LOCAL</c>, advisory locks are transaction-scoped, and the
    /// sessions that hold session locks (migrations, node liveness) use <see cref="CreateDedicatedConnection"/>. The reset
    /// would be three statements per unit of work for nothing.
    /// </summary>
    internal static string WithoutReset(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers for every keyword it knows; the plain builder keeps what was given.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.ContainsKey("No Reset On Close") || given.ContainsKey("NoResetOnClose"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString;
    }
}
