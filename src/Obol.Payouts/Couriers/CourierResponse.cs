namespace Obol.Payouts.Couriers;

public sealed record CourierResponse(
    string Id,
    string TimeZone,
    string Currency,
    long BasePayRate,
    long BonusPay,
    long DeliveriesPerBonus,
    long CancellationPay,
    string PayPeriodStartDay,
    int Version,
    DateTimeOffset EffectiveAt)
{
    public static CourierResponse From(CourierTerms t) => new(
        t.CourierId, t.Zone.Id, t.Currency.Code, t.BasePayRate, t.BonusPay, t.DeliveriesPerBonus, t.CancellationPay,
        CourierTermsDecision.DayName(t.PayPeriodStartDay), t.Version, t.EffectiveAt);
}
