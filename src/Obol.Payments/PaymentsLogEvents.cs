namespace Obol.Payments;

/// <summary>
/// The event ids of the payments module's log messages: the range 3000–3999. Every module has its own range
/// (docs/README.md), so an id names one message across the solution.
/// </summary>
internal static class PaymentsLogEvents
{
    public const int PspOutcome = 3000;
    public const int PspReportUnapplied = 3001;

    public const int CircuitOpened = 3010;
    public const int CircuitClosed = 3011;

    public const int ResolverRoundFailed = 3100;
    public const int ResolverAttemptFailed = 3101;
}
