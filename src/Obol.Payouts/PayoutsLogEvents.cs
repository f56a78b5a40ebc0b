namespace Obol.Payouts;

/// <summary>
/// The event ids of the payouts module's log messages: the range 7000–7999. Every module has its own range
/// (docs/README.md), so an id names one message across the solution.
/// </summary>
internal static class PayoutsLogEvents
{
    public const int PayPeriodClosed = 7001;
    public const int SweepFailed = 7002;
}
