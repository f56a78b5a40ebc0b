using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Faults;
using Obol.PspSimulator.Stripe;

namespace Obol.PspSimulator.Settlements;

/// <summary>
/// Daily settlement reports built from captures and refunds on a UTC date, in each PSP's documented report format.
/// Fees follow <see cref="FeeRule"/> on captures; refunds carry no fee.
/// <list type="bullet">
/// <item>Stripe: the itemized balance change from activity report (<c>balance_change_from_activity.itemized.3</c>),
/// run with the columns in <see cref="StripeColumns"/>: amounts signed, in major units.</item>
/// <item>Adyen: the Settlement details report with its 30 standard columns, one batch a day: amounts in major units in
/// debit and credit columns, the fee as <c>Commission (NC)</c> (blended pricing).</item>
/// </list>
/// Amounts are formatted from integers with the PSP's decimals for the currency (<see cref="Currencies.Exponent"/>).
/// </summary>
public sealed class SettlementReports(ChargeStore charges, FaultInjector faults, IOptions<PspSimulatorOptions> options)
{
    /// <summary>
    /// The columns a merchant asks the Reporting API for (its <c>columns</c> parameter) to reconcile payments: Stripe's
    /// default ones, the local times, and the objects and metadata that tie a row to its payment, in Stripe's order.
    /// </summary>
    public static readonly IReadOnlyList<string> StripeColumns =
    [
        "balance_transaction_id", "created_utc", "created", "available_on_utc", "available_on", "currency", "gross", "fee", "net",
        "reporting_category", "source_id", "description", "customer_facing_amount", "customer_facing_currency", "charge_id",
        "payment_intent_id", "charge_created_utc", "payment_method_type", "card_brand", "payment_metadata[reference]",
    ];

    /// <summary>The Settlement details report's standard columns, in Adyen's order.</summary>
    public static readonly IReadOnlyList<string> AdyenColumns =
    [
        "Company Account", "Merchant Account", "Psp Reference", "Merchant Reference", "Payment Method", "Creation Date", "TimeZone",
        "Type", "Modification Reference", "Gross Currency", "Gross Debit (GC)", "Gross Credit (GC)", "Exchange Rate", "Net Currency",
        "Net Debit (NC)", "Net Credit (NC)", "Commission (NC)", "Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)",
        "Payment Method Variant", "Modification Merchant Reference", "Batch Number",
        "Reserved4", "Reserved5", "Reserved6", "Reserved7", "Reserved8", "Reserved9", "Reserved10",
    ];

    private const string Timestamp = "yyyy-MM-dd HH:mm:ss";

    /// <param name="Fee">In the settlement currency: <see cref="Settled"/>'s when the movement was converted.</param>
    private sealed record Row(Charge Charge, Movement Movement, long Gross, long Fee, bool Unknown, Converted? Settled = null);

    /// <summary>A movement paid out in another currency: the currency, the rate applied and the gross in it (PSP units).</summary>
    private sealed record Converted(string Currency, decimal Rate, long Gross);

    public string Build(Psp psp, DateOnly date)
    {
        var rows = Rows(psp, date);
        return psp == Psp.Stripe ? StripeCsv(rows) : AdyenCsv(rows, date);
    }

