using Obol.Core.Storage;

namespace Obol.Payouts.PayPeriods;

/// <summary>A courier payout: what a pay period's close paid, to which courier, for which period.</summary>
public sealed record PayoutResponse(
    string Id, string CourierId, string PayPeriodId, long Amount, string Currency, string Status, string? LedgerTransactionId, DateTimeOffset CreatedAt)
{
    internal static Task<PayoutResponse?> FindAsync(DbSession session, string merchantId, string id) =>
        session.QuerySingleOrDefaultAsync<PayoutResponse>(
            """
            SELECT id AS Id, courier_id AS CourierId, period_id AS PayPeriodId, amount AS Amount, currency AS Currency, status AS Status,
                ledger_transaction_id AS LedgerTransactionId, created_at AS CreatedAt
            FROM courier_payouts WHERE merchant_id = @merchantId AND id = @id
            """,
            new { merchantId, id });
}

public sealed record PayPeriodResponse(
    string Id,
    string CourierId,
    string StartDate,
    string EndDate,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    double Hours,
    string TimeZone,
    string Currency,
    string Status,
    long BasePay,
    long BonusPay,
    long CancellationPay,
    long Adjustments,
    long Total,
    string? LedgerTransactionId,
    PayoutResponse? Payout,
    DateTimeOffset? ClosedAt)
{
    /// <summary>A closed period shows what was booked; an open one its live totals so far.</summary>
    internal static async Task<PayPeriodResponse> FromAsync(DbSession session, string merchantId, PayPeriodRow row)
    {
        var totals = row.Status == PayPeriodStatus.Closed
            ? new PeriodTotals(row.BasePay ?? 0, row.BonusPay ?? 0, row.CancellationPay ?? 0, row.Adjustments ?? 0)
            : await PayPeriodClose.TotalsAsync(session, merchantId, row);
        var payout = row.PayoutId is null ? null : await PayoutResponse.FindAsync(session, merchantId, row.PayoutId);
        return new PayPeriodResponse(row.Id, row.CourierId, row.StartDate, row.EndDate, row.StartsAt, row.EndsAt,
            (row.EndsAt - row.StartsAt).TotalHours, row.TimeZone, row.Currency, row.Status,
            totals.BasePay, totals.BonusPay, totals.CancellationPay, totals.Adjustments, totals.Total,
            row.LedgerTransactionId, payout, row.ClosedAt);
    }
}
