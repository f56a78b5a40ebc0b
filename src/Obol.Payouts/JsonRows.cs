using System.Globalization;
using System.Text.Json;

namespace Obol.Payouts;

/// <summary>
/// Many rows in one parameter: a JSON array that SQLite reads with <c>json_each</c> and PostgreSQL with
/// <c>jsonb_to_recordset</c>. One statement per batch instead of one per row, on both databases.
/// </summary>
internal static class JsonRows
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = null };

    public static string Serialize<T>(IEnumerable<T> rows) => JsonSerializer.Serialize(rows, Options);

    /// <summary>Fixed-width UTC text: how SQLite stores instants (so it sorts), and what PostgreSQL casts to timestamptz.</summary>
    public static string? Instant(DateTimeOffset? value) =>
        value is { } instant ? Obol.Core.Storage.StoredInstant.SqliteText(instant) : null;
}
