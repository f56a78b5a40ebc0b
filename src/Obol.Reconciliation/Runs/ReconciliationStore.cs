using Obol.Core.CardNumbers;
using Obol.Core.Storage;
using Obol.Reconciliation.Matching;
using Obol.Reconciliation.Reports;

namespace Obol.Reconciliation.Runs;

/// <summary>A report row as one run recorded it.</summary>
internal sealed record LineRecord(string RunId, SettlementLine Line, string Psp, LineMatch Match, string? LedgerTransactionId);

internal sealed record DiscrepancyRecord(
    string Id,
    string RunId,
    string Psp,
    string Code,
    string? LineId,
    string? PaymentId,
    string? MerchantId,
    string? RefundId,
    string? Currency,
    long? ExpectedAmount,
    long? ReportedAmount,
    string Detail,
    DateTimeOffset CreatedAt);

internal sealed record RunRecord(
    string Id,
    string Psp,
    string ReportDate,
    string Source,
    string ReportSha256,
    int LineCount,
    string Status,
    int? Matched,
    int? AlreadyReconciled,
    int? DiscrepancyCount,
    string? Failure,
    DateTimeOffset StartedAt,
    DateTimeOffset? CompletedAt);

internal static class RunStatuses
{
    public const string Running = "running";
    public const string Completed = "completed";

    /// <summary>Stopped part-way (shutdown, an error): what it booked stays booked, and the next run of the day carries on.</summary>
    public const string Failed = "failed";
}

/// <summary>The reconciliation module's SQL; every write is an insert.</summary>
internal static class ReconciliationStore
{
    /// <summary>Rows among <paramref name="lineIds"/> that an earlier run booked.</summary>
    public static async Task<Dictionary<string, BookedLine>> BookedLinesAsync(DbSession session, string psp, IReadOnlyCollection<string> lineIds)
    {
        var booked = new Dictionary<string, BookedLine>(StringComparer.Ordinal);
        if (lineIds.Count > 0)
        {
            foreach (var row in await session.QueryAsync<BookedLine>(
                         $"""
                         SELECT line_id AS LineId, kind AS Kind, gross AS Gross, fee AS Fee, currency AS Currency
                         FROM settlement_lines WHERE psp = @psp AND outcome = 'matched' AND {session.InList("line_id", "ids")}
                         """,
                         new { psp, ids = session.ListOf(lineIds) }))
            {
                booked[row.LineId] = row;
            }
        }

        return booked;
    }

    /// <summary>Captures and refunds of these payments that some row settled, by (kind, payment id, refund id or ""), with that row.</summary>
    public static async Task<Dictionary<(string Kind, string PaymentId, string RefundId), BookedLine>> SettledMovementsAsync(
        DbSession session, string psp, IReadOnlyCollection<string> paymentIds)
    {
        var settled = new Dictionary<(string, string, string), BookedLine>();
        if (paymentIds.Count > 0)
        {
            foreach (var row in await session.QueryAsync<BookedLine>(
                         $"""
                          SELECT line_id AS LineId, kind AS Kind, gross AS Gross, fee AS Fee, currency AS Currency, payment_id AS PaymentId,
                              refund_id AS RefundId
                          FROM settlement_lines
                          WHERE {session.InList("payment_id", "ids")} AND psp = @psp AND outcome = 'matched'
                          """,
                         new { psp, ids = session.ListOf(paymentIds.Distinct(StringComparer.Ordinal)) }))
            {
                settled[(row.Kind, row.PaymentId!, row.RefundId ?? "")] = row;
            }
        }

        return settled;
    }

    /// <summary>Captures and refunds of these payments that any report has shown, whatever a run made of the row.</summary>
    public static async Task<HashSet<(string Kind, string PaymentId, string RefundId)>> ReportedMovementsAsync(
        DbSession session, string psp, IReadOnlyCollection<string> paymentIds)
    {
        var movements = new HashSet<(string, string, string)>();
        if (paymentIds.Count > 0)
        {
            foreach (var row in await session.QueryAsync<BookedLine>(
                         $"""
                          SELECT kind AS Kind, payment_id AS PaymentId, refund_id AS RefundId
                          FROM settlement_lines WHERE {session.InList("payment_id", "ids")} AND psp = @psp
                          """,
                         new { psp, ids = session.ListOf(paymentIds.Distinct(StringComparer.Ordinal)) }))
            {
                movements.Add((row.Kind, row.PaymentId!, row.RefundId ?? ""));
            }
        }

        return movements;
    }

