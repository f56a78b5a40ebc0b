using System.Data.Common;
using System.Text.Json;
using Dapper;

namespace Obol.Core.Storage;

/// <summary>
/// An open connection, and inside <see cref="Database.WriteAsync{T}"/> its transaction: a unit of work.
/// Everything a request writes goes through one session so that it commits or rolls back as one.
/// </summary>
public sealed class DbSession
{
    private List<Func<Task>>? _afterCommit;
    private Queue<Func<Task>>? _beforeCommit;

    internal DbSession(DbConnection connection, DbTransaction? transaction, DatabaseProvider provider, CancellationToken cancellationToken)
    {
        Connection = connection;
        Transaction = transaction;
        Provider = provider;
        CancellationToken = cancellationToken;
    }

    public DbConnection Connection { get; }
    public DbTransaction? Transaction { get; }
    public DatabaseProvider Provider { get; }
    public CancellationToken CancellationToken { get; }

    public bool IsPostgres => Provider == DatabaseProvider.Postgres;

    /// <summary>Picks the statement for this session's provider.</summary>
    public string Sql(string sqlite, string postgres) => IsPostgres ? postgres : sqlite;

    /// <summary>
    /// "<paramref name="column"/> is one of the values of list parameter <paramref name="name"/>", the parameter
    /// made by <see cref="ListOf{T}"/>: one parameter however long the list (Dapper's <c>IN @list</c> gives SQLite
    /// one variable per value, and SQLite allows 32,766).
    /// </summary>
    public string InList(string column, string name) =>
        IsPostgres ? $"{column} = ANY(@{name})" : $"{column} IN (SELECT value FROM json_each(@{name}))";

    /// <summary>The value of a list parameter for <see cref="InList"/>: an array on PostgreSQL, a JSON array on SQLite.</summary>
    public object ListOf<T>(IEnumerable<T> values) => IsPostgres ? values.ToArray() : JsonSerializer.Serialize(values);

    /// <summary>
    /// Joins <paramref name="table"/> (as <paramref name="alias"/>) to the key table before it in the FROM clause (a
    /// <see cref="RowShape{T}.From"/>), one key at a time: for each key, the rows that meet <paramref name="condition"/>,
    /// found through the table's index. Left to themselves both planners may scan the table instead (neither has a row
    /// estimate for a key list), and a prepared statement's generic plan made while the table was small would keep
    /// scanning it as it grows. SQLite keeps the order of a <c>CROSS JOIN</c>; on PostgreSQL the table is a
    /// <c>LATERAL</c> subquery that <c>OFFSET 0</c> keeps from being flattened.
    /// </summary>
    public string JoinEach(string table, string alias, string condition) =>
        IsPostgres
            ? $"CROSS JOIN LATERAL (SELECT * FROM {table} {alias} WHERE {condition} OFFSET 0) {alias}"
            : $"CROSS JOIN {table} {alias} ON {condition}";

    public Task<int> ExecuteAsync(string sql, object? param = null) =>
        Connection.ExecuteAsync(Command(sql, param));

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? param = null) =>
        (await Connection.QueryAsync<T>(Command(sql, param))).AsList();

    public Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? param = null) =>
        Connection.QuerySingleOrDefaultAsync<T>(Command(sql, param));

    public Task<T> QuerySingleAsync<T>(string sql, object? param = null) =>
        Connection.QuerySingleAsync<T>(Command(sql, param));

    public Task<T?> ExecuteScalarAsync<T>(string sql, object? param = null) =>
        Connection.ExecuteScalarAsync<T>(Command(sql, param));

    /// <summary>
    /// Runs as the unit of work's last step, inside its transaction, just before the commit (in the order registered).
    /// For writes to rows every unit touches (a hot ledger account): taking their locks last holds them for the
    /// shortest time. A failure rolls the whole unit back, as if it had run inline.
    /// </summary>
    public void BeforeCommit(Func<Task> action)
    {
        if (Transaction is null)
        {
            throw new InvalidOperationException("BeforeCommit needs a unit of work with a transaction (Database.WriteAsync).");
        }

        (_beforeCommit ??= new Queue<Func<Task>>()).Enqueue(action);
    }

    internal async Task RunBeforeCommitAsync()
    {
        while (_beforeCommit is { Count: > 0 })
        {
            await _beforeCommit.Dequeue()();
        }
    }

    /// <summary>Runs after the transaction has committed (never on rollback or retry).</summary>
    public void AfterCommit(Func<Task> action) => (_afterCommit ??= []).Add(action);

    internal async Task RunAfterCommitAsync()
    {
        if (_afterCommit is null)
        {
            return;
        }

        foreach (var action in _afterCommit)
        {
            await action();
        }
    }

    private CommandDefinition Command(string sql, object? param) =>
        new(sql, param, Transaction, cancellationToken: CancellationToken);
}
