using System.Diagnostics;

namespace Obol.Ledger.Booking;

/// <summary>
/// Where a booking's time goes, summed over all bookings while <see cref="Enabled"/> (the benchmark turns it on;
/// off, each phase costs one branch). Phases: checks (shape, external ids), lock (read holds, lock accounts),
/// apply (booking rules and rows in memory), write (rows to the database, account balances).
/// </summary>
internal static class BookingTimings
{
    private static readonly long[] s_phases = new long[4];
    private static long s_bookings;
    private static long s_transactions;

    public static bool Enabled { get; set; }

    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="phase"/> and returns a new start.</summary>
    public static long Lap(BookingPhase phase, long start)
    {
        if (!Enabled)
        {
            return 0;
        }

        var now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref s_phases[(int)phase], now - start);
        return now;
    }

    public static void Count(int transactions)
    {
        if (Enabled)
        {
            Interlocked.Increment(ref s_bookings);
            Interlocked.Add(ref s_transactions, transactions);
        }
    }

    /// <summary>The sums since the last call, then starts again from zero.</summary>
    public static Snapshot TakeAndReset() => new(
        Take(BookingPhase.Checks), Take(BookingPhase.Lock), Take(BookingPhase.Apply), Take(BookingPhase.Write),
        Interlocked.Exchange(ref s_bookings, 0),
        Interlocked.Exchange(ref s_transactions, 0));

    private static TimeSpan Take(BookingPhase phase) =>
        TimeSpan.FromSeconds(Interlocked.Exchange(ref s_phases[(int)phase], 0) / (double)Stopwatch.Frequency);

    public sealed record Snapshot(TimeSpan Checks, TimeSpan Lock, TimeSpan Apply, TimeSpan Write, long Bookings, long Transactions);
}

internal enum BookingPhase
{
    Checks,
    Lock,
    Apply,
    Write,
}
