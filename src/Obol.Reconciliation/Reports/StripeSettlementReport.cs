using System.Globalization;
using Obol.Core;

namespace Obol.Reconciliation.Reports;

/// <summary>
/// Stripe's balance transactions, in either of two shapes:
/// <list type="bullet">
/// <item>the itemized balance report (<c>balance_change_from_activity.itemized</c>): <c>balance_transaction_id</c>,
/// <c>created_utc</c>, <c>gross</c>/<c>fee</c>/<c>net</c> in major units, <c>reporting_category</c>, <c>source_id</c>,
/// <c>payment_intent_id</c>;</item>
/// <item>balance transactions as the API lists them (what the simulator serves): <c>id</c>, <c>type</c>, <c>source</c>,
/// <c>amount</c>/<c>fee</c>/<c>net</c> in minor units, <c>created</c> in UTC, <c>payment_intent</c>.</item>
/// </list>
/// Amounts are signed (a refund is negative) and <c>net = gross − fee</c> is checked.
/// </summary>
public static class StripeSettlementReport
{
    private static readonly string[] ApiColumns = ["id", "type", "source", "amount", "fee", "net", "currency", "created", "payment_intent"];
    private static readonly string[] ItemizedColumns = ["balance_transaction_id", "reporting_category", "source_id", "gross", "fee", "net", "currency", "created_utc", "payment_intent_id"];
    private static readonly string[] Optional = ["payment_metadata[reference]"];

    public static IReadOnlyList<SettlementLine> Parse(string csv)
    {
        var itemized = CsvTable.Header(csv).Contains("balance_transaction_id", StringComparer.Ordinal);
        var lines = new List<SettlementLine>();
        // Stripe's ids all start with a prefix (txn_, ch_, pi_, re_): no column of this report may hold a card number.
        foreach (var (number, v) in CsvTable.Read(csv, itemized ? ItemizedColumns : ApiColumns, Optional))
        {
            var (id, type, source, grossText, feeText, netText, currencyText, created, intent, reference) =
                (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
            if (id.Length == 0)
            {
                throw SettlementReportProblems.Invalid(number, $"'{(itemized ? "balance_transaction_id" : "id")}' is empty.");
            }

            if (!Currency.TryFromCode(currencyText.ToUpperInvariant(), out var currency))
            {
                throw SettlementReportProblems.Invalid(number, $"'{currencyText}' is not an ISO 4217 currency.");
            }

            var gross = Amount(number, itemized ? "gross" : "amount", grossText, currency, itemized);
            var fee = Amount(number, "fee", feeText, currency, itemized);
            var net = Amount(number, "net", netText, currency, itemized);
            if (checked(gross - fee) != net)
            {
                throw SettlementReportProblems.Invalid(number, $"net {net} is not gross {gross} less fee {fee} (minor units).");
            }

            if (!DateTime.TryParseExact(created, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            {
                throw SettlementReportProblems.Invalid(number, $"{(itemized ? "created_utc" : "created")} '{created}' is not a UTC time as 'yyyy-MM-dd HH:mm:ss'.");
            }

            var (kind, note) = (type, gross) switch
            {
                ("charge" or "payment", > 0) => (SettlementLineKind.Capture, null),
                ("refund" or "payment_refund", < 0) => (SettlementLineKind.Refund, null),
                ("charge" or "payment" or "refund" or "payment_refund", _) => (SettlementLineKind.Other, $"A {type} of {gross} has the wrong sign."),
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
                Gross = Math.Abs(gross),
                Fee = fee,
                Currency = currency.Code,
                OccurredAt = new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)),
                Note = note,
            });
        }

        return lines;
    }

    /// <summary>Minor units: given as such (the API shape), or as a decimal in major units (the itemized report).</summary>
    private static long Amount(int number, string column, string text, Currency currency, bool majorUnits)
    {
        if (majorUnits)
        {
            return Money.TryParse(text, currency, out var money)
                ? money.MinorUnits
                : throw SettlementReportProblems.Invalid(number, $"{column} '{text}' is not an amount in {currency.Code} major units.");
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value != long.MinValue
            ? value
            : throw SettlementReportProblems.Invalid(number, $"{column} '{text}' is not a whole number of minor units.");
    }

    private static string? Blank(string value) => value.Length == 0 ? null : value;
}
