using Obol.Core.Events;

namespace Obol.Payouts;

/// <summary>The merchant events of courier earnings, each written in the unit of work of the change it reports.</summary>
internal static class PayoutsEvents
{
    public const string PayPeriodClosed = "pay_period.closed";
    public const string PayoutPaid = "payout.paid";
    public const string AnomalyOpened = "courier.anomaly_opened";
    public const string AnomalyResolved = "courier.anomaly_resolved";

    public static EventType[] Types { get; } =
    [
        new(PayPeriodClosed,
            "A courier's pay period was closed: by `POST /v1/pay-periods/{id}/close`, or on its own once the grace period after its end "
            + "has passed. Its totals are frozen and booked to the ledger; a later change to one of its days becomes an adjustment in the "
            + "courier's next open period. `payout` is what the close paid, if the total was positive. Sent once per period."),
        new(PayoutPaid,
            "A courier was paid: the close of a pay period with a positive total booked the payout (`courier_payable` to `bank_cash`). "
            + "Sent once per payout; the object is the pay period's `payout`, with the courier and the period it pays."),
        new(AnomalyOpened,
            "A courier's delivery events showed something that needs a look; `kind` says what: `fulfilled_without_accepted` (the "
            + "delivery is held unpaid until its accept is known), `fulfilled_before_accepted`, `cancelled_after_fulfilled`, "
            + "`accepted_not_fulfilled` (nothing followed an accept in time) or `conflicting_duplicate` (an event id sent again with "
            + "other content). Sent once per anomaly: the same condition found again reports nothing."),
        new(AnomalyResolved,
            "An anomaly was resolved: by hand with `POST /v1/couriers/{id}/anomalies/{anomalyId}/resolve` (`resolution` holds the "
            + "note), or on its own when later events cleared its condition (`resolution` is `cleared`)."),
    ];
}
