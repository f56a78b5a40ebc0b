using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Obol.Core.Errors;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.PayPeriods;

public sealed record PayoutResponse(string Id, long Amount, string Currency, string Status, string? LedgerTransactionId, DateTimeOffset CreatedAt);

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
    DateTimeOffset? ClosedAt);

public static class PayPeriodEndpoints
{
    public static async Task<Ok<Page<PayPeriodResponse>>> ListAsync(string? courierId, int? limit, string? startingAfter, HttpContext http, Database database)
    {
        if (string.IsNullOrEmpty(courierId))
        {
            throw Problems.Validation("courierId", "Required.");
        }

        var page = PageRequest.From(limit, startingAfter);
        var merchantId = http.MerchantId();
        var result = await database.ReadAsync(async s =>
        {
            var rows = await s.QueryAsync<PayPeriodRow>(
                $"""
                SELECT {PayPeriodRow.Columns} FROM pay_periods WHERE merchant_id = @merchantId AND courier_id = @courierId
                {(page.StartingAfter is null ? "" : "AND start_date < (SELECT start_date FROM pay_periods WHERE merchant_id = @merchantId AND id = @startingAfter)")}
                ORDER BY start_date DESC LIMIT @limit
                """,
                new { merchantId, courierId, startingAfter = page.StartingAfter, limit = page.Limit + 1 });
            var responses = new List<PayPeriodResponse>(rows.Count);
            foreach (var row in rows)
            {
                responses.Add(await ToResponseAsync(s, merchantId, row));
            }

            return responses;
        }, http.RequestAborted);
        return TypedResults.Ok(page.ToPage(result));
    }

    public static async Task<Ok<PayPeriodResponse>> GetAsync(string id, HttpContext http, Database database)
    {
        var merchantId = http.MerchantId();
        return TypedResults.Ok(await database.ReadAsync(async s =>
        {
            var row = await PayPeriodStore.GetAsync(s, merchantId, id) ?? throw Problems.NotFound("pay period", id);
            return await ToResponseAsync(s, merchantId, row);
        }, http.RequestAborted));
    }

    public static async Task<Ok<PayPeriodResponse>> CloseAsync(string id, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IdGenerator ids, ILedger ledger)
    {
        var write = new EngineWrite(work.Session, http.MerchantId(), clock.GetUtcNow(), ids);
        var closed = await PayPeriodClose.CloseAsync(write, ledger, id);
        return TypedResults.Ok(await ToResponseAsync(work.Session, write.MerchantId, closed));
    }

    /// <summary>A closed period shows what was booked; an open one its live totals so far.</summary>
    public static async Task<PayPeriodResponse> ToResponseAsync(DbSession session, string merchantId, PayPeriodRow row)
    {
        var totals = row.Status == PayPeriodStatus.Closed
            ? new PeriodTotals(row.BasePay ?? 0, row.BonusPay ?? 0, row.CancellationPay ?? 0, row.Adjustments ?? 0)
            : await PayPeriodClose.TotalsAsync(session, merchantId, row);
        PayoutResponse? payout = null;
        if (row.PayoutId is not null)
        {
            payout = await session.QuerySingleOrDefaultAsync<PayoutResponse>(
                """
                SELECT id AS Id, amount AS Amount, currency AS Currency, status AS Status, ledger_transaction_id AS LedgerTransactionId, created_at AS CreatedAt
                FROM courier_payouts WHERE merchant_id = @merchantId AND id = @id
                """,
                new { merchantId, id = row.PayoutId });
        }

        return new PayPeriodResponse(row.Id, row.CourierId, row.StartDate, row.EndDate, row.StartsAt, row.EndsAt,
            (row.EndsAt - row.StartsAt).TotalHours, row.TimeZone, row.Currency, row.Status,
            totals.BasePay, totals.BonusPay, totals.CancellationPay, totals.Adjustments, totals.Total,
            row.LedgerTransactionId, payout, row.ClosedAt);
    }
}