    public static Task InsertLinesAsync(DbSession session, IEnumerable<LineRecord> lines) =>
        session.ExecuteAsync(
            """
            INSERT INTO settlement_lines (run_id, line_number, psp, line_id, kind, payment_reference, movement_reference, merchant_reference,
                gross, fee, currency, occurred_at, payment_id, merchant_id, refund_id, outcome, ledger_transaction_id)
            VALUES (@RunId, @LineNumber, @Psp, @LineId, @Kind, @PaymentReference, @MovementReference, @MerchantReference,
                @Gross, @Fee, @Currency, @OccurredAt, @PaymentId, @MerchantId, @RefundId, @Outcome, @LedgerTransactionId)
            """,
            lines.Select(l => new
            {
                l.RunId,
                l.Line.LineNumber,
                l.Psp,
                l.Line.LineId,
                Kind = KindText(l.Line.Kind),
                // Kept raw in memory to match on; stored masked if shaped like a card number (the payment keeps the PSP's reference).
                PaymentReference = CardNumberDetector.Masked(l.Line.PaymentReference),
                MovementReference = CardNumberDetector.Masked(l.Line.MovementReference),
                MerchantReference = CardNumberDetector.Masked(l.Line.MerchantReference),
                l.Line.Gross,
                l.Line.Fee,
                l.Line.Currency,
                l.Line.OccurredAt,
                PaymentId = l.Match.Payment?.Id,
                MerchantId = l.Match.Payment?.MerchantId,
                RefundId = l.Match.Refund?.Id,
                l.Match.Outcome,
                l.LedgerTransactionId,
            }).ToList());

    public static Task InsertDiscrepanciesAsync(DbSession session, IReadOnlyCollection<DiscrepancyRecord> discrepancies) =>
        discrepancies.Count == 0
            ? Task.CompletedTask
            : session.ExecuteAsync(
                """
                INSERT INTO reconciliation_discrepancies (id, run_id, psp, code, line_id, payment_id, merchant_id, refund_id, currency,
                    expected_amount, reported_amount, detail, created_at)
                VALUES (@Id, @RunId, @Psp, @Code, @LineId, @PaymentId, @MerchantId, @RefundId, @Currency,
                    @ExpectedAmount, @ReportedAmount, @Detail, @CreatedAt)
                """,
                discrepancies);

    public static Task InsertRunAsync(DbSession session, RunRecord run) =>
        session.ExecuteAsync(
            """
            INSERT INTO reconciliation_runs (id, psp, report_date, source, report_sha256, line_count, status, started_at)
            VALUES (@Id, @Psp, @ReportDate, @Source, @ReportSha256, @LineCount, @Status, @StartedAt)
            """,
            run);

    public static Task CompleteRunAsync(DbSession session, string id, int matched, int alreadyReconciled, int discrepancyCount, DateTimeOffset completedAt) =>
        session.ExecuteAsync(
            """
            UPDATE reconciliation_runs SET status = @completed, matched = @matched, already_reconciled = @alreadyReconciled,
                discrepancy_count = @discrepancyCount, completed_at = @completedAt
            WHERE id = @id AND status = @running
            """,
            new { id, matched, alreadyReconciled, discrepancyCount, completedAt, completed = RunStatuses.Completed, running = RunStatuses.Running });

    public static Task FailRunAsync(DbSession session, string id, string failure, DateTimeOffset completedAt) =>
        session.ExecuteAsync(
            "UPDATE reconciliation_runs SET status = @failed, failure = @failure, completed_at = @completedAt WHERE id = @id AND status = @running",
            new { id, failure, completedAt, failed = RunStatuses.Failed, running = RunStatuses.Running });

    public static async Task<RunRecord?> GetRunAsync(DbSession session, string id) =>
        (await session.QueryAsync<RunRow>(RunRow.Select + " WHERE id = @id", new { id })).SingleOrDefault()?.ToRecord();

    public static async Task<IReadOnlyList<RunRecord>> ListRunsAsync(DbSession session, string? psp, string? date, int limit) =>
        (await session.QueryAsync<RunRow>(
            RunRow.Select + " WHERE (@psp IS NULL OR psp = @psp) AND (@date IS NULL OR report_date = @date) ORDER BY started_at DESC, id DESC LIMIT @limit",
            new { psp, date, limit })).Select(r => r.ToRecord()).ToList();

