namespace Obol.Chaos.Checker;

/// <summary>Something Obol promised and did not keep; <see cref="PaymentId"/> names the payment whose story shows it.</summary>
public sealed record Violation(string Kind, string? PaymentId, string Detail);

public static class ViolationKinds
{
    /// <summary>More than one charge the PSPs acted on for one payment.</summary>
    public const string DoubleCharge = "double_charge";

    /// <summary>Obol's payment (status, PSP, reference, amounts) is not what the PSP has.</summary>
    public const string PspDisagreement = "psp_disagreement";

    /// <summary>Obol's refunds are not the PSP's refunds (one for one, same amounts).</summary>
    public const string RefundDisagreement = "refund_disagreement";

    /// <summary><c>merchant_payable</c> is not captured − refunded, or the ledger does not verify.</summary>
    public const string Ledger = "ledger";

    /// <summary>An acknowledged create, capture, cancel or refund is not what Obol has now.</summary>
    public const string LostWrite = "lost_write";

    /// <summary>The same key answered with another status or other bytes.</summary>
    public const string ReplayMismatch = "replay_mismatch";

    /// <summary>A payment's history has a gap, a jump, or a transition the table forbids; or the client saw a status go back.</summary>
    public const string NotMonotone = "history_not_monotone";

    /// <summary>Still pending, processing or in flight after the heal and the wait.</summary>
    public const string Stuck = "stuck";

    /// <summary>A disagreement with the PSP that reconciliation did not list as a discrepancy.</summary>
    public const string NotReconciled = "not_in_reconciliation";

    /// <summary>Obol could not reconcile a day's settlement report at all.</summary>
    public const string ReconciliationFailed = "reconciliation_failed";

    /// <summary>A node exited without being killed.</summary>
    public const string NodeCrashed = "node_crashed";

    /// <summary>Obol told the client its key was reused for another request: the client never does that.</summary>
    public const string KeyReused = "idempotency_key_reused";

    /// <summary>The kinds that say Obol's records disagree with the PSP's, which reconciliation should list.</summary>
    public static readonly string[] WithPsp = [DoubleCharge, PspDisagreement, RefundDisagreement];
}
