using Obol.Core;
using Obol.Core.Errors;

namespace Obol.Payouts;

/// <summary>
/// Courier earnings' rejections, each with its stable code; the generic ones (validation, not found, an invalid state
/// transition) are Core's <see cref="Problems"/>.
/// </summary>
internal static class PayoutsProblems
{
    public static ProblemException CourierTermsImmutable(string timeZone, Currency currency, string payPeriodStartDay) =>
        new(409, "courier_terms_immutable", "Terms cannot change this way",
            $"timeZone ({timeZone}), currency ({currency}) and payPeriodStartDay ({payPeriodStartDay}) are fixed for a courier once set: changing them would re-slice days and pay periods already computed.");

    public static ProblemException PayPeriodNotEnded(string periodId, string endsAt) =>
        new(409, "pay_period_not_ended", "Pay period has not ended", $"Pay period {periodId} ends at {endsAt}; it can be closed after that.");

    public static ProblemException TooManyEvents(int maxEvents, int count) =>
        new(400, "too_many_events", "Too many events", $"A batch holds at most {maxEvents} events; this one has {count}. Split it.");
}
