using Obol.Payments.Domain;

namespace Obol.Payments.Processing;

/// <summary>How the PSP call whose answer is being decided was made, which bounds what that answer can prove.</summary>
internal enum AttemptCall
{
    /// <summary>
    /// The attempt's request sent for the first time, and still <see cref="AttemptStatus.Started"/> when its answer is recorded
    /// (nobody re-sent it meanwhile). Only then does "certainly not processed" prove that the PSP never saw the request.
    /// </summary>
    First,

    /// <summary>
    /// The request may have reached the PSP before (a timeout, a crash, a re-send by the resolver or a retried request). Only
    /// the PSP's answer about that request settles it; a refused connection or an open circuit now says nothing about then.
    /// </summary>
    Repeat,
}

/// <summary>What a decided outcome books in the ledger, in the same unit of work.</summary>
internal abstract record Posting
{
    private Posting()
    {
    }

    /// <summary>A pending transfer holding the authorized amount; its id goes on the payment.</summary>
    public sealed record HoldAuthorization : Posting;

    /// <summary>Posts the hold (the rest released), or books the amount directly when there is none.</summary>
    public sealed record Capture(long Amount) : Posting;

    /// <summary>Voids the hold.</summary>
    public sealed record Release : Posting;

    public sealed record Refund : Posting;

    /// <summary>Reverses what <paramref name="Of"/> booked (a capture or refund the PSP reported failed after acknowledging it).</summary>
    public sealed record Reverse(PaymentAttempt Of, string Reason) : Posting;
}

/// <summary>One row of a payment's history, append-only.</summary>
internal sealed record HistoryEntry(string Type, PaymentStatus? From, PaymentStatus? To, object? Data);

/// <summary>
/// What to record for one PSP outcome: every field is a value to store as it is. Deciding is pure
/// (<see cref="PaymentRules"/>); <see cref="PaymentProcessor"/> only applies a decision, in one unit of work.
/// </summary>
internal sealed record PaymentDecision
{
    /// <summary>The payment as it must be stored, or null when it stays as it is.</summary>
    public Payment? Payment { get; init; }

    public HistoryEntry? History { get; init; }

    /// <summary>The attempt as it must be stored, or null when it stays as it is.</summary>
    public PaymentAttempt? Attempt { get; init; }

    public Refund? Refund { get; init; }

    /// <summary>What to book for the decided attempt (or, for a reversal, for the attempt it names).</summary>
    public Posting? Posting { get; init; }

    /// <summary>The next PSP to try, when this one certainly did not process the authorization.</summary>
    public string? FailoverTo { get; init; }

    /// <summary>A PSP report that contradicts what Obol recorded and cannot be applied: kept in the history for a person and reconciliation.</summary>
    public bool Unapplied { get; init; }

    public static readonly PaymentDecision Nothing = new();
}