    private List<Row> Rows(Psp psp, DateOnly date)
    {
        var fees = options.Value.Fees;
        var rows = new List<Row>();
        var movements = charges.List(psp)
            .SelectMany(c => c.Movements.Select(m => (Charge: c, Movement: m)))
            .Where(x => DateOnly.FromDateTime(x.Movement.At.UtcDateTime) == date)
            .OrderBy(x => x.Movement.At)
            .ThenBy(x => x.Movement.Id, StringComparer.Ordinal);
        foreach (var (charge, movement) in movements)
        {
            var (drop, change) = faults.ForSettlementRow(psp);
            if (drop)
            {
                continue;
            }

            var gross = change ? checked(movement.Amount + 1) : movement.Amount;
            var settled = Convert(psp, gross, charge.Currency);
            var (feeBase, feeCurrency) = settled is null ? (gross, charge.Currency) : (settled.Gross, settled.Currency);
            var fee = movement.Kind == MovementKind.Capture ? Currencies.WholeIsoMinorUnits(psp, fees.FeeFor(feeBase), feeCurrency) : 0;
            rows.Add(new Row(charge, movement, gross, fee, false, settled));
        }

        var unknown = psp == Psp.Stripe ? faults.Current.Stripe.Settlements.UnknownRows : faults.Current.Adyen.Settlements.UnknownRows;
        for (var i = 0; i < unknown; i++)
        {
            var at = new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
            var id = psp == Psp.Stripe ? Ids.Stripe("pi") : Ids.AdyenPspReference();
            var amount = 1_000L * (i + 1);
            var charge = new Charge
            {
                Psp = psp,
                Id = id,
                ChargeId = psp == Psp.Stripe ? Ids.Stripe("ch") : id,
                Reference = "unknown-" + id,
                Amount = amount,
                Currency = "USD",
                Status = ChargeStatus.Captured,
                ManualCapture = false,
                PaymentMethod = "pm_card_visa",
                MerchantAccount = "UnknownMerchant",
                CreatedAt = at,
            };
            var movement = new Movement(charge.ChargeId, MovementKind.Capture, amount, at, charge.Reference);
            rows.Add(new Row(charge, movement, amount, fees.FeeFor(amount), true));
        }

        return rows;
    }

