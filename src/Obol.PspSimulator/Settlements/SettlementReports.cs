using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Obol.PspSimulator.Charges;
using Obol.PspSimulator.Faults;
using Obol.PspSimulator.Stripe;

namespace Obol.PspSimulator.Settlements;

/// <summary>
/// Daily settlement reports built from captures and refunds on a UTC date. Stripe: balance-transaction style,
/// amounts in minor units. Adyen: settlement-details style, amounts in major units formatted from integers.
/// Fees follow <see cref="FeeRule"/> on captures; refunds carry no fee.
/// </summary>
public sealed class SettlementReports(ChargeStore charges, FaultInjector faults, IOptions<PspSimulatorOptions> options)
{
    private sealed record Row(Charge Charge, Movement Movement, long Gross, long Fee, bool Unknown);

    public string Build(Psp psp, DateOnly date)
    {
        var rows = Rows(psp, date);
        return psp == Psp.Stripe ? StripeCsv(rows) : AdyenCsv(rows);
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
            var fee = movement.Kind == MovementKind.Capture ? fees.FeeFor(gross) : 0;
            rows.Add(new Row(charge, movement, gross, fee, false));
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

    private static string StripeCsv(List<Row> rows)
    {
        var csv = new StringBuilder();
        csv.Append("id,type,source,amount,fee,net,currency,created,payment_intent,description,payment_metadata[reference]\n");
        foreach (var row in rows)
        {
            var refund = row.Movement.Kind == MovementKind.Refund;
            var amount = refund ? -row.Gross : row.Gross;
            Line(csv,
                "txn_" + row.Movement.Id[(row.Movement.Id.IndexOf('_', StringComparison.Ordinal) + 1)..],
                refund ? "refund" : "charge",
                row.Movement.Id,
                Integer(amount),
                Integer(row.Fee),
                Integer(checked(amount - row.Fee)),
                row.Charge.Currency.ToLowerInvariant(),
                row.Movement.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                row.Charge.Id,
                refund ? "REFUND FOR CHARGE" : row.Charge.Description ?? string.Empty,
                row.Charge.Metadata.GetValueOrDefault(StripeApi.ReferenceMetadataKey) ?? row.Charge.Reference ?? string.Empty);
        }

        return csv.ToString();
    }

    private string AdyenCsv(List<Row> rows)
    {
        var company = options.Value.Adyen.CompanyAccount;
        var csv = new StringBuilder();
        csv.Append("Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,TimeZone,Type,Modification Reference,")
           .Append("Gross Currency,Gross Debit (GC),Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Markup (NC),Batch Number\n");
        foreach (var row in rows)
        {
            var refund = row.Movement.Kind == MovementKind.Refund;
            var currency = row.Charge.Currency;
            var net = checked(row.Gross - row.Fee);
            Line(csv,
                company,
                row.Charge.MerchantAccount ?? string.Empty,
                row.Charge.Id,
                row.Charge.Reference ?? string.Empty,
                Adyen.AdyenJson.PaymentMethodVariant(row.Charge.PaymentMethod),
                row.Movement.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                "UTC",
                refund ? "Refunded" : "Settled",
                row.Movement.Id,
                currency,
                refund ? Currencies.FormatMajor(row.Gross, currency) : string.Empty,
                refund ? string.Empty : Currencies.FormatMajor(row.Gross, currency),
                "1",
                currency,
                refund ? Currencies.FormatMajor(net, currency) : string.Empty,
                refund ? string.Empty : Currencies.FormatMajor(net, currency),
                Currencies.FormatMajor(row.Fee, currency),
                Currencies.FormatMajor(0, currency),
                "1");
        }

        return csv.ToString();
    }

    private static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

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
