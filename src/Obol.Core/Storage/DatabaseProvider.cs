namespace Obol.Core.Storage;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public sealed record DatabaseOptions(DatabaseProvider Provider, string ConnectionString);
