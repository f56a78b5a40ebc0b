using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Obol.Core.Storage;

namespace Obol.Testing;

/// <summary>
/// Databases for tests: temporary SQLite files, or databases in the throwaway PostgreSQL cluster that
/// <c>./test.sh</c> starts (its admin connection string is in <c>OBOL_TEST_POSTGRES</c>). PostgreSQL missing is a
/// failure, never a skip.
/// <para>
/// A migrated database is a copy of a template migrated once per test process and set of migrations
/// (<c>CREATE DATABASE … TEMPLATE</c> on PostgreSQL, a file copy on SQLite): running every migration for every test
/// was most of what a test's setup cost. Whatever is not dropped by its owner is dropped when the process exits.
/// </para>
/// </summary>
public static class TestDatabases
{
    public const string PostgresVariable = "OBOL_TEST_POSTGRES";

    private static readonly ConcurrentDictionary<string, Lazy<Task<DatabaseOptions>>> Templates = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, DatabaseOptions> Undropped = new(StringComparer.Ordinal);

    static TestDatabases() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DropUndropped();

    /// <summary>A new, empty database: no migrations applied.</summary>
    public static async Task<DatabaseOptions> CreateAsync(DatabaseProvider provider)
    {
        var database = Allocate(provider);
        await CreateAsync(database, template: null);
        return database;
    }

    /// <summary>A new database with <paramref name="sources"/>' migrations applied, copied from their template.</summary>
    public static async Task<DatabaseOptions> CreateMigratedAsync(DatabaseProvider provider, IEnumerable<MigrationSource> sources)
    {
        var database = Allocate(provider);
        await CreateMigratedAsync(database, sources);
        return database;
    }

    /// <summary>
    /// The options of a database that does not exist yet, for a test that must name its database before it knows the
    /// migrations (a server is configured with its connection string before it is built). Create it with
    /// <see cref="CreateMigratedAsync(DatabaseOptions, IEnumerable{MigrationSource})"/>.
    /// </summary>
    public static DatabaseOptions Allocate(DatabaseProvider provider)
    {
        DatabaseOptions database;
        if (provider == DatabaseProvider.Sqlite)
        {
            var directory = Path.Combine(Path.GetTempPath(), "obol-tests");
            Directory.CreateDirectory(directory);
            database = new DatabaseOptions(provider, $"Data Source={Path.Combine(directory, $"{Guid.NewGuid():N}.db")}");
        }
        else
        {
            var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString()) { Database = $"obol_t_{Guid.NewGuid():N}", MaxPoolSize = 40 };
            database = new DatabaseOptions(provider, builder.ConnectionString);
        }

        Undropped[database.ConnectionString] = database;
        return database;
    }

    public static async Task CreateMigratedAsync(DatabaseOptions database, IEnumerable<MigrationSource> sources)
    {
        var migrations = sources.ToList();
        var key = $"{database.Provider}:{string.Join(',', migrations.Select(s => s.Module))}";
        var template = await Templates.GetOrAdd(key, _ => new Lazy<Task<DatabaseOptions>>(() => CreateTemplateAsync(database.Provider, migrations))).Value;
        await CreateAsync(database, template);
    }

    /// <summary>Drops a database nobody uses any more (its servers and pools closed).</summary>
    public static async Task DropAsync(DatabaseOptions database)
    {
        if (!Undropped.TryRemove(database.ConnectionString, out _))
        {
            return;
        }

        if (database.Provider == DatabaseProvider.Sqlite)
        {
            DeleteSqliteFiles(database);
            return;
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {PostgresName(database)} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task CreateAsync(DatabaseOptions database, DatabaseOptions? template)
    {
        if (database.Provider == DatabaseProvider.Sqlite)
        {
            if (template is not null)
            {
                File.Copy(SqlitePath(template), SqlitePath(database));
            }

            return;
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync();
        var from = template is null ? "" : $" TEMPLATE {PostgresName(template)}";
        await using var command = new NpgsqlCommand($"CREATE DATABASE {PostgresName(database)}{from}", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<DatabaseOptions> CreateTemplateAsync(DatabaseProvider provider, IReadOnlyList<MigrationSource> sources)
    {
        var template = await CreateAsync(provider);
        await using (var database = Database.Create(template))
        {
            await new MigrationRunner(database, sources, TimeProvider.System, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        }

        if (provider == DatabaseProvider.Sqlite)
        {
            // Everything into the main file, so that copying the file alone copies the database; and no pooled
            // connection left on the template.
            await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder(template.ConnectionString) { Pooling = false }.ToString()))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                await command.ExecuteNonQueryAsync();
            }
        }

        return template;
    }

    private static void DropUndropped()
    {
        var left = Undropped.Values.ToList();
        Undropped.Clear();
        foreach (var database in left.Where(d => d.Provider == DatabaseProvider.Sqlite))
        {
            DeleteSqliteFiles(database);
        }

        var postgres = left.Where(d => d.Provider == DatabaseProvider.Postgres).ToList();
        if (postgres.Count == 0)
        {
            return;
        }

        try
        {
            using var connection = new NpgsqlConnection(AdminConnectionString());
            connection.Open();
            foreach (var database in postgres)
            {
                using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {PostgresName(database)} WITH (FORCE)", connection);
                command.ExecuteNonQuery();
            }
        }
        catch (NpgsqlException)
        {
            // The cluster is gone already (test.sh stops it after the tests): nothing is left to drop.
        }
    }

    private static void DeleteSqliteFiles(DatabaseOptions database)
    {
        // The pool SqliteDatabase opens its connections in; its connections would keep the deleted files alive.
        using (var pooled = new SqliteConnection(new SqliteConnectionStringBuilder(database.ConnectionString) { Pooling = true }.ToString()))
        {
            SqliteConnection.ClearPool(pooled);
        }

        var path = SqlitePath(database);
        foreach (var file in new[] { path, $"{path}-wal", $"{path}-shm", $"{path}-journal" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Still open somewhere (a test that leaked a connection): the temporary directory keeps it.
            }
        }
    }

    private static string SqlitePath(DatabaseOptions database) =>
        Path.GetFullPath(new SqliteConnectionStringBuilder(database.ConnectionString).DataSource);

    private static string PostgresName(DatabaseOptions database) => new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;

    private static string AdminConnectionString()
    {
        var admin = Environment.GetEnvironmentVariable(PostgresVariable);
        return string.IsNullOrEmpty(admin)
            ? throw new InvalidOperationException(
                $"{PostgresVariable} is not set. Run the tests with ./test.sh, which starts a throwaway PostgreSQL 15 cluster.")
            : admin;
    }
}
