using System.Data;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Obol.Core.Storage;

/// <summary>
/// Instants are <c>timestamptz</c> on PostgreSQL and fixed-width ISO 8601 UTC text on SQLite (so they sort
/// as text). One Dapper handler lets the same code read and write both.
/// </summary>
internal static class DapperTypeHandlers
{
    private static int _registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            // Dapper maps DateTimeOffset itself and would ignore the handler for parameters unless the
            // built-in mapping is removed first.
            SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
            SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
            SqlMapper.AddTypeHandler(new InstantHandler());
        }
    }

    private sealed class InstantHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
        {
            if (parameter is SqliteParameter)
            {
                parameter.DbType = DbType.String;
                parameter.Value = StoredInstant.SqliteText(value);
            }
            else
            {
                parameter.Value = value.ToUniversalTime();
            }
        }

        public override DateTimeOffset Parse(object value) => value switch
        {
            DateTimeOffset offset => offset.ToUniversalTime(),
            DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
            string text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            _ => throw new DataException($"Cannot read an instant from {value.GetType().Name}."),
        };
    }
}

/// <summary>The one text form of an instant on SQLite, for code that binds parameters without Dapper.</summary>
public static class StoredInstant
{
    /// <summary>UTC, microseconds, fixed width (<c>2026-11-25T14:03:00.000000Z</c>), so text order is time order.</summary>
    public static string SqliteText(DateTimeOffset value) =>
        value.UtcDateTime.ToString(SqliteFormat, CultureInfo.InvariantCulture);

    internal const string SqliteFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>
    /// The instant as both databases keep it: UTC, to the microsecond. An instant made with this equals the one read
    /// back, so what is in memory after a write is what a later read gives.
    /// </summary>
    public static DateTimeOffset Of(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
}