    /// <summary>The movement in the settlement currency, when there is one and it differs (PSP units both ways).</summary>
    private Converted? Convert(Psp psp, long gross, string currency)
    {
        var target = options.Value.SettlementCurrency?.ToUpperInvariant();
        if (target is null || target.Equals(currency, StringComparison.OrdinalIgnoreCase) || Rates.EcbReferenceRatesEndpoint.Rate(currency, target) is not { } reference)
        {
            return null;
        }

        var rate = reference * (10_000 - options.Value.ConversionMarkupBps) / 10_000;
        var major = gross / Pow10(Currencies.Exponent(psp, currency));
        var settled = Math.Round(major * rate * Pow10(Currencies.Exponent(psp, target)), MidpointRounding.AwayFromZero);
        return new Converted(target, Math.Round(rate, 6, MidpointRounding.AwayFromZero), (long)settled);
    }

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }

    private static string StripeCsv(List<Row> rows)
    {
        var csv = new StringBuilder();
        Line(csv, [.. StripeColumns]);
        foreach (var row in rows)
        {
            var refund = row.Movement.Kind == MovementKind.Refund;
            var customerCurrency = row.Charge.Currency;
            var customerGross = refund ? -row.Gross : row.Gross;

            // A converted movement is in the balance's (settlement) currency; what the customer paid is customer_facing_*.
            var currency = row.Settled?.Currency ?? customerCurrency;
            var gross = row.Settled is { } settled ? (refund ? -settled.Gross : settled.Gross) : customerGross;
            var created = row.Movement.At.UtcDateTime;
            // Card funds become available two days after the charge; a refund is taken from the balance at once.
            var available = refund ? created : created.Date.AddDays(2);
            var card = row.Charge.PaymentMethod.StartsWith("pm_card_", StringComparison.Ordinal);
            Line(csv,
                "txn_" + row.Movement.Id[(row.Movement.Id.IndexOf('_', StringComparison.Ordinal) + 1)..],
                Time(created),
                Time(created),
                Time(available),
                Time(available),
                currency.ToLowerInvariant(),
                Currencies.FormatMajor(Psp.Stripe, gross, currency),
                Currencies.FormatMajor(Psp.Stripe, row.Fee, currency),
                Currencies.FormatMajor(Psp.Stripe, checked(gross - row.Fee), currency),
                refund ? "refund" : "charge",
                row.Movement.Id,
                refund ? "REFUND FOR CHARGE" : row.Charge.Description ?? string.Empty,
                Currencies.FormatMajor(Psp.Stripe, customerGross, customerCurrency),
                customerCurrency.ToLowerInvariant(),
                row.Charge.ChargeId,
                row.Charge.Id,
                Time(row.Charge.CreatedAt.UtcDateTime),
                card ? "card" : "customer_balance",
                card ? (row.Charge.PaymentMethod == "pm_card_mastercard" ? "mastercard" : "visa") : string.Empty,
                row.Charge.Metadata.GetValueOrDefault(StripeApi.ReferenceMetadataKey) ?? row.Charge.Reference ?? string.Empty);
        }

        return csv.ToString();
    }

    private string AdyenCsv(List<Row> rows, DateOnly date)
    {
        var company = options.Value.Adyen.CompanyAccount;
        // A payout a day: the batch is numbered by the day.
        var batch = date.DayNumber.ToString(CultureInfo.InvariantCulture);
        var csv = new StringBuilder();
        Line(csv, [.. AdyenColumns]);
        foreach (var row in rows)
        {
            var refund = row.Movement.Kind == MovementKind.Refund;
            var currency = row.Charge.Currency;
            var gross = refund ? -row.Gross : row.Gross;

            // A converted movement's net and costs are in the net (settlement) currency, at the exchange rate shown.
            var netCurrency = row.Settled?.Currency ?? currency;
            var settledGross = row.Settled is { } settled ? (refund ? -settled.Gross : settled.Gross) : gross;
            var net = checked(settledGross - row.Fee);
            var method = Adyen.AdyenJson.PaymentMethodVariant(row.Charge.PaymentMethod);
            Line(csv,
            [
                company,
                row.Charge.MerchantAccount ?? string.Empty,
                row.Charge.Id,
                row.Charge.Reference ?? string.Empty,
                method,
                Time(row.Movement.At.UtcDateTime),
                "UTC",
                refund ? "Refunded" : "Settled",
                row.Movement.Id,
                currency,
                Debit(gross, currency),
                Credit(gross, currency),
                row.Settled?.Rate.ToString(CultureInfo.InvariantCulture) ?? "1",
                netCurrency,
                // A capture smaller than its fee nets out as a debit: Adyen never writes a negative amount.
                Debit(net, netCurrency),
                Credit(net, netCurrency),
                row.Fee == 0 ? string.Empty : Currencies.FormatMajor(Psp.Adyen, row.Fee, netCurrency),
                string.Empty,
                string.Empty,
                string.Empty,
                Variant(method),
                // A modification asked for separately (a capture or refund request) has its own merchant reference.
                row.Movement.Id == row.Charge.Id ? string.Empty : row.Movement.Reference ?? string.Empty,
                batch,
                .. Enumerable.Repeat(string.Empty, 7),
            ]);
        }

        return csv.ToString();
    }

    private static string Debit(long amount, string currency) => amount < 0 ? Currencies.FormatMajor(Psp.Adyen, -amount, currency) : string.Empty;

    private static string Credit(long amount, string currency) => amount > 0 ? Currencies.FormatMajor(Psp.Adyen, amount, currency) : string.Empty;

    /// <summary>Adyen's finer payment method, as its reports name it.</summary>
    private static string Variant(string method) => method switch
    {
        "visa" => "visaclassic",
        "mc" => "mccredit",
        _ => method,
    };

    private static string Time(DateTime utc) => utc.ToString(Timestamp, CultureInfo.InvariantCulture);

    private static void Line(StringBuilder csv, params string[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                csv.Append(',');
            }

            var field = fields[i];
            if (field.AsSpan().IndexOfAny(",\"\n\r") >= 0)
            {
                csv.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                csv.Append(field);
            }
        }

        csv.Append('\n');
    }
}
