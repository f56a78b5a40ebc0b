using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Obol.Core.Errors;
using Obol.Core.Events;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.PayPeriods;

internal static class PayPeriodEndpoints
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
                responses.Add(await PayPeriodResponse.FromAsync(s, merchantId, row));
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
            return await PayPeriodResponse.FromAsync(s, merchantId, row);
        }, http.RequestAborted));
    }

    public static async Task<Ok<PayPeriodResponse>> CloseAsync(
        string id, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IdGenerator ids, IEventOutbox events, ILedger ledger)
    {
        var write = new EngineWrite(work.Session, http.MerchantId(), clock.GetUtcNow(), ids, events);
        var closed = await PayPeriodClose.CloseAsync(write, ledger, id);
        return TypedResults.Ok(await PayPeriodResponse.FromAsync(work.Session, write.MerchantId, closed));
    }
}
