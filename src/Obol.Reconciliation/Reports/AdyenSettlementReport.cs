using System.Globalization;
using Obol.Core;

namespace Obol.Reconciliation.Reports;

/// <summary>
/// Adyen's settlement details report: one row per booking in a settlement batch, amounts in major units in
/// separate debit and credit columns, the commission (and markup) Adyen kept in the net currency, and the creation
/// date in the report's time zone.
/// </summary>
public static class AdyenSettlementReport
{
    private static readonly string[] Columns =
    [
        "Psp Reference", "Merchant Reference", "Creation Date", "TimeZone", "Type", "Modification Reference",
        "Gross Currency", "Gross Debit (GC)", "Gross Credit (GC)", "Net Currency", "Net Debit (NC)", "Net Credit (NC)",
        "Commission (NC)", "Markup (NC)",
    ];

    public static IReadOnlyList<SettlementLine> Parse(string csv)
    {
        var lines = new List<SettlementLine>();
        foreach (var (number, v) in CsvTable.Read(csv, Columns))
        {
            var (pspReference, merchantReference, created, zone, type, modification) = (v[0], v[1], v[2], v[3], v[4], v[5]);
            var (grossCurrencyText, grossDebit, grossCredit, netCurrencyText, netDebit, netCredit, commission, markup) =
                (v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13]);
            if (pspReference.Length == 0 || modification.Length == 0)
            {
                throw SettlementReportProblems.Invalid(number, "'Psp Reference' and 'Modification Reference' are required.");
            }

            var grossCurrency = CurrencyOf(number, "Gross Currency", grossCurrencyText);
            var netCurrency = CurrencyOf(number, "Net Currency", netCurrencyText);
            var gross = Signed(number, "Gross", grossCredit, grossDebit, grossCurrency);
            var net = Signed(number, "Net", netCredit, netDebit, netCurrency);
            var fee = checked(Amount(number, "Commission (NC)", commission, netCurrency) + Amount(number, "Markup (NC)", markup, netCurrency));
            var at = Instant(number, created, zone);

            var (kind, note) = (type, gross) switch
            {
                _ when grossCurrency != netCurrency => (SettlementLineKind.Other, $"Settled in {netCurrency.Code} for {grossCurrency.Code}: converted amounts are not booked automatically."),
                ("Settled", > 0) => (SettlementLineKind.Capture, null),
                ("Refunded", < 0) => (SettlementLineKind.Refund, null),
                ("Settled" or "Refunded", _) => (SettlementLineKind.Other, $"A {type} row of {gross} has the wrong sign."),
                _ => (SettlementLineKind.Other, $"Rows of type '{type}' are not booked automatically."),
            };
            if (kind != SettlementLineKind.Other && checked(gross - fee) != net)
            {
                throw SettlementReportProblems.Invalid(number, $"net {net} is not gross {gross} less commission {fee}.");
            }

            lines.Add(new SettlementLine
            {
                LineNumber = number,
                LineId = modification + ":" + type,
                Kind = kind,
                PaymentReference = pspReference,
                MovementReference = modification,
                MerchantReference = merchantReference.Length == 0 ? null : merchantReference,
                Gross = Math.Abs(gross),
                Fee = fee,
                Currency = grossCurrency.Code,
                OccurredAt = at,
                Note = note,
            });
        }

        return lines;
    }

    private static Currency CurrencyOf(int number, string column, string text) =>
        Currency.TryFromCode(text, out var currency)
            ? currency
            : throw SettlementReportProblems.Invalid(number, $"{column} '{text}' is not an ISO 4217 currency.");

    /// <summary>Credit minus debit; exactly one of the two may be filled.</summary>
    private static long Signed(int number, string what, string credit, string debit, Currency currency) => (credit.Length, debit.Length) switch
    {
        (> 0, 0) => Amount(number, what + " Credit", credit, currency),
        (0, > 0) => checked(-Amount(number, what + " Debit", debit, currency)),
        (0, 0) => 0,
        _ => throw SettlementReportProblems.Invalid(number, $"{what} has both a debit and a credit."),
    };

    private static long Amount(int number, string column, string text, Currency currency)
    {
        if (text.Length == 0)
        {
            return 0;
        }

        return Money.TryParse(text, currency, out var money) && money.MinorUnits >= 0
            ? money.MinorUnits
            : throw SettlementReportProblems.Invalid(number, $"{column} '{text}' is not a non-negative amount in {currency.Code} major units.");
    }

    private static DateTimeOffset Instant(int number, string created, string zone)
    {
        if (!DateTime.TryParseExact(created, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            throw SettlementReportProblems.Invalid(number, $"Creation Date '{created}' is not 'yyyy-MM-dd HH:mm:ss'.");
        }

        if (zone is "UTC" or "GMT" or "")
        {
            return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), TimeSpan.Zero);
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var timeZone))
        {
            throw SettlementReportProblems.Invalid(number, $"TimeZone '{zone}' is not a known time zone.");
        }

        return new DateTimeOffset(local, timeZone.GetUtcOffset(local));
    }
}
