namespace Obol.Payouts.Earnings;

/// <summary>
/// Whether ingestion copies an order it takes to be new before looking it up (<see cref="DeliveryRecalculation"/>).
/// A failed copy costs about what a successful one saves, and one accept that arrives after its order's fulfillment
/// fails the copy of its whole batch. So when most recent attempts failed (a stream that often sends accepts late),
/// the next batches look their orders up first, and after them the copy is tried again. One per node; it decides only
/// how existing rows are found, never what is written.
/// </summary>
internal sealed class CopyFirstPolicy
{
    /// <summary>Attempts remembered (as bits, 1 = failed).</summary>
    private const int Window = 16;

    /// <summary>Failures within the window that stop the attempts.</summary>
    private const int FailuresToPause = 8;

    /// <summary>Batches that skip the copy once it stops.</summary>
    private const int PausedBatches = 256;

    private int history;
    private int attempts;
    private int paused;

    public bool ShouldTry()
    {
        if (Volatile.Read(ref paused) <= 0)
        {
            return true;
        }

        Interlocked.Decrement(ref paused);
        return false;
    }

    public void Record(bool copied)
    {
        // Races between writers can drop or double an attempt; the policy only needs the rough rate.
        var updated = ((Volatile.Read(ref history) << 1) | (copied ? 0 : 1)) & ((1 << Window) - 1);
        Volatile.Write(ref history, updated);
        if (Interlocked.Increment(ref attempts) >= Window && int.PopCount(updated) >= FailuresToPause)
        {
            Volatile.Write(ref history, 0);
            Volatile.Write(ref attempts, 0);
            Volatile.Write(ref paused, PausedBatches);
        }
    }
}
