using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace Obol.Core.Storage;

/// <summary>
/// The columns of rows that go to the database many at a time, each with its SQL type and where its value comes from,
/// spelled once. From it come the column list; the rows as a binary COPY (PostgreSQL, <see cref="PgCopyWriter"/>); and
/// the rows as a table a statement selects from, in one statement however many rows: on PostgreSQL <c>unnest</c> of
/// one typed array per column, on SQLite <c>json_each</c> of one JSON array holding an array per row
/// (or, for one column, the values themselves).
/// A key list that drives a lookup is such a table too (see <see cref="DbSession.JoinEach"/>).
/// </summary>
/// <example>
/// <code>
/// static readonly RowShape&lt;Day&gt; Days = new RowShape&lt;Day&gt;().Text("courier_id", d => d.CourierId).Bigint("minutes", d => d.Minutes);
/// await session.ExecuteAsync($"INSERT INTO days ({Days.Columns}) SELECT {Days.Columns} FROM {Days.From(session, "rows", "r")} WHERE true ON CONFLICT …",
///     Days.Bind(session, "rows", days, new { merchantId }));
/// </code>
/// </example>
public sealed class RowShape<T>
{
    private readonly Column[] _columns;

    public RowShape()
        : this([])
    {
    }

    private RowShape(Column[] columns)
    {
        _columns = columns;
        Columns = string.Join(", ", columns.Select(c => c.Name));
    }

    /// <summary>The column names in order, comma-separated: <c>a, b, c</c>.</summary>
    public string Columns { get; }

    public RowShape<T> Text(string name, Func<T, string?> value) =>
        With(new Column<string?>(name, "text", value, (copy, v) => copy.Text(v), (json, v) => json.WriteStringValue(v)));

    public RowShape<T> Bigint(string name, Func<T, long> value) =>
        With(new Column<long>(name, "bigint", value, (copy, v) => copy.Bigint(v), (json, v) => json.WriteNumberValue(v)));

    public RowShape<T> Bigint(string name, Func<T, long?> value) =>
        With(new Column<long?>(name, "bigint", value, (copy, v) => copy.Bigint(v), (json, v) => Number(json, v)));

    /// <summary>An <c>integer</c> (<c>int4</c>) column.</summary>
    public RowShape<T> Int4(string name, Func<T, int> value) =>
        With(new Column<int>(name, "integer", value, (copy, v) => copy.Int4(v), (json, v) => json.WriteNumberValue(v)));

    public RowShape<T> Int4(string name, Func<T, int?> value) =>
        With(new Column<int?>(name, "integer", value, (copy, v) => copy.Int4(v), (json, v) => Number(json, v)));

    /// <summary>An instant: <c>timestamptz</c> on PostgreSQL (which Npgsql writes only from UTC), <see cref="StoredInstant.SqliteText"/> on SQLite.</summary>
    public RowShape<T> Timestamp(string name, Func<T, DateTimeOffset> value) =>
        With(new Column<DateTimeOffset>(name, "timestamptz", r => value(r).ToUniversalTime(),
            (copy, v) => copy.Timestamp(v), (json, v) => Instant(json, v)));

    public RowShape<T> Timestamp(string name, Func<T, DateTimeOffset?> value) =>
        With(new Column<DateTimeOffset?>(name, "timestamptz", r => value(r)?.ToUniversalTime(),
            (copy, v) => copy.Timestamp(v), (json, v) => Instant(json, v)));

    /// <summary>
    /// The rows as a table named <paramref name="alias"/> with this shape's columns, read from the parameters
    /// <see cref="Bind"/> adds under <paramref name="parameter"/>: <c>unnest(@p_a::text[], …) AS alias (a, …)</c> on
    /// PostgreSQL, <c>(SELECT value ->> '$[0]' AS a, … FROM json_each(@p)) AS alias</c> on SQLite (<c>value AS a</c>
    /// for one column). Rows come in list
    /// order. SQLite needs <c>WHERE true</c> between such a table and an <c>ON CONFLICT</c> clause (else it reads
    /// <c>ON</c> as a join constraint).
    /// </summary>
    public string From(DbSession session, string parameter, string alias)
    {
        var sql = new StringBuilder();
        if (session.IsPostgres)
        {
            sql.Append("unnest(");
            for (var i = 0; i < _columns.Length; i++)
            {
                sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"@{parameter}_{_columns[i].Name}::{_columns[i].SqlType}[]");
            }

            return sql.Append(CultureInfo.InvariantCulture, $") AS {alias} ({Columns})").ToString();
        }