    /// <summary>
    /// Discrepancies with their status: <c>resolved</c> by a person; <c>superseded</c> when a later run matched the same
    /// report row, or a report has since shown the missing capture or refund; otherwise <c>open</c>. A changed row
    /// (<c>line_changed</c>) is only ever resolved by a person: the match of that row is the earlier one it contradicts
    /// (a row is matched once), never a later one.
    /// </summary>
    private const string DiscrepancyViews = """
        SELECT * FROM (
            SELECT d.id AS Id, d.run_id AS RunId, d.psp AS Psp, d.code AS Code, d.line_id AS LineId, d.payment_id AS PaymentId,
                d.merchant_id AS MerchantId, d.refund_id AS RefundId, d.currency AS Currency, d.expected_amount AS ExpectedAmount,
                d.reported_amount AS ReportedAmount, d.detail AS Detail, d.created_at AS CreatedAt,
                r.note AS ResolutionNote, r.resolved_at AS ResolvedAt,
                CASE
                    WHEN r.discrepancy_id IS NOT NULL THEN 'resolved'
                    WHEN d.line_id IS NOT NULL AND d.code <> 'line_changed' AND EXISTS (
                        SELECT 1 FROM settlement_lines m WHERE m.psp = d.psp AND m.line_id = d.line_id AND m.outcome = 'matched') THEN 'superseded'
                    WHEN d.code = 'missing_from_report' AND EXISTS (
                        SELECT 1 FROM settlement_lines m
                        WHERE m.payment_id = d.payment_id AND m.psp = d.psp
                            AND m.kind = CASE WHEN d.refund_id IS NULL THEN 'capture' ELSE 'refund' END
                            AND coalesce(m.refund_id, '') = coalesce(d.refund_id, '')) THEN 'superseded'
                    ELSE 'open'
                END AS Status
            FROM reconciliation_discrepancies d LEFT JOIN reconciliation_resolutions r ON r.discrepancy_id = d.id
        ) v
        """;

    public static async Task<IReadOnlyList<DiscrepancyView>> GetDiscrepanciesAsync(DbSession session, string runId) =>
        await session.QueryAsync<DiscrepancyView>(DiscrepancyViews + " WHERE v.RunId = @runId ORDER BY v.Id", new { runId });

    public static async Task<DiscrepancyView?> GetDiscrepancyAsync(DbSession session, string id) =>
        (await session.QueryAsync<DiscrepancyView>(DiscrepancyViews + " WHERE v.Id = @id", new { id })).SingleOrDefault();

    /// <summary>These discrepancies, as the API shows them.</summary>
    public static async Task<IReadOnlyList<DiscrepancyView>> DiscrepanciesByIdAsync(DbSession session, IReadOnlyCollection<string> ids) =>
        ids.Count == 0
            ? []
            : await session.QueryAsync<DiscrepancyView>(DiscrepancyViews + $" WHERE {session.InList("v.Id", "ids")}", new { ids = session.ListOf(ids) });

