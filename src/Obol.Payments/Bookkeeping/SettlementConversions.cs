using System.Numerics;
using Obol.Core;
using Obol.Core.Storage;
using Obol.Fx;
using Obol.Fx.Quotes;
using Obol.Fx.Rates;
using Obol.Payments.Domain;

namespace Obol.Payments.Bookkeeping;

/// <summary>
/// A refund of a converted payment in the settlement currency: <paramref name="FromMerchant"/> is what the merchant gives
/// back, <paramref name="AtDayRate"/> what the refunded amount is worth at the day's mid rate <paramref name="DayRate"/>;
/// the difference is the platform's FX gain (positive) or loss (negative).
/// </summary>
internal sealed record RefundConversion(Money Refunded, Money FromMerchant, Money AtDayRate, decimal DayRate)
{
    public Money GainOrLoss => FromMerchant - AtDayRate;
}

/// <summary>
/// What a converted payment's captures and refunds are worth in its settlement currency. A capture converts at the payment's
/// quote (<see cref="FxQuote.Settle"/>). A refund takes back from the merchant its share of what the captures credited,
/// counted cumulatively so that the refunds of a fully refunded payment take back exactly what was credited:
/// share(R) = round_half_even(credited × R / captured) for R refunded so far, and each refund takes
/// share(after) − share(before). Its cost is valued at the day's mid rate (the latest rates, however old: the PSP has
/// refunded already); without a rate for the pair in the latest publication, at the quote's own mid rate.
/// </summary>
internal sealed class SettlementConversions(IFx fx)
{
    public async Task<FxSettlement?> ForCaptureAsync(DbSession session, Payment payment, long captured) =>
        await QuoteAsync(session, payment) is { } quote ? quote.Settle(new Money(captured, quote.From)) : null;

    public async Task<RefundConversion?> ForRefundAsync(DbSession session, Payment payment, long refundedBefore, long refunded)
    {
        if (await QuoteAsync(session, payment) is not { } quote)
        {
            return null;
        }

        var refundedAfter = checked(refundedBefore + refunded);
        var fromMerchant = Share(payment.SettlementAmount, refundedAfter, payment.AmountCaptured) - Share(payment.SettlementAmount, refundedBefore, payment.AmountCaptured);
        var dayRate = await fx.LatestMidRateAsync(session, quote.From, quote.To) is { } latest ? latest.Rate : quote.MidRate;
        var amount = new Money(refunded, quote.From);
        return new RefundConversion(amount, new Money(fromMerchant, quote.To), Conversion.Convert(amount, quote.To, dayRate), dayRate);
    }

    /// <summary>round_half_even(credited × refunded / captured).</summary>
    internal static long Share(long credited, long refunded, long captured) =>
        captured == 0 ? 0 : (long)Conversion.DivideHalfEven((BigInteger)credited * refunded, captured);

    private async Task<FxQuote?> QuoteAsync(DbSession session, Payment payment) =>
        payment.FxQuoteId is { } id
            ? await fx.GetQuoteAsync(session, payment.MerchantId, id) ?? throw new InvalidOperationException($"Payment {payment.Id} names FX quote {id}, which does not exist.")
            : null;
}
