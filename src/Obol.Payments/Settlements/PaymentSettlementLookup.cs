using System.Text.Json;
using Obol.Core.Storage;

namespace Obol.Payments.Settlements;

/// <summary>A payment as a PSP's settlement report is checked against: what Obol recorded as captured and refunded.</summary>
public sealed record SettlementPayment(
    string Id,
    string MerchantId,
    string? Psp,
    string? PspReference,
    string Currency,
    string Status,
    long AmountCaptured,
    IReadOnlyList<SettlementRefund> Refunds,
    string? FxQuoteId = null)
{
    /// <summary>Captured as far as Obol knows: the statuses a capture leads to.</summary>
    public bool IsCaptured => Status is "captured" or "partially_refunded" or "refunded";
}

public sealed record SettlementRefund(string Id, string? PspReference, long Amount, string Status)
{
    public bool Succeeded => Status == "succeeded";
}

public enum RecordedMovementKind
{
    Capture,
    Refund,
}

/// <summary>A capture or refund as Obol recorded it (the payment's history), with when.</summary>
public sealed record RecordedMovement(string PaymentId, string MerchantId, RecordedMovementKind Kind, string? RefundId, string Currency, DateTimeOffset RecordedAt);

/// <summary>
/// A PSP's report (webhook) that contradicted what Obol recorded and could not be applied, kept on the payment's history:
/// the PSP said it moved money (<paramref name="ReportsMoney"/>) where Obol has none, or reported a failure of something Obol
/// has as done. <paramref name="Details"/> is the report as recorded (JSON).
/// </summary>
public sealed record UnappliedPspReport(string PaymentId, string MerchantId, string Currency, bool ReportsMoney, string Details, DateTimeOffset RecordedAt);

/// <summary>
/// What the payments module tells reconciliation, in the caller's unit of work. Reconciliation matches a report's
/// rows to these and never reads the payments tables itself.
/// </summary>
public interface IPaymentSettlementLookup
{
    /// <summary>Payments known by the PSP's reference for them (on that PSP), or else by our own payment id (the reference we sent).</summary>
    Task<IReadOnlyList<SettlementPayment>> FindAsync(DbSession session, string psp, IReadOnlyCollection<string> pspReferences, IReadOnlyCollection<string> paymentIds);

    /// <summary>Captures and refunds Obol recorded through <paramref name="psp"/> in [from, to).</summary>
    Task<IReadOnlyList<RecordedMovement>> RecordedBetweenAsync(DbSession session, string psp, DateTimeOffset from, DateTimeOffset to);

    /// <summary>Reports from <paramref name="psp"/> recorded in [from, to) that contradicted Obol and could not be applied.</summary>
    Task<IReadOnlyList<UnappliedPspReport>> UnappliedReportsBetweenAsync(DbSession session, string psp, DateTimeOffset from, DateTimeOffset to);
}