    /// <summary>
    /// The open discrepancies that these report rows being matched, or rows about these payments being recorded, would
    /// supersede (see <see cref="DiscrepancyViews"/>): asked before a chunk records its rows, and of these ids again after.
    /// </summary>
    public static async Task<IReadOnlyList<string>> OpenSupersedableAsync(
        DbSession session, string psp, IReadOnlyCollection<string> matchedLineIds, IReadOnlyCollection<string> paymentIds)
    {
        var open = new List<DiscrepancyView>();
        if (matchedLineIds.Count > 0)
        {
            open.AddRange(await session.QueryAsync<DiscrepancyView>(
                DiscrepancyViews + $" WHERE v.Status = 'open' AND v.Psp = @psp AND {session.InList("v.LineId", "lineIds")}",
                new { psp, lineIds = session.ListOf(matchedLineIds.Distinct(StringComparer.Ordinal)) }));
        }

        if (paymentIds.Count > 0)
        {
            open.AddRange(await session.QueryAsync<DiscrepancyView>(
                DiscrepancyViews + $" WHERE v.Status = 'open' AND v.Psp = @psp AND v.Code = 'missing_from_report' AND {session.InList("v.PaymentId", "paymentIds")}",
                new { psp, paymentIds = session.ListOf(paymentIds.Distinct(StringComparer.Ordinal)) }));
        }

        return open.Select(v => v.Id).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Newest first, from before <paramref name="startingAfter"/>.</summary>
    public static async Task<IReadOnlyList<DiscrepancyView>> ListDiscrepanciesAsync(DbSession session, string? status, string? psp, string? startingAfter, int take) =>
        await session.QueryAsync<DiscrepancyView>(
            DiscrepancyViews + """
                 WHERE (@status IS NULL OR v.Status = @status) AND (@psp IS NULL OR v.Psp = @psp) AND (@startingAfter IS NULL OR v.Id < @startingAfter)
                 ORDER BY v.Id DESC LIMIT @take
                """,
            new { status, psp, startingAfter, take });

    /// <summary>Records the resolution; false when the discrepancy had one already.</summary>
    public static async Task<bool> ResolveAsync(DbSession session, string id, string note, string keyId, DateTimeOffset at) =>
        await session.ExecuteAsync(
            """
            INSERT INTO reconciliation_resolutions (discrepancy_id, note, resolved_by_key, resolved_at) VALUES (@id, @note, @keyId, @at)
            ON CONFLICT (discrepancy_id) DO NOTHING
            """,
            new { id, note, keyId, at }) == 1;

    /// <summary>What the run booked, per currency: gross captured, gross refunded, fees.</summary>
    public static async Task<IReadOnlyList<SettledTotal>> SettledTotalsAsync(DbSession session, string runId) =>
        await session.QueryAsync<SettledTotal>(
            """
            SELECT currency AS Currency,
                coalesce(sum(CASE WHEN kind = 'capture' THEN gross ELSE 0 END), 0) AS Captured,
                coalesce(sum(CASE WHEN kind = 'refund' THEN gross ELSE 0 END), 0) AS Refunded,
                coalesce(sum(fee), 0) AS Fees
            FROM settlement_lines WHERE run_id = @runId AND outcome = 'matched'
            GROUP BY currency ORDER BY currency
            """,
            new { runId });

    public static string KindText(SettlementLineKind kind) => kind switch
    {
        SettlementLineKind.Capture => "capture",
        SettlementLineKind.Refund => "refund",
        _ => "other",
    };

    internal sealed class BookedLine
    {
        public string LineId { get; init; } = "";
        public string Kind { get; init; } = "";
        public long Gross { get; init; }
        public long Fee { get; init; }
        public string Currency { get; init; } = "";
        public string? PaymentId { get; init; }
        public string? RefundId { get; init; }

        public bool SameAs(SettlementLine line) =>
            Kind == KindText(line.Kind) && Gross == line.Gross && Fee == line.Fee && Currency == line.Currency;
    }

    internal sealed class SettledTotal
    {
        public string Currency { get; init; } = "";
        public long Captured { get; init; }
        public long Refunded { get; init; }
        public long Fees { get; init; }
    }

    private sealed class RunRow
    {
        public const string Select = """
            SELECT id AS Id, psp AS Psp, report_date AS ReportDate, source AS Source, report_sha256 AS ReportSha256, line_count AS LineCount,
                status AS Status, matched AS Matched, already_reconciled AS AlreadyReconciled, discrepancy_count AS DiscrepancyCount,
                failure AS Failure, started_at AS StartedAt, completed_at AS CompletedAt
            FROM reconciliation_runs
            """;

        public string Id { get; init; } = "";
        public string Psp { get; init; } = "";
        public string ReportDate { get; init; } = "";
        public string Source { get; init; } = "";
        public string ReportSha256 { get; init; } = "";
        public long LineCount { get; init; }
        public string Status { get; init; } = "";
        public long? Matched { get; init; }
        public long? AlreadyReconciled { get; init; }
        public long? DiscrepancyCount { get; init; }
        public string? Failure { get; init; }
        public DateTimeOffset StartedAt { get; init; }
        public DateTimeOffset? CompletedAt { get; init; }

        public RunRecord ToRecord() => new(Id, Psp, ReportDate, Source, ReportSha256, (int)LineCount, Status, (int?)Matched, (int?)AlreadyReconciled,
            (int?)DiscrepancyCount, Failure, StartedAt, CompletedAt);
    }

    internal sealed class DiscrepancyView
    {
        public string Id { get; init; } = "";
        public string RunId { get; init; } = "";
        public string Psp { get; init; } = "";
        public string Code { get; init; } = "";
        public string? LineId { get; init; }
        public string? PaymentId { get; init; }
        public string? MerchantId { get; init; }
        public string? RefundId { get; init; }
        public string? Currency { get; init; }
        public long? ExpectedAmount { get; init; }
        public long? ReportedAmount { get; init; }
        public string Detail { get; init; } = "";
        public DateTimeOffset CreatedAt { get; init; }
        public string Status { get; init; } = "";
        public string? ResolutionNote { get; init; }
        public DateTimeOffset? ResolvedAt { get; init; }
    }
}
