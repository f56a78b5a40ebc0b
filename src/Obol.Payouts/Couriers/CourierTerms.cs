using NodaTime;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Payouts.PayRules;

namespace Obol.Payouts.Couriers;

/// <summary>
/// One version of a courier's pay terms. Versions are effective-dated: a delivery is priced with the version
/// in effect at its fulfillment (a cancellation at its cancellation). Zone, currency and pay-period start day
/// are fixed by the first version, because changing them would re-slice days and periods already paid.
/// </summary>
public sealed record CourierTerms
{
    public const long MaxBasePayRate = 1_000_000;
    public const long MaxBonusPay = 100_000_000;
    public const long MaxDeliveriesPerBonus = 10_000;
    public const long MaxCancellationPay = 100_000_000;

    public required string CourierId { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset EffectiveAt { get; init; }
    public required DateTimeZone Zone { get; init; }
    public required Currency Currency { get; init; }
    public required long BasePayRate { get; init; }
    public required long BonusPay { get; init; }
    public required long DeliveriesPerBonus { get; init; }
    public required long CancellationPay { get; init; }
    public required IsoDayOfWeek PayPeriodStartDay { get; init; }

    /// <summary>Time pay for one delivery, by the same inclusive-minute rule as the seed service.</summary>
    public long DeliveryPay(long minutes) => DeliveryMinutes.TimePay(minutes, BasePayRate);

    public long DayBonus(long completedDeliveries) =>
        CompletionBonus.Compute(BonusPay, DeliveriesPerBonus, completedDeliveries);

    public LocalDate LocalDateOf(DateTimeOffset instant) => Instant.FromDateTimeOffset(instant).InZone(Zone).Date;
}

/// <summary>A courier's versions, oldest first; picks the one in effect at an instant.</summary>
internal sealed class CourierTermsHistory
{
    public CourierTermsHistory(long key, IReadOnlyList<CourierTerms> versions)
    {
        if (versions.Count == 0)
        {
            throw new ArgumentException("A courier has at least one version of terms.", nameof(versions));
        }

        Key = key;
        Versions = versions;
    }

    /// <summary>The courier's storage key (<c>couriers.courier_key</c>): what the engine's per-courier indexes lead with.</summary>
    public long Key { get; }

    public IReadOnlyList<CourierTerms> Versions { get; }

    public CourierTerms Current => Versions[^1];

    /// <summary>The latest version effective at or before <paramref name="instant"/>; before the first, the first.</summary>
    public CourierTerms At(DateTimeOffset instant)
    {
        for (var i = Versions.Count - 1; i > 0; i--)
        {
            if (Versions[i].EffectiveAt <= instant)
            {
                return Versions[i];
            }
        }

        return Versions[0];
    }
}

/// <summary><c>PUT /v1/couriers/{id}</c> body. Rates are minor units of <see cref="Currency"/>.</summary>
public sealed record PutCourierRequest
{
    public string? TimeZone { get; init; }
    public string? Currency { get; init; }
    public long? BasePayRate { get; init; }
    public long? BonusPay { get; init; }
    public long? DeliveriesPerBonus { get; init; }
    public long? CancellationPay { get; init; }
    public string? PayPeriodStartDay { get; init; }

    /// <summary>When the new terms start to apply; defaults to now. Must be after the current version's.</summary>
    public DateTimeOffset? EffectiveAt { get; init; }
}

internal static class CourierIds
{
    public const int MaxLength = 100;

