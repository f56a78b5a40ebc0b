using NodaTime;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;

namespace Obol.Payouts.PayPeriods;

/// <summary>A period's totals: its frozen or live days plus the adjustments it pays.</summary>
internal sealed record PeriodTotals(long BasePay, long BonusPay, long CancellationPay, long Adjustments)
{
    public long Total => checked(BasePay + BonusPay + CancellationPay + Adjustments);
}

/// <summary>
/// Closing a period freezes its days (they are never rewritten; later changes become adjustments in the next open
/// period), books the earnings (<c>courier_earnings_expense</c> → <c>courier_payable</c>) and the payout
/// (<c>courier_payable</c> → <c>bank_cash</c>) with external ids derived from the period id, and records the payout.
/// Closing again returns the closed period; the ledger's external ids make a second booking impossible anyway.
/// The close reports <c>pay_period.closed</c> and, when it paid, <c>payout.paid</c>, in its unit of work.
/// </summary>
internal static class PayPeriodClose
{
    public static async Task<PayPeriodRow> CloseAsync(EngineWrite write, ILedger ledger, string periodId)
    {
        var period = await PayPeriodStore.GetAsync(write.Session, write.MerchantId, periodId) ?? throw Problems.NotFound("pay period", periodId);
        if (period.Status == PayPeriodStatus.Closed)
        {
            return period;
        }

        if (period.EndsAt > write.Now)
        {
            throw PayoutsProblems.PayPeriodNotEnded(periodId, StoredInstant.SqliteText(period.EndsAt));
        }

        await DeliveryRecalculation.LockCouriersAsync(write, [period.CourierId]);
        period = (await PayPeriodStore.GetAsync(write.Session, write.MerchantId, periodId))!;
        if (period.Status == PayPeriodStatus.Closed)
        {
            return period;
        }

        var history = await CourierTermsStore.GetAsync(write.Session, write.MerchantId, period.CourierId)
            ?? throw new InvalidOperationException($"Pay period {periodId} has no courier terms.");
        var totals = await TotalsAsync(write.Session, write.MerchantId, period);
        await FreezeDaysAsync(write, period);

        var currency = Currency.FromCode(period.Currency);
        string? earningsTransactionId = null;
        string? payoutId = null;
        var booked = totals.Total;
        if (totals.Total < 0)
        {
            // Nothing to pay; the negative balance is owed back and carried into the next open period.
            var next = await PayPeriodStore.NextOpenAfterAsync(write, period.CourierId, PayPeriodStore.ParseDate(period.StartDate), history);
            await write.Session.ExecuteAsync(
                """
                INSERT INTO earning_adjustments (id, merchant_id, courier_id, period_id, effective_date, origin_date, amount, reason, created_at)
                VALUES (@id, @merchantId, @courierId, @periodId, @effectiveDate, @originDate, @amount, @reason, @now)
                """,
                new
                {
                    id = write.Ids.New("adj"),
                    merchantId = write.MerchantId,
                    courierId = period.CourierId,
                    periodId = next.Id,
                    effectiveDate = next.StartDate,
                    originDate = $"{period.StartDate}/{period.EndDate}",
                    amount = totals.Total,
                    reason = $"Negative total of pay period {period.Id} carried forward.",
                    now = write.Now,
                });
            booked = 0;
        }

        if (booked > 0)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["courierId"] = period.CourierId, ["payPeriodId"] = period.Id };
            var expense = await ledger.GetOrCreatePlatformAccountAsync(write.Session, write.MerchantId, "courier_earnings_expense", currency);
            var payable = await ledger.GetOrCreatePlatformAccountAsync(write.Session, write.MerchantId, "courier_payable", currency);
            var bank = await ledger.GetOrCreatePlatformAccountAsync(write.Session, write.MerchantId, "bank_cash", currency);
            var earnings = await ledger.CreateTransactionAsync(write.Session, write.MerchantId,
                new NewTransaction([new NewTransfer(expense.Id, payable.Id, booked, currency)])
                {
                    ExternalId = $"courier_earnings:{period.Id}",
                    Description = $"Courier {period.CourierId} earnings {period.StartDate}..{period.EndDate}",
                    Metadata = metadata,
                });
            payoutId = write.Ids.New("po");
            var payout = await ledger.CreateTransactionAsync(write.Session, write.MerchantId,
                new NewTransaction([new NewTransfer(payable.Id, bank.Id, booked, currency)])
                {
                    ExternalId = $"courier_payout:{period.Id}",
                    Description = $"Payout to courier {period.CourierId} for {period.StartDate}..{period.EndDate}",
                    Metadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal) { ["payoutId"] = payoutId },
                });
            earningsTransactionId = earnings.Transaction.Id;
            await write.Session.ExecuteAsync(
                """
                INSERT INTO courier_payouts (id, merchant_id, courier_id, period_id, amount, currency, status, ledger_transaction_id, created_at)
                VALUES (@payoutId, @merchantId, @courierId, @periodId, @booked, @currency, 'paid', @transactionId, @now)
                """,
                new
                {
                    payoutId,
                    merchantId = write.MerchantId,
                    courierId = period.CourierId,
                    periodId = period.Id,
                    booked,
                    currency = currency.Code,
                    transactionId = payout.Transaction.Id,
                    now = write.Now,
                });
        }

        await write.Session.ExecuteAsync(
            """
            UPDATE pay_periods SET status = 'closed', base_pay = @BasePay, bonus_pay = @BonusPay, cancellation_pay = @CancellationPay,
                adjustments = @Adjustments, total = @Total, ledger_transaction_id = @earningsTransactionId, payout_id = @payoutId, closed_at = @now
            WHERE merchant_id = @merchantId AND id = @id AND status = 'open'
            """,
            new
            {
                totals.BasePay,
                totals.BonusPay,
                totals.CancellationPay,
                totals.Adjustments,
                totals.Total,
                earningsTransactionId,
                payoutId,
                now = write.Now,
                merchantId = write.MerchantId,
                id = period.Id,
            });
        var closed = (await PayPeriodStore.GetAsync(write.Session, write.MerchantId, periodId))!;
        var response = await PayPeriodResponse.FromAsync(write.Session, write.MerchantId, closed);
        await write.Events.AppendAsync(write.Session, new MerchantEvent(write.MerchantId, PayoutsEvents.PayPeriodClosed, closed.Id, response));
        if (response.Payout is { } paid)
        {
            await write.Events.AppendAsync(write.Session, new MerchantEvent(write.MerchantId, PayoutsEvents.PayoutPaid, paid.Id, paid));
        }

        return closed;
    }

    public static async Task<PeriodTotals> TotalsAsync(Obol.Core.Storage.DbSession session, string merchantId, PayPeriodRow period)
    {
        var row = await session.QuerySingleAsync<TotalsRow>(
            $"""
            SELECT days.BasePay, days.BonusPay, days.CancellationPay,
                (SELECT CAST(coalesce(sum(amount), 0) AS BIGINT) FROM earning_adjustments WHERE merchant_id = @merchantId AND period_id = @periodId) AS Adjustments
            FROM (SELECT CAST(coalesce(sum(base_pay), 0) AS BIGINT) AS BasePay, CAST(coalesce(sum(bonus_pay), 0) AS BIGINT) AS BonusPay,
                    CAST(coalesce(sum(cancellation_pay), 0) AS BIGINT) AS CancellationPay
                FROM earning_days WHERE courier_key = {CourierTermsStore.KeyOfCourier} AND local_date >= @start AND local_date < @end) days
            """,
            new { merchantId, courierId = period.CourierId, start = period.StartDate, end = period.EndDate, periodId = period.Id });
        return new PeriodTotals(row.BasePay, row.BonusPay, row.CancellationPay, row.Adjustments);
    }

    private static async Task FreezeDaysAsync(EngineWrite write, PayPeriodRow period)
    {
        var start = PayPeriodStore.ParseDate(period.StartDate);
        var end = PayPeriodStore.ParseDate(period.EndDate);
        for (var day = start; day < end; day = day.PlusDays(1))
        {
            await write.Session.ExecuteAsync(
                $"""
                INSERT INTO earning_days (merchant_id, courier_id, courier_key, local_date, minutes, deliveries, cancellations, base_pay, bonus_pay, cancellation_pay, frozen)
                VALUES (@merchantId, @courierId, {CourierTermsStore.KeyOfCourier}, @day, 0, 0, 0, 0, 0, 0, 1)
                ON CONFLICT (courier_key, local_date) DO UPDATE SET frozen = 1
                """,
                new { merchantId = write.MerchantId, courierId = period.CourierId, day = DayPricing.Format(day) });
        }
    }

    private sealed class TotalsRow
    {
        public long BasePay { get; init; }
        public long BonusPay { get; init; }
        public long CancellationPay { get; init; }
        public long Adjustments { get; init; }
    }
}
