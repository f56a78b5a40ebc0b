using System.Globalization;
using Obol.Core;

namespace Obol.Reconciliation.Reports;

/// <summary>
/// Stripe's balance-transaction report (itemised, one row per balance transaction): amounts in minor units, signed
/// (a refund is negative), the fee Stripe kept, <c>net = amount − fee</c>, <c>created</c> in UTC.
/// </summary>
public static class StripeSettlementReport
{
    private static readonly string[] Columns =
        ["id", "type", "source", "amount", "fee", "net", "currency", "created", "payment_intent", "payment_metadata[reference]"];

    public static IReadOnlyList<SettlementLine> Parse(string csv)
    {
        var lines = new List<SettlementLine>();
        foreach (var (number, v) in CsvTable.Read(csv, Columns))
        {
            var (id, type, source, amountText, feeText, netText, currencyText, created, intent, reference) =
                (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
            if (id.Length == 0)
            {
                throw SettlementReportProblems.Invalid(number, "'id' is empty.");
            }

            var amount = Integer(number, "amount", amountText);
            var fee = Integer(number, "fee", feeText);
            var net = Integer(number, "net", netText);
            if (checked(amount - fee) != net)
            {
                throw SettlementReportProblems.Invalid(number, $"net {net} is not amount {amount} less fee {fee}.");
            }

            if (!Currency.TryFromCode(currencyText.ToUpperInvariant(), out var currency))
            {
                throw SettlementReportProblems.Invalid(number, $"'{currencyText}' is not an ISO 4217 currency.");
            }

            if (!DateTime.TryParseExact(created, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            {
                throw SettlementReportProblems.Invalid(number, $"created '{created}' is not 'yyyy-MM-dd HH:mm:ss' (UTC).");
            }

            var (kind, note) = (type, amount) switch
            {
                ("charge" or "payment", > 0) => (SettlementLineKind.Capture, null),
                ("refund" or "payment_refund", < 0) => (SettlementLineKind.Refund, null),
                ("charge" or "payment" or "refund" or "payment_refund", _) => (SettlementLineKind.Other, $"A {type} of {amount} has the wrong sign."),
                _ => (SettlementLineKind.Other, $"Balance transactions of type '{type}' are not booked automatically."),
            };
            lines.Add(new SettlementLine
            {
                LineNumber = number,
                LineId = id,
                Kind = kind,
                PaymentReference = Blank(intent),
                MovementReference = Blank(source),
                MerchantReference = Blank(reference),
                Gross = Math.Abs(amount),
                Fee = fee,
                Currency = currency.Code,
                OccurredAt = new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)),
                Note = note,
            });
        }

        return lines;
    }

    private static long Integer(int number, string column, string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value != long.MinValue
            ? value
            : throw SettlementReportProblems.Invalid(number, $"{column} '{text}' is not a whole number of minor units.");

    private static string? Blank(string value) => value.Length == 0 ? null : value;
}
