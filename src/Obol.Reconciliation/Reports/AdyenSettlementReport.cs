using System.Globalization;
using Obol.Core;
using Obol.Payments.Psp.Adyen;

namespace Obol.Reconciliation.Reports;

/// <summary>
/// Adyen's Settlement details report: one row per booking in a settlement batch. Columns are read by name, in any
/// order and among any others (the standard 30, from <c>Company Account</c> to <c>Reserved10</c>, plus whatever the
/// account added). Amounts are in major units, with Adyen's decimals for the currency, in separate debit and credit
/// columns, so a row's gross or net is a credit or a debit, never a negative number (a capture smaller than its costs has its net in <c>Net Debit (NC)</c>).
/// The costs Adyen kept are in the net currency: <c>Commission (NC)</c> under blended pricing, <c>Markup (NC)</c>,
/// <c>Scheme Fees (NC)</c> and <c>Interchange (NC)</c> under Interchange++; whichever of the four the report has, and
/// <c>net = gross − costs</c> is checked. <c>Creation Date</c> is in the report's <c>TimeZone</c>. Rows other than
/// <c>Settled</c> and <c>Refunded</c> (fees, payouts, chargebacks, balance transfers) are read only as far as needed to
/// show them.
/// </summary>
internal static class AdyenSettlementReport
{
    private static readonly string[] Required =
    [
        "Type", "Creation Date", "TimeZone", "Psp Reference", "Merchant Reference", "Modification Reference",
        "Gross Currency", "Gross Debit (GC)", "Gross Credit (GC)", "Net Currency", "Net Debit (NC)", "Net Credit (NC)",
    ];

    private static readonly string[] Costs = ["Commission (NC)", "Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)"];

