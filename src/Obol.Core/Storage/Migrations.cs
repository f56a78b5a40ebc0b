using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Obol.Core.Storage;

public sealed record Migration(string Module, int Version, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(
        SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

/// <summary>
/// A module's migrations: embedded resources named <c>Migrations/{sqlite|postgres}/NNNN_name.sql</c>.
/// Modules register one each; they are applied in registration order, then by version.
/// </summary>
public sealed partial class MigrationSource(string module, Assembly assembly)
{
    public string Module { get; } = module;

    public IReadOnlyList<Migration> For(DatabaseProvider provider)
    {
        var folder = provider == DatabaseProvider.Sqlite ? "sqlite" : "postgres";
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = ResourceName().Match(resource);
            if (!match.Success || !string.Equals(match.Groups["provider"].Value, folder, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(
                Module,
                int.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                reader.ReadToEnd()));
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Module '{Module}' has two {folder} migrations numbered {duplicate.Key}.");
        }

        return migrations.OrderBy(m => m.Version).ToList();
    }

    [GeneratedRegex(@"\.Migrations\.(?<provider>sqlite|postgres)\.(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex ResourceName();
}

public sealed class MigrationChecksumMismatchException(Migration migration, string recorded)
    : InvalidOperationException($"Migration {migration.Module}/{migration.Version:D4}_{migration.Name} was changed after it was applied (recorded checksum {recorded}, now {migration.Checksum}). Add a new migration instead.");

/// <summary>
/// Applies pending migrations, each in its own transaction together with its <c>schema_migrations</c> row.
/// On PostgreSQL a session advisory lock keeps two nodes starting at once from both migrating; on SQLite
/// <c>BEGIN IMMEDIATE</c> does the same.
/// </summary>
public sealed partial class MigrationRunner(Database database, IEnumerable<MigrationSource> sources, TimeProvider clock, ILogger<MigrationRunner> logger)
{
    // Arbitrary but fixed: every Obol node takes the same lock.
    private const long AdvisoryLockKey = 0x0B01_5C4E_4D41;

    private const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            module TEXT NOT NULL,
            version INTEGER NOT NULL,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            PRIMARY KEY (module, version)
        );
        """;

    public IReadOnlyList<Migration> Known => sources.SelectMany(s => s.For(database.Provider)).ToList();

    public async Task<int> ApplyAsync(CancellationToken cancellationToken)
    {
        if (database is PostgresDatabase postgres)
        {
            // Outside the pool: a session lock must never go back to it (pooled connections are not reset).
            await using var connection = postgres.CreateDedicatedConnection();
            await connection.OpenAsync(cancellationToken);
            var lockSession = new DbSession(connection, null, database.Provider, cancellationToken);
            await lockSession.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = AdvisoryLockKey });
            try
            {
                return await ApplyPendingAsync(cancellationToken);
            }
            finally
            {
                await lockSession.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLockKey });
            }
        }

        return await ApplyPendingAsync(cancellationToken);
    }

    /// <summary>True when every known migration is recorded with a matching checksum.</summary>
    public async Task<bool> IsUpToDateAsync(CancellationToken cancellationToken)
    {
        var applied = await database.ReadAsync(s => ReadAppliedAsync(s), cancellationToken);
        return Known.All(m => applied.TryGetValue((m.Module, m.Version), out var checksum) && checksum == m.Checksum);
    }

    private async Task<int> ApplyPendingAsync(CancellationToken cancellationToken)
    {
        await database.WriteAsync(s => s.ExecuteAsync(CreateTableSql), cancellationToken);
        var count = 0;
        foreach (var migration in Known)
        {
            var applied = await database.WriteAsync(async session =>
            {
                var recorded = await session.QuerySingleOrDefaultAsync<string>(
                    "SELECT checksum FROM schema_migrations WHERE module = @Module AND version = @Version",
                    new { migration.Module, migration.Version });
                if (recorded is not null)
                {
                    return recorded == migration.Checksum ? false : throw new MigrationChecksumMismatchException(migration, recorded);
                }

                await session.ExecuteAsync(migration.Sql);
                await session.ExecuteAsync(
                    "INSERT INTO schema_migrations (module, version, name, checksum, applied_at) VALUES (@Module, @Version, @Name, @Checksum, @AppliedAt)",
                    new { migration.Module, migration.Version, migration.Name, migration.Checksum, AppliedAt = StoredInstant.SqliteText(clock.GetUtcNow()) });
                return true;
            }, cancellationToken);

            if (applied)
            {
                count++;
                LogApplied(logger, migration.Module, migration.Version, migration.Name);
            }
        }

        return count;
    }

    private static async Task<Dictionary<(string, int), string>> ReadAppliedAsync(DbSession session)
    {
        var exists = session.IsPostgres
            ? await session.ExecuteScalarAsync<bool>("SELECT to_regclass('schema_migrations') IS NOT NULL")
            : await session.ExecuteScalarAsync<long>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") > 0;
        if (!exists)
        {
            return [];
        }

        var rows = await session.QueryAsync<AppliedRow>("SELECT module, version, checksum FROM schema_migrations");
        return rows.ToDictionary(r => (r.Module, (int)r.Version), r => r.Checksum);
    }

    private sealed class AppliedRow
    {
        public string Module { get; init; } = "";
        public long Version { get; init; }
        public string Checksum { get; init; } = "";
    }

    [LoggerMessage(EventId = CoreLogEvents.MigrationApplied, Level = LogLevel.Information, Message = "Applied migration {Module}/{Version} {Name}")]
    private static partial void LogApplied(ILogger logger, string module, int version, string name);
}
