namespace Obol.Reconciliation;

/// <summary>
/// The event ids of reconciliation's log messages: the range 4000–4999. Every module has its own range
/// (docs/README.md), so an id names one message across the solution.
/// </summary>
internal static class ReconciliationLogEvents
{
    public const int ScheduledRunFailed = 4100;
    public const int ScheduleRoundFailed = 4101;
}
