using System.Globalization;
using Obol.Core;
using Obol.Payments.Psp.Stripe;

namespace Obol.Reconciliation.Reports;

/// <summary>
/// Stripe's itemized reports of balance transactions, as the Reporting API and the Dashboard export them: the
/// itemized balance change from activity (<c>balance_change_from_activity.itemized.N</c>) and the itemized payout
/// reconciliation (<c>payout_reconciliation.itemized.N</c>). Both name their columns the same way, so columns are read
/// by name, in any order and among any others: <c>balance_transaction_id</c>, <c>created_utc</c>
/// (<c>yyyy-MM-dd HH:mm:ss</c>), <c>currency</c> (lower case), <c>gross</c>/<c>fee</c>/<c>net</c> (signed, in major
/// units with Stripe's decimals for the currency, <c>net = gross − fee</c>), <c>reporting_category</c>, <c>source_id</c>, <c>payment_intent_id</c> and, when
/// the report was run with it, <c>payment_metadata[reference]</c>. Stripe's default column set lacks
/// <c>source_id</c> and <c>payment_intent_id</c>: Obol needs them to match a row, so the report must be run with them.
/// </summary>
internal static class StripeSettlementReport
{
    private static readonly string[] Required =
        ["balance_transaction_id", "created_utc", "currency", "gross", "fee", "net", "reporting_category", "source_id", "payment_intent_id"];

    private static readonly string[] Optional = ["payment_metadata[reference]", "customer_facing_amount", "customer_facing_currency"];

    public static IReadOnlyList<SettlementLine> Parse(string csv)
    {
        var lines = new List<SettlementLine>();
        // Stripe's ids all start with a prefix (txn_, ch_, pi_, re_): no column of this report may hold a card number.
        foreach (var (number, v) in CsvTable.Read(csv, Required, Optional))
        {
            var (id, created, currencyText, grossText, feeText, netText, category, source, intent, reference) =
                (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
            var (customerAmountText, customerCurrencyText) = (v[10], v[11]);
            if (id.Length == 0)
            {
                throw ReconciliationProblems.InvalidSettlementReport(number, "'balance_transaction_id' is empty.");
            }

            if (!Currency.TryFromCode(currencyText.ToUpperInvariant(), out var currency))
            {
                throw ReconciliationProblems.InvalidSettlementReport(number, $"'{currencyText}' is not an ISO 4217 currency.");
            }

            var gross = Amount(number, "gross", grossText, currency);
            var fee = Amount(number, "fee", feeText, currency);
            var net = Amount(number, "net", netText, currency);
            if (checked(gross - fee) != net)
            {
                throw ReconciliationProblems.InvalidSettlementReport(number, $"net {net} is not gross {gross} less fee {fee} (minor units).");
            }

            if (!DateTime.TryParseExact(created, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            {
                throw ReconciliationProblems.InvalidSettlementReport(number, $"created_utc '{created}' is not a UTC time as 'yyyy-MM-dd HH:mm:ss'.");
            }

            // The balance is in the settlement currency; a charge in another currency shows what the customer paid as customer_facing_*.
            var customer = (currency.Code, gross);
            ConvertedSettlement? converted = null;
            if (customerCurrencyText.Length > 0 && !customerCurrencyText.Equals(currencyText, StringComparison.OrdinalIgnoreCase))
            {
                if (!Currency.TryFromCode(customerCurrencyText.ToUpperInvariant(), out var customerCurrency))
                {
                    throw ReconciliationProblems.InvalidSettlementReport(number, $"customer_facing_currency '{customerCurrencyText}' is not an ISO 4217 currency.");
                }

                var customerAmount = Amount(number, "customer_facing_amount", customerAmountText, customerCurrency);
                if (Math.Sign(customerAmount) != Math.Sign(gross))
                {
                    throw ReconciliationProblems.InvalidSettlementReport(number, $"customer_facing_amount {customerAmountText} and gross {grossText} go opposite ways.");
                }

                customer = (customerCurrency.Code, customerAmount);
                converted = new ConvertedSettlement(currency.Code, Math.Abs(gross));
            }

            var (kind, note) = (category, gross) switch
            {
                ("charge", > 0) => (SettlementLineKind.Capture, null),
                ("refund", < 0) => (SettlementLineKind.Refund, null),
                ("charge" or "refund", _) => (SettlementLineKind.Other, $"A {category} of {gross} has the wrong sign."),
                _ => (SettlementLineKind.Other, $"Rows of reporting category '{category}' are not booked automatically."),
            };
            lines.Add(new SettlementLine
            {
                LineNumber = number,
                LineId = id,
                Kind = kind,
                PaymentReference = Blank(intent),
                MovementReference = Blank(source),
                MerchantReference = Blank(reference),
                Gross = Math.Abs(customer.Item2),
                Fee = fee,
                Currency = customer.Item1,
                Converted = converted,
                OccurredAt = new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)),
                Note = note,
            });
        }

        return lines;
    }

    /// <summary>
    /// ISO minor units from a signed decimal in major units with Stripe's decimals for the currency (<c>12.34</c>, <c>-500</c> yen,
    /// <c>1000.00</c> krónur), exactly: an amount ISO 4217 cannot hold is refused, never rounded.
    /// </summary>
    private static long Amount(int number, string column, string text, Currency currency) =>
        StripeAmountRule.Instance.TryParseMajor(text, currency, out var minorUnits)
            ? minorUnits
            : throw ReconciliationProblems.InvalidSettlementReport(number, $"{column} '{text}' is not an amount in {currency.Code} major units as Stripe writes them.");

    private static string? Blank(string value) => value.Length == 0 ? null : value;
}
