using System.Globalization;
using CsCheck;
using NodaTime;
using Obol.Core;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;
using Obol.Payouts.Events;
using Obol.Payouts.PayRules;

namespace Obol.Payouts.Engine.Tests;

/// <summary>The engine pays what the seed library pays for the same minutes: the rules are shared code, this checks they are used the same way.</summary>
public sealed class EngineMatchesLibraryProperties
{
    private static readonly string[] Zones = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Europe/London"];

    private static readonly Gen<(int Start, int End, int StartSecond, int EndSecond)> Order =
        Gen.Select(Gen.Int[0, 1439], Gen.Int[0, 1439], Gen.Int[0, 59], Gen.Int[0, 59]);

    [Fact]
    public void Per_delivery_pay_and_the_day_total_equal_the_library_for_the_same_minutes()
    {
        Gen.Select(Order.Array[0, 40], Gen.Int[1, 99], Gen.Int[0, 1000], Gen.Int[1, 99], Gen.Int[0, Zones.Length - 1])
            .Sample((orders, rate, bonus, perBonus, zoneIndex) =>
            {
                var zone = DateTimeZoneProviders.Tzdb[Zones[zoneIndex]];
                var terms = new CourierTermsHistory(1, [new CourierTerms
                {
                    CourierId = "d1",
                    Version = 1,
                    EffectiveAt = DateTimeOffset.MinValue,
                    Zone = zone,
                    Currency = Currency.FromCode("USD"),
                    BasePayRate = rate,
                    BonusPay = bonus,
                    DeliveriesPerBonus = perBonus,
                    CancellationPay = 0,
                    PayPeriodStartDay = IsoDayOfWeek.Monday,
                }]);
                var library = new DasherPayoutService();
                library.AddOrUpdatePayoutMetadata("d1", rate, bonus, perBonus);
                var day = new LocalDate(2027, 5, 3); // no DST change in any of the zones
                long engineBase = 0;
                var records = new List<string>();
                for (var i = 0; i < orders.Length; i++)
                {
                    var (start, end, startSecond, endSecond) = orders[i];
                    var accepted = At(zone, day, start, startSecond);
                    var fulfilled = At(zone, day, end, endSecond);
                    var outcome = DeliveryPricing.Price("d1", $"O{i}",
                        [new DeliveryEvent($"a{i}", "d1", $"O{i}", DeliveryStatus.Accepted, accepted), new DeliveryEvent($"f{i}", "d1", $"O{i}", DeliveryStatus.Fulfilled, fulfilled)],
                        terms);
                    var expectedMinutes = DeliveryMinutes.Inclusive(MinuteOfDay.FromMinutes(start), MinuteOfDay.FromMinutes(end));
                    if (outcome.Minutes != expectedMinutes || outcome.Amount != (long)expectedMinutes * rate || outcome.LocalDate != day || !outcome.Completed)
                    {
                        return false;
                    }

                    engineBase += outcome.Amount;
                    records.Add(string.Create(CultureInfo.InvariantCulture, $"orderId=O{i},action=START,time={MinuteOfDay.FromMinutes(start)}"));
                    records.Add(string.Create(CultureInfo.InvariantCulture, $"orderId=O{i},action=END,time={MinuteOfDay.FromMinutes(end)}"));
                }

                library.AddDeliveryActivity("d1", records);
                var fulfilledLast = orders.Length == 0 ? (DateTimeOffset?)null : DateTimeOffset.MaxValue;
                var dayTotals = DayPricing.Price(new DaySums(0, orders.Length, 0, engineBase, 0, fulfilledLast), terms);
                return dayTotals.Total == library.Payout("d1");
            }, iter: 500);
    }

    private static DateTimeOffset At(DateTimeZone zone, LocalDate day, int minuteOfDay, int second) =>
        day.At(new LocalTime(minuteOfDay / 60, minuteOfDay % 60, second)).InZoneStrictly(zone).ToDateTimeOffset().ToUniversalTime();
}
