namespace Obol.Core;

/// <summary>
/// The event ids of Core's log messages: the range 1000–1999. Every module has its own range (docs/README.md), so an
/// id names one message across the solution.
/// </summary>
internal static class CoreLogEvents
{
    public const int RequestCompleted = 1000;
    public const int MigrationApplied = 1001;

    public const int UnhandledException = 1100;
    public const int CommitOutcomeUnknown = 1101;
    public const int DatabaseUnavailable = 1102;

    public const int IdempotencyRecordsDeleted = 1200;
    public const int IdempotencyCleanupFailed = 1201;
    public const int IdempotencyLeaseNotEnded = 1202;
    public const int NodeAlive = 1210;
    public const int NodeLivenessLost = 1211;
}
