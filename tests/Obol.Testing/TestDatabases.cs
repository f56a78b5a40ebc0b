using Npgsql;
using Obol.Core.Storage;

namespace Obol.Testing;

/// <summary>
/// A fresh, empty database per call: a temporary SQLite file, or a new database in the throwaway PostgreSQL
/// cluster that <c>./test.sh</c> starts (its admin connection string is in <c>OBOL_TEST_POSTGRES</c>).
/// PostgreSQL missing is a failure, never a skip.
/// </summary>
public static class TestDatabases
{
    public const string PostgresVariable = "OBOL_TEST_POSTGRES";

    public static async Task<DatabaseOptions> CreateAsync(DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            var directory = Path.Combine(Path.GetTempPath(), "obol-tests");
            Directory.CreateDirectory(directory);
            return new DatabaseOptions(provider, $"Data Source={Path.Combine(directory, $"{Guid.NewGuid():N}.db")}");
        }

        var admin = Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrEmpty(admin))
        {
            throw new InvalidOperationException(
                $"{PostgresVariable} is not set. Run the tests with ./test.sh, which starts a throwaway PostgreSQL 15 cluster.");
        }

        var name = $"obol_t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 40 };
        return new DatabaseOptions(provider, builder.ConnectionString);
    }
}
