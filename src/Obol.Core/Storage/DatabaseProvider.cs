namespace Obol.Core.Storage;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public sealed record DatabaseOptions(DatabaseProvider Provider, string ConnectionString)
{
    /// <summary>
    /// How long one read or unit of work keeps trying while PostgreSQL cannot be reached, is starting up, shutting down
    /// or in recovery, before it gives up with <see cref="DatabaseUnavailableException"/> (503 <c>database_unavailable</c>).
    /// Long enough to ride out a restart or a quick failover, short enough that a caller is not left hanging.
    /// </summary>
    public TimeSpan UnavailableRetryWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long start-up (migrations, the default merchant, configured keys) waits for a database that is not available yet.</summary>
    public TimeSpan StartupWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The <c>Retry-After</c> of a 503 <c>database_unavailable</c> answer (whole seconds, at least one).</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);
}
