namespace Obol.Chaos.Client;

/// <summary>The parts of Obol's payment that the harness reads.</summary>
public sealed record PaymentView(
    string Id,
    string Status,
    long Amount,
    string Currency,
    string CaptureMethod,
    long AmountCapturable,
    long AmountCaptured,
    long AmountRefunded,
    string? Psp,
    string? PspReference);

public sealed record RefundView(string Id, string PaymentId, long Amount, string Currency, string Status);

/// <summary>A problem whose body carries the payment as it stands (a capture or cancel the PSP refused: 502).</summary>
public sealed record RefusalView(string? Code, PaymentView? Payment);

public sealed record PaymentEventView(string Id, long Sequence, string Type, string? FromStatus, string? ToStatus, string Source, System.Text.Json.JsonElement? Data,
    DateTimeOffset CreatedAt);

public sealed record Page<T>(IReadOnlyList<T> Data, bool HasMore);

public sealed record LedgerAccountView(string Id, string Code, string Currency, long Balance, long DebitsPosted, long CreditsPosted, long DebitsPending, long CreditsPending);

public sealed record LedgerVerificationView(bool Ok, long AccountsChecked, long EntriesChecked, IReadOnlyList<LedgerProblemView> Problems);

public sealed record LedgerProblemView(string Code, string? AccountId, string Detail);

public sealed record DiscrepancyView(
    string Id, string RunId, string Psp, string Code, string Status, string? LineId, string? PaymentId, string? RefundId, string? Currency,
    long? ExpectedAmount, long? ReportedAmount, string Detail);

public sealed record ReconciliationRunView(string Id, string Psp, string Date, string Status, int Lines, int Matched, int DiscrepancyCount, string? Failure);
