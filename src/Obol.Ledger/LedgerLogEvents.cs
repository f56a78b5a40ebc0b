namespace Obol.Ledger;

/// <summary>
/// The event ids of the ledger's log messages: the range 2000–2999. Every module has its own range (docs/README.md),
/// so an id names one message across the solution.
/// </summary>
internal static class LedgerLogEvents
{
    public const int PendingTransfersExpired = 2100;
    public const int PendingTransferSweepFailed = 2101;
}
