namespace Obol.Scheduling;

/// <summary>
/// The event ids of scheduled payments' log messages: the range 8000–8999. Every module has its own range
/// (docs/README.md), so an id names one message across the solution.
/// </summary>
internal static class SchedulingLogEvents
{
    public const int ExecutionTimedOut = 8001;
    public const int ExecutorFailed = 8002;
    public const int LeasesLost = 8003;
    public const int DeadLettered = 8004;

    public const int NoExecutor = 8101;
    public const int RunnerDisabled = 8102;
    public const int RoundFailed = 8103;
}