        if (_columns.Length == 1)
        {
            return $"(SELECT value AS {_columns[0].Name} FROM json_each(@{parameter})) AS {alias}";
        }

        sql.Append("(SELECT ");
        for (var i = 0; i < _columns.Length; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"value ->> '$[{i}]' AS {_columns[i].Name}");
        }

        return sql.Append(CultureInfo.InvariantCulture, $" FROM json_each(@{parameter})) AS {alias}").ToString();
    }

    /// <summary>
    /// The parameters of <see cref="From"/> for <paramref name="rows"/> (one array per column on PostgreSQL, one JSON
    /// text on SQLite), with the properties of <paramref name="template"/> for the rest of the statement.
    /// </summary>
    public DynamicParameters Bind(DbSession session, string parameter, IReadOnlyCollection<T> rows, object? template = null)
    {
        var parameters = new DynamicParameters(template);
        if (session.IsPostgres)
        {
            foreach (var column in _columns)
            {
                parameters.Add($"{parameter}_{column.Name}", column.Array(rows));
            }
        }
        else
        {
            parameters.Add(parameter, Json(rows));
        }

        return parameters;
    }

    /// <summary>Writes the rows into <paramref name="table"/> with binary COPY, inside the session's transaction.</summary>
    public Task CopyAsync(DbSession session, string table, IEnumerable<T> rows) =>
        CopyAsync((NpgsqlConnection)session.Connection, table, rows, session.CancellationToken);

    /// <summary>
    /// Writes the rows into <paramref name="table"/> with binary COPY (no per-row conflict handling: for rows that are
    /// certainly new, or behind a savepoint). A broken constraint fails the whole COPY.
    /// </summary>
    public async Task CopyAsync(NpgsqlConnection connection, string table, IEnumerable<T> rows, CancellationToken cancellationToken)
    {
        var fields = checked((short)_columns.Length);
        await using var copy = await PgCopyWriter.BeginAsync(connection, $"{table} ({Columns})", cancellationToken);
        foreach (var row in rows)
        {
            await copy.StartRowAsync(fields);
            foreach (var column in _columns)
            {
                column.Copy(copy, row);
            }
        }

        await copy.CompleteAsync();
    }

    /// <summary>
    /// The rows as SQLite reads them with <c>json_each</c>: a JSON array of one array per row, in column order (element
    /// paths are cheaper for SQLite to find than keys: about half the time for eight columns), or of the values
    /// themselves for one column;
    /// instants in <see cref="StoredInstant.SqliteText"/> form, the form SQLite stores them in.
    /// </summary>
    internal string Json(IReadOnlyCollection<T> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, rows.Count * _columns.Length * 16));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var row in rows)
            {
                if (_columns.Length == 1)
                {
                    _columns[0].Json(writer, row);
                    continue;
                }

                writer.WriteStartArray();
                foreach (var column in _columns)
                {
                    column.Json(writer, row);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private RowShape<T> With(Column column) => new([.. _columns, column]);

    private static void Number(Utf8JsonWriter writer, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static void Instant(Utf8JsonWriter writer, DateTimeOffset? instant)
    {
        if (instant is not { } value)
        {
            writer.WriteNullValue();
            return;
        }

        Span<char> text = stackalloc char[32];
        if (!value.UtcDateTime.TryFormat(text, out var length, StoredInstant.SqliteFormat, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"The instant {value:O} does not fit its stored form.");
        }

        writer.WriteStringValue(text[..length]);
    }

    private abstract class Column(string name, string sqlType)
    {
        public string Name { get; } = name;
        public string SqlType { get; } = sqlType;

        public abstract void Copy(PgCopyWriter copy, T row);

        public abstract void Json(Utf8JsonWriter writer, T row);

        public abstract Array Array(IReadOnlyCollection<T> rows);
    }

    /// <summary>A column of <typeparamref name="TValue"/>, with how COPY and JSON write one value.</summary>
    private sealed class Column<TValue>(
        string name, string sqlType, Func<T, TValue> value, Action<PgCopyWriter, TValue> copy, Action<Utf8JsonWriter, TValue> json)
        : Column(name, sqlType)
    {
        public override void Copy(PgCopyWriter writer, T row) => copy(writer, value(row));

        public override void Json(Utf8JsonWriter writer, T row) => json(writer, value(row));

        public override Array Array(IReadOnlyCollection<T> rows)
        {
            var values = new TValue[rows.Count];
            var i = 0;
            foreach (var row in rows)
            {
                values[i++] = value(row);
            }

            return values;
        }
    }
}
