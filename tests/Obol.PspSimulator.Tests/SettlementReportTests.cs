using Microsoft.Extensions.Time.Testing;
using Stripe;

namespace Obol.PspSimulator.Tests;

public sealed class SettlementReportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset Day = new(2026, 11, 25, 9, 30, 0, TimeSpan.Zero);

    private static async Task<string[][]> ReportAsync(SimulatorHost sim, string psp, string date = "2026-11-25")
    {
        var csv = await sim.Http.GetStringAsync($"sim/{psp}/settlements?date={date}", Ct);
        return csv.TrimEnd('\n').Split('\n').Select(line => line.Split(',')).ToArray();
    }

    [Fact]
    public async Task Stripe_report_is_the_itemized_balance_change_report_with_charges_and_refunds_in_major_units_with_fees()
    {
        var clock = new FakeTimeProvider(Day);
        await using var sim = await SimulatorHost.StartAsync(time: clock);
        var intent = await new PaymentIntentService(sim.StripeClient()).CreateAsync(new PaymentIntentCreateOptions
        {
            Amount = 10_000,
            Currency = "usd",
            PaymentMethod = "pm_card_visa",
            Confirm = true,
            Metadata = new Dictionary<string, string> { ["reference"] = "ord-s" },
        }, cancellationToken: Ct);
        await new RefundService(sim.StripeClient()).CreateAsync(new RefundCreateOptions { PaymentIntent = intent.Id, Amount = 2_500 }, cancellationToken: Ct);

        var rows = await ReportAsync(sim, "stripe");

        // balance_change_from_activity.itemized.3, run with the columns that tie a row to its payment, in Stripe's order.
        Assert.Equal(
            ["balance_transaction_id", "created_utc", "created", "available_on_utc", "available_on", "currency", "gross", "fee", "net",
             "reporting_category", "source_id", "description", "customer_facing_amount", "customer_facing_currency", "charge_id",
             "payment_intent_id", "charge_created_utc", "payment_method_type", "card_brand", "payment_metadata[reference]"],
            rows[0]);
        string Column(string[] row, string name) => row[Array.IndexOf(rows[0], name)];
        var charge = rows.Single(r => Column(r, "reporting_category") == "charge");
        var refund = rows.Single(r => Column(r, "reporting_category") == "refund");
        Assert.StartsWith("txn_", Column(charge, "balance_transaction_id"), StringComparison.Ordinal);
        Assert.Equal(["usd", "100.00", "3.20", "96.80"], [Column(charge, "currency"), Column(charge, "gross"), Column(charge, "fee"), Column(charge, "net")]);
        Assert.Equal(["2026-11-25 09:30:00", "2026-11-27 00:00:00"], [Column(charge, "created_utc"), Column(charge, "available_on_utc")]);
        Assert.Equal(("ord-s", intent.Id, intent.LatestChargeId), (Column(charge, "payment_metadata[reference]"), Column(charge, "payment_intent_id"), Column(charge, "source_id")));
        Assert.Equal(["-25.00", "0.00", "-25.00", "-25.00"], [Column(refund, "gross"), Column(refund, "fee"), Column(refund, "net"), Column(refund, "customer_facing_amount")]);
        Assert.StartsWith("re_", Column(refund, "source_id"), StringComparison.Ordinal);
        Assert.Equal(intent.Id, Column(refund, "payment_intent_id"));
        Assert.Single(await ReportAsync(sim, "stripe", "2026-11-24"));
    }

    [Fact]
    public async Task Adyen_report_has_the_standard_settlement_details_columns_in_adyens_order()
    {
        await using var sim = await SimulatorHost.StartAsync(time: new FakeTimeProvider(Day));
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", value: 1000, reference: "ord-a"));

        var rows = await ReportAsync(sim, "adyen");

        Assert.Equal(
            ["Company Account", "Merchant Account", "Psp Reference", "Merchant Reference", "Payment Method", "Creation Date", "TimeZone",
             "Type", "Modification Reference", "Gross Currency", "Gross Debit (GC)", "Gross Credit (GC)", "Exchange Rate", "Net Currency",
             "Net Debit (NC)", "Net Credit (NC)", "Commission (NC)", "Markup (NC)", "Scheme Fees (NC)", "Interchange (NC)",
             "Payment Method Variant", "Modification Merchant Reference", "Batch Number",
             "Reserved4", "Reserved5", "Reserved6", "Reserved7", "Reserved8", "Reserved9", "Reserved10"],
            rows[0]);
        var row = rows[1];
        Assert.Equal(30, row.Length);
        Assert.Equal(["visa", "2026-11-25 09:30:00", "UTC", "Settled"], row[4..8]);
        Assert.Equal(["EUR", "", "10.00", "1", "EUR", "", "9.41", "0.59", "", "", "", "visaclassic", ""], row[9..22]);
        Assert.Equal(DateOnly.FromDateTime(Day.UtcDateTime).DayNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), row[22]);
    }

    [Theory]
    [InlineData("USD", 12_345, "123.45", "3.88", "119.57")]
    [InlineData("JPY", 5_000, "5000", "175", "4825")]
    [InlineData("KWD", 10_005, "10.005", "0.320", "9.685")]
    [InlineData("IDR", 15_000, "15000", "465", "14535")] // no decimals at Adyen, two in ISO 4217
    [InlineData("CLP", 50_000, "500.00", "14.00", "486.00")] // two decimals at Adyen; the fee in whole pesos
    public async Task Adyen_report_formats_major_units_with_the_currency_decimals(string currency, long value, string gross, string commission, string net)
    {
        await using var sim = await SimulatorHost.StartAsync(time: new FakeTimeProvider(Day));
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", value: value, currency: currency, reference: "ord-a"));

        var rows = await ReportAsync(sim, "adyen");

        var header = rows[0];
        var row = rows[1];
        string Column(string name) => row[Array.IndexOf(header, name)];
        Assert.Equal("Settled", Column("Type"));
        Assert.Equal("ord-a", Column("Merchant Reference"));
        Assert.Equal("ObolMerchant", Column("Merchant Account"));
        Assert.Equal(currency, Column("Gross Currency"));
        Assert.Equal(gross, Column("Gross Credit (GC)"));
        Assert.Equal(string.Empty, Column("Gross Debit (GC)"));
        Assert.Equal(commission, Column("Commission (NC)"));
        Assert.Equal(net, Column("Net Credit (NC)"));
    }

    [Fact]
    public async Task Adyen_refund_row_is_a_debit_with_the_refund_requests_reference()
    {
        await using var sim = await SimulatorHost.StartAsync(time: new FakeTimeProvider(Day));
        var (_, payment) = await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", value: 1000));
        await AdyenDialectTests.PostAsync(sim, $"payments/{payment.GetProperty("pspReference").GetString()}/refunds",
            new { merchantAccount = "ObolMerchant", amount = new { value = 400, currency = "EUR" }, reference = "refund-1" });

        var rows = await ReportAsync(sim, "adyen");

        var header = rows[0];
        var refund = rows.Single(r => r[Array.IndexOf(header, "Type")] == "Refunded");
        Assert.Equal("4.00", refund[Array.IndexOf(header, "Gross Debit (GC)")]);
        Assert.Equal("4.00", refund[Array.IndexOf(header, "Net Debit (NC)")]);
        Assert.Equal("refund-1", refund[Array.IndexOf(header, "Modification Merchant Reference")]);
    }

    [Fact]
    public async Task A_capture_smaller_than_its_fee_nets_as_a_debit_at_adyen_and_negative_at_stripe()
    {
        await using var sim = await SimulatorHost.StartAsync(time: new FakeTimeProvider(Day));
        await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", value: 17));
        await new PaymentIntentService(sim.StripeClient()).CreateAsync(
            new PaymentIntentCreateOptions { Amount = 17, Currency = "usd", PaymentMethod = "pm_card_visa", Confirm = true }, cancellationToken: Ct);

        var adyen = await ReportAsync(sim, "adyen");
        var stripe = await ReportAsync(sim, "stripe");

        string Column(string[][] report, string name) => report[1][Array.IndexOf(report[0], name)];
        Assert.Equal(["0.17", "", "0.13", "0.30"],
            [Column(adyen, "Gross Credit (GC)"), Column(adyen, "Net Credit (NC)"), Column(adyen, "Net Debit (NC)"), Column(adyen, "Commission (NC)")]);
        Assert.Equal(["0.17", "0.30", "-0.13"], [Column(stripe, "gross"), Column(stripe, "fee"), Column(stripe, "net")]);
    }

    [Fact]
    public async Task Report_faults_drop_change_and_add_rows()
    {
        await using var sim = await SimulatorHost.StartAsync(time: new FakeTimeProvider(Day));
        for (var i = 0; i < 3; i++)
        {
            await AdyenDialectTests.PostAsync(sim, "payments", AdyenDialectTests.Payment("pm_card_visa", value: 1000, reference: $"ord-{i}"));
        }

        await sim.SetFaultsAsync(new { adyen = new { settlements = new { dropRowRate = 1.0, unknownRows = 2 } } });
        var dropped = await ReportAsync(sim, "adyen");
        await sim.SetFaultsAsync(new { adyen = new { settlements = new { changeAmountRate = 1.0 } } });
        var changed = await ReportAsync(sim, "adyen");

        var header = dropped[0];
        Assert.Equal(2, dropped.Length - 1);
        Assert.All(dropped[1..], r => Assert.StartsWith("unknown-", r[Array.IndexOf(header, "Merchant Reference")], StringComparison.Ordinal));
        Assert.All(changed[1..], r => Assert.Equal("10.01", r[Array.IndexOf(header, "Gross Credit (GC)")]));
    }

    [Fact]
    public async Task Bad_date_is_a_400()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var response = await sim.Http.GetAsync("sim/stripe/settlements?date=25-11-2026", Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(0, "USD", "0.00")]
    [InlineData(5, "USD", "0.05")]
    [InlineData(-1234, "USD", "-12.34")]
    [InlineData(1, "KWD", "0.001")]
    [InlineData(999, "JPY", "999")]
    [InlineData(long.MinValue, "USD", "-92233720368547758.08")]
    public void Major_units_are_formatted_from_integers(long minor, string currency, string expected)
    {
        Assert.Equal(expected, Currencies.FormatMajor(Psp.Stripe, minor, currency));
    }

    [Theory]
    [InlineData("stripe", 5_000, "JPY", "5000")]
    [InlineData("stripe", 1_230, "KWD", "1.230")]
    [InlineData("stripe", 100_000, "ISK", "1000.00")] // two decimals at Stripe, none in ISO 4217
    [InlineData("stripe", 150, "MGA", "150")] // none at Stripe, two in ISO 4217
    [InlineData("adyen", 150, "MGA", "1.50")]
    [InlineData("adyen", 15_000, "IDR", "15000")]
    [InlineData("adyen", 1_500, "CVE", "1500")]
    [InlineData("adyen", 50_000, "CLP", "500.00")]
    [InlineData("adyen", 100_000, "ISK", "1000.00")]
    public void Each_psp_formats_with_its_own_decimals(string psp, long amount, string currency, string expected)
    {
        Assert.True(PspNames.TryParse(psp, out var which));
        Assert.Equal(expected, Currencies.FormatMajor(which, amount, currency));
    }

    [Theory]
    [InlineData(1000, 59)]
    [InlineData(50, 31)]
    [InlineData(17, 30)]
    [InlineData(18, 31)]
    [InlineData(0, 0)]
    public void Fee_is_percentage_rounded_half_up_plus_fixed(long amount, long fee)
    {
        // 2.9% of 17 = 0.493 → 0; of 18 = 0.522 → 1; of 50 = 1.45 → 1.
        Assert.Equal(fee, new FeeRule().FeeFor(amount));
    }
}
