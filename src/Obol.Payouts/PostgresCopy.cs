using Npgsql;
using NpgsqlTypes;
using Obol.Core.Storage;

namespace Obol.Payouts;

/// <summary>
/// Rows that are certainly new (under the courier lock, or after a check for stored keys) go to PostgreSQL by binary
/// COPY inside the session's transaction: no per-row conflict handling, and the heap is written in multi-row batches.
/// </summary>
internal sealed class PostgresCopy : IAsyncDisposable
{
    private readonly NpgsqlBinaryImporter _importer;
    private readonly CancellationToken _cancellationToken;

    private PostgresCopy(NpgsqlBinaryImporter importer, CancellationToken cancellationToken)
    {
        _importer = importer;
        _cancellationToken = cancellationToken;
    }

    /// <param name="session">A PostgreSQL session.</param>
    /// <param name="target">The table and its column list, as <c>COPY</c> takes them.</param>
    public static async Task<PostgresCopy> BeginAsync(DbSession session, string target)
    {
        var connection = (NpgsqlConnection)session.Connection;
        var importer = await connection.BeginBinaryImportAsync($"COPY {target} FROM STDIN (FORMAT BINARY)", session.CancellationToken);
        return new PostgresCopy(importer, session.CancellationToken);
    }

    public Task StartRowAsync() => _importer.StartRowAsync(_cancellationToken);

    public Task TextAsync(string? value) =>
        value is null ? _importer.WriteNullAsync(_cancellationToken) : _importer.WriteAsync(value, NpgsqlDbType.Text, _cancellationToken);

    public Task BigintAsync(long value) => _importer.WriteAsync(value, NpgsqlDbType.Bigint, _cancellationToken);

    public Task BigintAsync(long? value) =>
        value is { } number ? BigintAsync(number) : _importer.WriteNullAsync(_cancellationToken);

    public Task InstantAsync(DateTimeOffset? value) =>
        value is { } instant
            ? _importer.WriteAsync(instant.ToUniversalTime(), NpgsqlDbType.TimestampTz, _cancellationToken)
            : _importer.WriteNullAsync(_cancellationToken);

    /// <summary>Ends the COPY; rows are in the table (within the transaction) only after this.</summary>
    public async Task CompleteAsync() => await _importer.CompleteAsync(_cancellationToken);

    public ValueTask DisposeAsync() => _importer.DisposeAsync();
}