internal sealed class PaymentSettlementLookup : IPaymentSettlementLookup
{
    public async Task<IReadOnlyList<SettlementPayment>> FindAsync(
        DbSession session, string psp, IReadOnlyCollection<string> pspReferences, IReadOnlyCollection<string> paymentIds)
    {
        if (pspReferences.Count == 0 && paymentIds.Count == 0)
        {
            return [];
        }

        var payments = new List<PaymentRow>();
        if (pspReferences.Count > 0)
        {
            payments.AddRange(await session.QueryAsync<PaymentRow>(
                $"SELECT {PaymentColumns} FROM payments WHERE psp = @psp AND {session.InList("psp_reference", "references")}",
                new { psp, references = session.ListOf(pspReferences) }));
        }

        var found = payments.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var notFound = paymentIds.Where(id => !found.Contains(id)).ToList();
        if (notFound.Count > 0)
        {
            payments.AddRange(await session.QueryAsync<PaymentRow>(
                $"SELECT {PaymentColumns} FROM payments WHERE {session.InList("id", "ids")}", new { ids = session.ListOf(notFound) }));
        }

        var refunds = payments.Count == 0 ? [] : await session.QueryAsync<RefundRow>(
            $"""
            SELECT id AS Id, payment_id AS PaymentId, psp_reference AS PspReference, amount AS Amount, status AS Status
            FROM refunds WHERE {session.InList("payment_id", "ids")}
            """,
            new { ids = session.ListOf(payments.Select(p => p.Id).Distinct(StringComparer.Ordinal)) });

        var refundsByPayment = refunds.ToLookup(r => r.PaymentId, StringComparer.Ordinal);
        return payments
            .DistinctBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => new SettlementPayment(p.Id, p.MerchantId, p.Psp, p.PspReference, p.Currency, p.Status, p.AmountCaptured,
                refundsByPayment[p.Id].Select(r => new SettlementRefund(r.Id, r.PspReference, r.Amount, r.Status)).ToList(), p.FxQuoteId))
            .ToList();
    }

    public async Task<IReadOnlyList<RecordedMovement>> RecordedBetweenAsync(DbSession session, string psp, DateTimeOffset from, DateTimeOffset to)
    {
        var rows = await session.QueryAsync<MovementRow>(
            """
            SELECT e.payment_id AS PaymentId, p.merchant_id AS MerchantId, e.type AS Type, e.data AS Data, p.currency AS Currency,
                e.created_at AS RecordedAt
            FROM payment_events e JOIN payments p ON p.id = e.payment_id
            WHERE e.type IN ('payment.captured', 'refund.succeeded') AND e.created_at >= @from AND e.created_at < @to AND p.psp = @psp
            ORDER BY e.created_at, e.id
            """,
            new { psp, from, to });
        var movements = rows.Select(r => r.Type == "refund.succeeded"
                ? new RecordedMovement(r.PaymentId, r.MerchantId, RecordedMovementKind.Refund, RefundId(r.Data), r.Currency, r.RecordedAt)
                : new RecordedMovement(r.PaymentId, r.MerchantId, RecordedMovementKind.Capture, null, r.Currency, r.RecordedAt))
            .ToList();

        // A capture or refund the PSP reported failed after acknowledging it was undone: it moved no money to settle.
        var undone = new HashSet<(RecordedMovementKind, string, string?)>();
        if (movements.Count > 0)
        {
            foreach (var row in await session.QueryAsync<MovementRow>(
                         $"""
                          SELECT payment_id AS PaymentId, type AS Type, data AS Data FROM payment_events
                          WHERE {session.InList("payment_id", "ids")} AND type IN ('payment.capture_reversed', 'refund.reversed')
                          """,
                         new { ids = session.ListOf(movements.Select(m => m.PaymentId).Distinct(StringComparer.Ordinal)) }))
            {
                undone.Add(row.Type == "refund.reversed"
                    ? (RecordedMovementKind.Refund, row.PaymentId, RefundId(row.Data))
                    : (RecordedMovementKind.Capture, row.PaymentId, null));
            }
        }

        return undone.Count == 0 ? movements : movements.Where(m => !undone.Contains((m.Kind, m.PaymentId, m.RefundId))).ToList();
    }

    public async Task<IReadOnlyList<UnappliedPspReport>> UnappliedReportsBetweenAsync(DbSession session, string psp, DateTimeOffset from, DateTimeOffset to)
    {
        var rows = await session.QueryAsync<MovementRow>(
            """
            SELECT e.payment_id AS PaymentId, p.merchant_id AS MerchantId, e.type AS Type, e.data AS Data, p.currency AS Currency,
                e.created_at AS RecordedAt
            FROM payment_events e JOIN payments p ON p.id = e.payment_id
            WHERE e.type IN ('payment.psp_reported_success', 'payment.psp_reported_failure') AND e.created_at >= @from AND e.created_at < @to
            ORDER BY e.created_at, e.id
            """,
            new { from, to });
        return rows
            .Where(r => r.Data is not null && ReportingPsp(r.Data) == psp)
            .Select(r => new UnappliedPspReport(r.PaymentId, r.MerchantId, r.Currency, r.Type == "payment.psp_reported_success", r.Data!, r.RecordedAt))
            .ToList();
    }

    private static string? ReportingPsp(string data)
    {
        using var json = JsonDocument.Parse(data);
        return json.RootElement.TryGetProperty("psp", out var psp) ? psp.GetString() : null;
    }

    private static string? RefundId(string? data)
    {
        if (data is null)
        {
            return null;
        }

        using var json = JsonDocument.Parse(data);
        return json.RootElement.TryGetProperty("refundId", out var id) ? id.GetString() : null;
    }

    private const string PaymentColumns = """
        id AS Id, merchant_id AS MerchantId, psp AS Psp, psp_reference AS PspReference, currency AS Currency, status AS Status,
        amount_captured AS AmountCaptured, fx_quote_id AS FxQuoteId
        """;

    private sealed class PaymentRow
    {
        public string? FxQuoteId { get; init; }
        public string Id { get; init; } = "";
        public string MerchantId { get; init; } = "";
        public string? Psp { get; init; }
        public string? PspReference { get; init; }
        public string Currency { get; init; } = "";
        public string Status { get; init; } = "";
        public long AmountCaptured { get; init; }
    }

    private sealed class RefundRow
    {
        public string Id { get; init; } = "";
        public string PaymentId { get; init; } = "";
        public string? PspReference { get; init; }
        public long Amount { get; init; }
        public string Status { get; init; } = "";
    }

    private sealed class MovementRow
    {
        public string PaymentId { get; init; } = "";
        public string MerchantId { get; init; } = "";
        public string Type { get; init; } = "";
        public string? Data { get; init; }
        public string Currency { get; init; } = "";
        public DateTimeOffset RecordedAt { get; init; }
    }
}
