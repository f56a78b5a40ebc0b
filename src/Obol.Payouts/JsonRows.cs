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

    /// <summary>
    /// An instant as a statement parameter. Dapper binds <see cref="DateTimeOffset"/> itself (its own type map wins
    /// over Core's handler), and Microsoft.Data.Sqlite would then write <c>2027-03-01 00:00:00+00:00</c>, which does
    /// not compare as text with the stored form. So SQLite gets the stored text form explicitly.
    /// </summary>
    public static object At(Obol.Core.Storage.DbSession session, DateTimeOffset value) =>
        session.IsPostgres ? value.ToUniversalTime() : Instant(value)!;
}
