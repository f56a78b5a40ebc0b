using Obol.Reconciliation.Runs;

namespace Obol.Reconciliation.Http;

public sealed record StartRunRequest(string? Psp, string? Date);

public sealed record SettledTotalResponse(string Currency, long Captured, long Refunded, long Fees, long Net);

public sealed record ResolveDiscrepancyRequest(string? Note);

public sealed record ResolutionResponse(string Note, DateTimeOffset ResolvedAt);

public sealed record DiscrepancyResponse(
    string Id,
    string RunId,
    string Psp,
    string Code,
    string Status,
    string? LineId,
    string? PaymentId,
    string? MerchantId,
    string? RefundId,
    string? Currency,
    long? ExpectedAmount,
    long? ReportedAmount,
    string Detail,
    ResolutionResponse? Resolution,
    DateTimeOffset CreatedAt)
{
    internal static DiscrepancyResponse From(ReconciliationStore.DiscrepancyView d) =>
        new(d.Id, d.RunId, d.Psp, d.Code, d.Status, d.LineId, d.PaymentId, d.MerchantId, d.RefundId, d.Currency, d.ExpectedAmount, d.ReportedAmount,
            d.Detail, d.ResolutionNote is { } note ? new ResolutionResponse(note, d.ResolvedAt!.Value) : null, d.CreatedAt);
}

public sealed record RunResponse(
    string Id,
    string Psp,
    string Date,
    string Source,
    string ReportSha256,
    string Status,
    int Lines,
    int Matched,
    int AlreadyReconciled,
    int DiscrepancyCount,
    string? Failure,
    IReadOnlyList<SettledTotalResponse> Settled,
    IReadOnlyList<DiscrepancyResponse> Discrepancies,
    DateTimeOffset StartedAt,
    DateTimeOffset? CompletedAt)
{
    internal static RunResponse From(RunRecord run, IReadOnlyList<ReconciliationStore.SettledTotal> settled, IReadOnlyList<ReconciliationStore.DiscrepancyView> discrepancies) =>
        new(run.Id, run.Psp, run.ReportDate, run.Source, run.ReportSha256, run.Status, run.LineCount, run.Matched ?? 0, run.AlreadyReconciled ?? 0,
            run.DiscrepancyCount ?? discrepancies.Count, run.Failure,
            settled.Select(s => new SettledTotalResponse(s.Currency, s.Captured, s.Refunded, s.Fees, s.Captured - s.Refunded - s.Fees)).ToList(),
            discrepancies.Select(DiscrepancyResponse.From).ToList(),
            run.StartedAt, run.CompletedAt);
}

public sealed record RunSummaryResponse(
    string Id, string Psp, string Date, string Source, string Status, int Lines, int? Matched, int? AlreadyReconciled, int? DiscrepancyCount, DateTimeOffset StartedAt)
{
    internal static RunSummaryResponse From(RunRecord run) =>
        new(run.Id, run.Psp, run.ReportDate, run.Source, run.Status, run.LineCount, run.Matched, run.AlreadyReconciled, run.DiscrepancyCount, run.StartedAt);
}