    /// <summary>Courier, order and event ids: 1–100 printable ASCII characters, compared exactly.</summary>
    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Turns a request into the next version of terms, or says why it cannot be.</summary>
internal static class CourierTermsDecision
{
    public static CourierTerms Decide(string courierId, PutCourierRequest request, CourierTermsHistory? history, DateTimeOffset now)
    {
        var errors = new ValidationErrors();
        if (!CourierIds.IsValid(courierId))
        {
            errors.Add("id", "A courier id is 1 to 100 printable ASCII characters without spaces.");
        }

        DateTimeZone? zone = null;
        if (string.IsNullOrEmpty(request.TimeZone))
        {
            errors.Add("timeZone", "Required: an IANA time zone such as America/New_York.");
        }
        else if ((zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(request.TimeZone)) is null)
        {
            errors.Add("timeZone", $"'{request.TimeZone}' is not an IANA time zone.");
        }

        Currency currency = default;
        if (string.IsNullOrEmpty(request.Currency))
        {
            errors.Add("currency", "Required: an ISO 4217 code in upper case.");
        }
        else if (!string.Equals(request.Currency, request.Currency.ToUpperInvariant(), StringComparison.Ordinal)
            || !Currency.TryFromCode(request.Currency, out currency))
        {
            errors.Add("currency", $"'{request.Currency}' is not an ISO 4217 code in upper case.");
        }

        Range(errors, "basePayRate", request.BasePayRate, 1, CourierTerms.MaxBasePayRate, required: true);
        Range(errors, "bonusPay", request.BonusPay, 0, CourierTerms.MaxBonusPay, required: true);
        Range(errors, "deliveriesPerBonus", request.DeliveriesPerBonus, 1, CourierTerms.MaxDeliveriesPerBonus, required: true);
        Range(errors, "cancellationPay", request.CancellationPay, 0, CourierTerms.MaxCancellationPay, required: false);

        var startDay = IsoDayOfWeek.Monday;
        if (request.PayPeriodStartDay is not null && !TryParseDay(request.PayPeriodStartDay, out startDay))
        {
            errors.Add("payPeriodStartDay", "One of monday, tuesday, wednesday, thursday, friday, saturday, sunday.");
        }

        errors.ThrowIfAny();

        var effectiveAt = StoredInstant.Of(request.EffectiveAt ?? now);
        if (history is not null)
        {
            var current = history.Current;
            if (current.Zone.Id != zone!.Id || current.Currency != currency || current.PayPeriodStartDay != startDay)
            {
                throw PayoutsProblems.CourierTermsImmutable(current.Zone.Id, current.Currency, DayName(current.PayPeriodStartDay));
            }

            if (request.EffectiveAt is null && current.BasePayRate == request.BasePayRate && current.BonusPay == request.BonusPay
                && current.DeliveriesPerBonus == request.DeliveriesPerBonus && current.CancellationPay == (request.CancellationPay ?? 0))
            {
                return current; // the same terms again: not a new version, so a repeated PUT is a no-op
            }

            if (effectiveAt <= current.EffectiveAt)
            {
                throw Problems.Validation("effectiveAt", "New terms must take effect after the current version's effectiveAt; history is never rewritten.");
            }
        }

        return new CourierTerms
        {
            CourierId = courierId,
            Version = (history?.Current.Version ?? 0) + 1,
            EffectiveAt = effectiveAt,
            Zone = zone!,
            Currency = currency,
            BasePayRate = request.BasePayRate!.Value,
            BonusPay = request.BonusPay!.Value,
            DeliveriesPerBonus = request.DeliveriesPerBonus!.Value,
            CancellationPay = request.CancellationPay ?? 0,
            PayPeriodStartDay = startDay,
        };
    }

    public static string DayName(IsoDayOfWeek day) => day.ToString().ToLowerInvariant();

    public static bool TryParseDay(string text, out IsoDayOfWeek day)
    {
        foreach (var candidate in Enum.GetValues<IsoDayOfWeek>())
        {
            if (candidate != IsoDayOfWeek.None && string.Equals(DayName(candidate), text, StringComparison.Ordinal))
            {
                day = candidate;
                return true;
            }
        }

        day = IsoDayOfWeek.None;
        return false;
    }

    private static void Range(ValidationErrors errors, string field, long? value, long min, long max, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                errors.Add(field, $"Required: an integer from {min} to {max} (minor units).");
            }
        }
        else if (value < min || value > max)
        {
            errors.Add(field, $"Must be an integer from {min} to {max} (minor units).");
        }
    }
}
