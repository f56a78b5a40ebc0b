using Microsoft.Extensions.Logging.Abstractions;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Core.Tests;

/// <summary>A fresh database of one provider with the core and test migrations applied.</summary>
internal static class StorageFixture
{
    public static MigrationSource[] Sources =>
    [
        new MigrationSource("core", typeof(Database).Assembly),
        new MigrationSource("test", typeof(StorageFixture).Assembly),
    ];

    public static MigrationRunner Runner(Database database) =>
        new(database, Sources, TimeProvider.System, NullLogger<MigrationRunner>.Instance);

    public static async Task<Database> CreateMigratedAsync(DatabaseProvider provider)
    {
        return Database.Create(await TestDatabases.CreateMigratedAsync(provider, Sources));
    }
}
