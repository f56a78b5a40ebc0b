namespace Obol.Payments.Psp;

internal enum PspOutcomeKind
{
    /// <summary>Authorized, funds held (manual capture).</summary>
    Authorized,

    /// <summary>Money moved: authorized and captured, captured, refunded, or cancelled as asked.</summary>
    Succeeded,

    /// <summary>Accepted, final outcome later by webhook (bank transfer).</summary>
    Pending,
    Declined,

    /// <summary>The PSP certainly did not process the request: safe to fail over to another PSP.</summary>
    NotProcessed,

    /// <summary>Processed and refused for a reason that is not a decline; not retried elsewhere.</summary>
    Failed,

    /// <summary>The PSP may or may not have acted (timeout, ambiguous 5xx): resolve, never re-charge.</summary>
    Unknown,
}

internal sealed record PspOutcome(PspOutcomeKind Kind, string? PspReference = null, string? ErrorCode = null, string? ErrorMessage = null)
{
    public static PspOutcome Unknown(string message) => new(PspOutcomeKind.Unknown, ErrorCode: "psp_outcome_unknown", ErrorMessage: message);

    public static PspOutcome NotProcessed(string code, string message) => new(PspOutcomeKind.NotProcessed, ErrorCode: code, ErrorMessage: message);

    /// <summary>
    /// Not sent: the PSP cannot represent the amount exactly. Routing and the capture and refund checks keep such an amount from
    /// ever reaching a connector; this answer only makes sure that, if one did, nothing rounded is sent.
    /// </summary>
    public static PspOutcome AmountNotSupported(string psp, long amount, string currency) =>
        NotProcessed("amount_not_supported", $"{psp} cannot take {amount} minor units of {currency} exactly; nothing was sent.");
}

/// <summary>One call to a PSP: the attempt id is sent as the PSP's idempotency key, our payment id as its reference.</summary>
internal sealed record AuthorizeRequest(
    string AttemptId,
    string PaymentId,
    long Amount,
    string Currency,
    string PaymentMethod,
    bool ManualCapture,
    string? Description,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// A capture, cancel or refund of a payment the PSP knows as <paramref name="PspReference"/>. <paramref name="Reference"/> is
/// the modification's own reference, which the PSP reports back with its outcome: the refund id for a refund, else the attempt id.
/// </summary>
internal sealed record ModifyRequest(string AttemptId, string PaymentId, string PspReference, long Amount, string Currency, string Reference);

/// <summary>A PSP's wire protocol. Implementations never throw for PSP or network errors: they classify them.</summary>
internal interface IPspConnector
{
    string Name { get; }

    /// <summary>How this PSP counts amounts; requests carry Obol's ISO minor units and the connector converts them.</summary>
    PspAmountRule Amounts { get; }

    Task<PspOutcome> AuthorizeAsync(AuthorizeRequest request, CancellationToken cancellationToken);

    /// <summary>Finds out what became of an authorization whose outcome is unknown, without charging again.</summary>
    Task<PspOutcome> ResolveAuthorizeAsync(AuthorizeRequest request, CancellationToken cancellationToken);

    Task<PspOutcome> CaptureAsync(ModifyRequest request, CancellationToken cancellationToken);

    Task<PspOutcome> CancelAsync(ModifyRequest request, CancellationToken cancellationToken);

    Task<PspOutcome> RefundAsync(ModifyRequest request, CancellationToken cancellationToken);
}