    /// <summary>The abbreviations Adyen's reports use in the TimeZone column, as UTC offsets; IANA names work too.</summary>
    private static readonly Dictionary<string, TimeSpan> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        ["UTC"] = TimeSpan.Zero, ["GMT"] = TimeSpan.Zero, ["WET"] = TimeSpan.Zero, ["WEST"] = TimeSpan.FromHours(1),
        ["BST"] = TimeSpan.FromHours(1), ["CET"] = TimeSpan.FromHours(1), ["CEST"] = TimeSpan.FromHours(2),
        ["EET"] = TimeSpan.FromHours(2), ["EEST"] = TimeSpan.FromHours(3),
        ["EST"] = TimeSpan.FromHours(-5), ["EDT"] = TimeSpan.FromHours(-4), ["CST"] = TimeSpan.FromHours(-6), ["CDT"] = TimeSpan.FromHours(-5),
        ["MST"] = TimeSpan.FromHours(-7), ["MDT"] = TimeSpan.FromHours(-6), ["PST"] = TimeSpan.FromHours(-8), ["PDT"] = TimeSpan.FromHours(-7),
        ["SGT"] = TimeSpan.FromHours(8), ["HKT"] = TimeSpan.FromHours(8), ["JST"] = TimeSpan.FromHours(9),
        ["AEST"] = TimeSpan.FromHours(10), ["AEDT"] = TimeSpan.FromHours(11),
    };

    public static IReadOnlyList<SettlementLine> Parse(string csv)
    {
        var lines = new List<SettlementLine>();
        foreach (var (number, v) in CsvTable.Read(csv, Required, Costs, ["Psp Reference", "Modification Reference"], Payments.Psp.Adyen.AdyenPspReference.Shape()))
        {
            var (type, created, zone, pspReference, merchantReference, modification) = (v[0], v[1], v[2], v[3], v[4], v[5]);
            var (grossCurrencyText, grossDebit, grossCredit, netCurrencyText, netDebit, netCredit) = (v[6], v[7], v[8], v[9], v[10], v[11]);
            var at = Instant(number, created, zone);
            if (type is not ("Settled" or "Refunded"))
            {
                lines.Add(Other(number, type, at, modification, pspReference, merchantReference, netCurrencyText, netDebit, netCredit,
                    $"Rows of type '{type}' are not booked automatically."));
                continue;
            }

            if (pspReference.Length == 0 || modification.Length == 0)
            {
                throw ReconciliationProblems.InvalidSettlementReport(number, $"A {type} row needs 'Psp Reference' and 'Modification Reference'.");
            }

            var grossCurrency = CurrencyOf(number, "Gross Currency", grossCurrencyText);
            var netCurrency = CurrencyOf(number, "Net Currency", netCurrencyText);
            var gross = Signed(number, "Gross", grossCredit, grossDebit, grossCurrency);
            var net = Signed(number, "Net", netCredit, netDebit, netCurrency);
            var fee = 0L;
            for (var i = 0; i < Costs.Length; i++)
            {
                fee = checked(fee + Cost(number, Costs[i], v[Required.Length + i], netCurrency));
            }

            // Settled in another currency (the Exchange Rate column): net and costs are in the net currency, so the gross Adyen
            // paid out in it is net + costs.
            ConvertedSettlement? converted = null;
            if (grossCurrency != netCurrency)
            {
                var settledGross = checked(net + fee);
                if (settledGross != 0 && Math.Sign(settledGross) != Math.Sign(gross))
                {
                    throw ReconciliationProblems.InvalidSettlementReport(number, $"gross {gross} {grossCurrency.Code} and net plus costs {settledGross} {netCurrency.Code} go opposite ways.");
                }

                converted = new ConvertedSettlement(netCurrency.Code, Math.Abs(settledGross));
            }
            else if (checked(gross - fee) != net)
            {
                throw ReconciliationProblems.InvalidSettlementReport(number, $"net {net} is not gross {gross} less costs {fee} (minor units).");
            }

            var (kind, note) = (type, gross) switch
            {
                ("Settled", > 0) => (SettlementLineKind.Capture, null),
                ("Refunded", < 0) => (SettlementLineKind.Refund, null),
                _ => (SettlementLineKind.Other, $"A {type} row of {gross} has the wrong sign."),
            };
            lines.Add(new SettlementLine
            {
                LineNumber = number,
                LineId = LineId(modification, type, number, created),
                Kind = kind,
                PaymentReference = pspReference,
                MovementReference = modification,
                MerchantReference = merchantReference.Length == 0 ? null : merchantReference,
                Gross = Math.Abs(gross),
                Fee = fee,
                Currency = grossCurrency.Code,
                Converted = converted,
                OccurredAt = at,
                Note = note,
            });
        }

        return lines;
    }

    /// <summary>
    /// The row's id: its modification reference and type. A reference shaped like a card number is never stored as it
    /// is, so it goes into the id as its SHA-256, which identifies the row across reports just as well.
    /// </summary>
    private static string LineId(string modification, string type, int number, string created) =>
        modification.Length == 0 ? $"{type}@{created}#{number}"
        : Core.CardNumbers.CardNumberDetector.ContainsCardNumber(modification)
            ? "sha256-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(modification))) + ":" + type
            : modification + ":" + type;

    /// <summary>A row kept to be shown, not booked: its net amount when readable, else zero.</summary>
    private static SettlementLine Other(
        int number, string type, DateTimeOffset at, string modification, string pspReference, string merchantReference,
        string currencyText, string debit, string credit, string note)
    {
        var net = 0L;
        var code = "XXX"; // ISO 4217's "no currency"
        if (Currency.TryFromCode(currencyText, out var currency))
        {
            code = currency.Code;
            var text = credit.Length > 0 ? credit : debit;
            net = AdyenAmountRule.Instance.TryParseMajor(text, currency, out var minorUnits) ? minorUnits : 0;
        }

        return new SettlementLine
        {
            LineNumber = number,
            LineId = LineId(modification, type, number, at.ToString("O", CultureInfo.InvariantCulture)),
            Kind = SettlementLineKind.Other,
            PaymentReference = pspReference.Length == 0 ? null : pspReference,
            MovementReference = modification.Length == 0 ? null : modification,
            MerchantReference = merchantReference.Length == 0 ? null : merchantReference,
            Gross = net,
            Fee = 0,
            Currency = code,
            OccurredAt = at,
            Note = note,
        };
    }

    private static Currency CurrencyOf(int number, string column, string text) =>
        Currency.TryFromCode(text, out var currency)
            ? currency
            : throw ReconciliationProblems.InvalidSettlementReport(number, $"{column} '{text}' is not an ISO 4217 currency.");

    /// <summary>Credit minus debit; at most one of the two may be filled.</summary>
    private static long Signed(int number, string what, string credit, string debit, Currency currency) => (credit.Length, debit.Length) switch
    {
        (> 0, 0) => Amount(number, what + " Credit", credit, currency),
        (0, > 0) => checked(-Amount(number, what + " Debit", debit, currency)),
        (0, 0) => 0,
        _ => throw ReconciliationProblems.InvalidSettlementReport(number, $"{what} has both a debit and a credit."),
    };

    /// <summary>A debit or credit: an amount of zero or more.</summary>
    private static long Amount(int number, string column, string text, Currency currency)
    {
        var amount = Cost(number, column, text, currency);
        return amount >= 0
            ? amount
            : throw ReconciliationProblems.InvalidSettlementReport(number, $"{column} '{text}' is negative; Adyen reports money going the other way as a positive amount in the opposite column.");
    }

    /// <summary>
    /// A cost column: signed, since a cost can be given back (on a refund, say); empty is zero. Major units with Adyen's decimals
    /// for the currency, converted exactly to ISO minor units (an amount ISO 4217 cannot hold is refused, never rounded).
    /// </summary>
    private static long Cost(int number, string column, string text, Currency currency) =>
        text.Length == 0 ? 0
        : AdyenAmountRule.Instance.TryParseMajor(text, currency, out var minorUnits) ? minorUnits
        : throw ReconciliationProblems.InvalidSettlementReport(number, $"{column} '{text}' is not an amount in {currency.Code} major units as Adyen writes them.");

    private static DateTimeOffset Instant(int number, string created, string zone)
    {
        if (!DateTime.TryParseExact(created, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            throw ReconciliationProblems.InvalidSettlementReport(number, $"Creation Date '{created}' is not 'yyyy-MM-dd HH:mm:ss'.");
        }

        if (zone.Length == 0)
        {
            return new DateTimeOffset(local, TimeSpan.Zero);
        }

        if (Abbreviations.TryGetValue(zone, out var offset))
        {
            return new DateTimeOffset(local, offset);
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var timeZone))
        {
            throw ReconciliationProblems.InvalidSettlementReport(number, $"TimeZone '{zone}' is neither a time zone abbreviation Adyen uses nor an IANA zone.");
        }

        return new DateTimeOffset(local, timeZone.GetUtcOffset(local));
    }
}
