using NodaTime;
using Obol.Payouts.Couriers;

namespace Obol.Payouts.Earnings;

/// <summary>
/// Backfill: re-derives a courier's orders from raw events. Deterministic and idempotent (the same raw events give
/// the same rows); closed days are not rewritten, their differences become adjustments as for late events.
/// </summary>
internal static class Recompute
{
    private const int Chunk = 1000;

    /// <summary>
    /// Orders with a line item dated in [from, to] or an instant in that range (with a day's slack either side for
    /// zones). Every order with raw events has a row that lists them all, so the courier's rows find every order.
    /// </summary>
    public static async Task<int> CourierRangeAsync(EngineWrite write, CourierTermsHistory history, LocalDate from, LocalDate to)
    {
        var zone = history.Current.Zone;
        var args = new
        {
            courierKey = history.Key,
            from = DayPricing.Format(from),
            to = DayPricing.Format(to),
            after = zone.AtStartOfDay(from.PlusDays(-1)).ToDateTimeOffset(),
            before = zone.AtStartOfDay(to.PlusDays(2)).ToDateTimeOffset(),
        };
        // The lock first: an ingestion of this courier in flight commits before the orders are chosen.
        await DeliveryRecalculation.LockCouriersAsync(write, [history.Current.CourierId]);
        var orderIds = await write.Session.QueryAsync<string>(
            """
            SELECT order_id FROM deliveries WHERE courier_key = @courierKey AND (
                (local_date >= @from AND local_date <= @to)
                OR (accepted_at >= @after AND accepted_at < @before)
                OR (fulfilled_at >= @after AND fulfilled_at < @before)
                OR (cancelled_at >= @after AND cancelled_at < @before))
            """, args);
        return await ApplyAsync(write, history.Current.CourierId, orderIds);
    }

    /// <summary>After a rule change: the orders fulfilled or cancelled at or after it takes effect.</summary>
    public static async Task<int> AfterTermsChangeAsync(EngineWrite write, CourierTerms terms)
    {
        // The lock first, even when no order needs re-deriving: an ingestion of this courier that read the terms
        // before this change committed either commits before the orders are chosen (and is re-derived here) or waits
        // for this transaction and then finds the epoch moved (DeliveryRecalculation reads the terms again).
        await DeliveryRecalculation.LockCouriersAsync(write, [terms.CourierId]);
        var orderIds = await write.Session.QueryAsync<string>(
            $"""
            SELECT order_id FROM deliveries WHERE courier_key = {CourierTermsStore.KeyOfCourier}
                AND (fulfilled_at >= @effectiveAt OR cancelled_at >= @effectiveAt)
            """,
            new { merchantId = write.MerchantId, courierId = terms.CourierId, effectiveAt = terms.EffectiveAt });
        return await ApplyAsync(write, terms.CourierId, orderIds);
    }

    private static async Task<int> ApplyAsync(EngineWrite write, string courierId, IReadOnlyList<string> orderIds)
    {
        foreach (var chunk in orderIds.Order(StringComparer.Ordinal).Chunk(Chunk))
        {
            await DeliveryRecalculation.ApplyAsync(write, chunk.Select(o => new OrderKey(courierId, o)).ToList());
        }

        return orderIds.Count;
    }
}
