using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Npgsql;

namespace Obol.Core.Storage;

/// <summary>
/// Writes rows in PostgreSQL's binary COPY format (a signature and header, then per row a field count and per
/// field a length and the value in network byte order; a trailer of -1) straight into a raw COPY stream.
/// Encoding the few column types Obol's bulk writes use (text, integers, timestamptz) by hand costs a fraction of
/// Npgsql's per-value importer, which on a bulk ledger booking was the slowest part of the write: the server waited
/// for the client. Rows that are certainly new (under a lock, or after a check for stored keys) go in this way:
/// no per-row conflict handling, and the heap is written in multi-row batches.
/// Rows are buffered and sent in chunks of about 64 KB, so the server works while the next chunk is encoded.
/// </summary>
public sealed class PgCopyWriter : IAsyncDisposable
{
    private const int FlushAt = 64 * 1024;
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly NpgsqlRawCopyStream _stream;
    private readonly CancellationToken _cancellationToken;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(FlushAt * 2);
    private int _length;
    private bool _completed;

    private PgCopyWriter(NpgsqlRawCopyStream stream, CancellationToken cancellationToken)
    {
        _stream = stream;
        _cancellationToken = cancellationToken;
        Header.CopyTo(_buffer, 0);
        _length = Header.Length;
    }

    /// <summary>Starts <c>COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)</c>.</summary>
    public static async Task<PgCopyWriter> BeginAsync(NpgsqlConnection connection, string tableAndColumns, CancellationToken cancellationToken) =>
        new(await connection.BeginRawBinaryCopyAsync($"COPY {tableAndColumns} FROM STDIN (FORMAT BINARY)", cancellationToken), cancellationToken);

    /// <summary>Starts a COPY inside a PostgreSQL session's transaction.</summary>
    public static Task<PgCopyWriter> BeginAsync(DbSession session, string tableAndColumns) =>
        BeginAsync((NpgsqlConnection)session.Connection, tableAndColumns, session.CancellationToken);

    /// <summary>Starts a row of <paramref name="fields"/> values; sends what is buffered once it passes 64 KB.</summary>
    public ValueTask StartRowAsync(short fields)
    {
        if (_length >= FlushAt)
        {
            return FlushThenStartAsync(fields);
        }

        Int16(fields);
        return ValueTask.CompletedTask;
    }

    private async ValueTask FlushThenStartAsync(short fields)
    {
        await FlushAsync();
        Int16(fields);
    }

    public void Text(string? value)
    {
        if (value is null)
        {
            Null();
            return;
        }

        var maxBytes = Encoding.UTF8.GetMaxByteCount(value.Length);
        Ensure(4 + maxBytes);
        var written = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), written);
        _length += 4 + written;
    }

    /// <summary>A <c>bigint</c>.</summary>
    public void Bigint(long value)
    {
        Ensure(12);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), 8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length + 4), value);
        _length += 12;
    }

    public void Bigint(long? value)
    {
        if (value is { } v)
        {
            Bigint(v);
        }
        else
        {
            Null();
        }
    }

    /// <summary>An <c>integer</c> (<c>int4</c>).</summary>
    public void Int4(int value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), 4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length + 4), value);
        _length += 8;
    }

    public void Int4(int? value)
    {
        if (value is { } v)
        {
            Int4(v);
        }
        else
        {
            Null();
        }
    }

    /// <summary>A <c>timestamptz</c>: microseconds since 2000-01-01 UTC.</summary>
    public void Timestamp(DateTimeOffset value) => Bigint(Microseconds(value));

    public void Timestamp(DateTimeOffset? value)
    {
        if (value is { } v)
        {
            Timestamp(v);
        }
        else
        {
            Null();
        }
    }

    public void Null()
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), -1);
        _length += 4;
    }

    /// <summary>Sends the trailer and ends the COPY; the server then reports any error (a broken constraint fails the whole COPY).</summary>
    public async Task CompleteAsync()
    {
        Int16(-1);
        await FlushAsync();
        _completed = true;
        await _stream.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_completed)
            {
                // Not completed: an exception left the caller's block. Cancel the COPY, so nothing of it is written; the
                // server may answer the cancel with the error that ended the COPY, which must not replace the exception
                // already on its way out.
                try
                {
                    await _stream.CancelAsync();
                    await _stream.DisposeAsync();
                }
                catch (NpgsqlException)
                {
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>As Npgsql writes a timestamptz: truncated to microseconds; the largest and smallest instants are infinity.</summary>
    private static long Microseconds(DateTimeOffset value) =>
        value == DateTimeOffset.MaxValue ? long.MaxValue
        : value == DateTimeOffset.MinValue ? long.MinValue
        : (value.UtcTicks - PostgresEpochTicks) / 10;

    private void Int16(short value)
    {
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    private void Ensure(int bytes)
    {
        if (_length + bytes <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    private async ValueTask FlushAsync()
    {
        await _stream.WriteAsync(_buffer.AsMemory(0, _length), _cancellationToken);
        _length = 0;
    }
}
