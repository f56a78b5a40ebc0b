using System.Globalization;
using Obol.Core.Errors;
using Obol.Reconciliation.Reports;

namespace Obol.Reconciliation.Tests;

public class SettlementReportParsingTests
{
    /// <summary>An itemized Stripe report run with a few of its documented columns, in Stripe's order.</summary>
    private const string StripeHeader =
        "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,description,payment_intent_id,payment_metadata[reference]\n";

    /// <summary>Adyen's Settlement details report: its 30 standard columns, in Adyen's order.</summary>
    private const string AdyenHeader =
        "Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,TimeZone,Type,Modification Reference," +
        "Gross Currency,Gross Debit (GC),Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Markup (NC)," +
        "Scheme Fees (NC),Interchange (NC),Payment Method Variant,Modification Merchant Reference,Batch Number," +
        "Reserved4,Reserved5,Reserved6,Reserved7,Reserved8,Reserved9,Reserved10\n";

    /// <summary>The seven reserved columns that end every row of Adyen's report.</summary>
    private const string Reserved = ",,,,,,,";

    private static string Sample(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", path));

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public void A_stripe_report_gives_captures_and_refunds_in_minor_units_with_positive_gross()
    {
        var lines = StripeSettlementReport.Parse(StripeHeader +
            "txn_1,2026-11-25 12:00:00,usd,100.00,3.20,96.80,charge,ch_1,\"Order 1, blue\",pi_1,pay_1\n" +
            "txn_2,2026-11-25 13:30:05,usd,-25.00,0.00,-25.00,refund,re_1,REFUND FOR CHARGE,pi_1,pay_1\n");

        Assert.Collection(lines,
            capture =>
            {
                Assert.Equal(SettlementLineKind.Capture, capture.Kind);
                Assert.Equal(("txn_1", "pi_1", "ch_1", "pay_1"), (capture.LineId, capture.PaymentReference, capture.MovementReference, capture.MerchantReference));
                Assert.Equal((10_000L, 320L, "USD"), (capture.Gross, capture.Fee, capture.Currency));
                Assert.Equal(Utc("2026-11-25T12:00:00Z"), capture.OccurredAt);
            },
            refund =>
            {
                Assert.Equal(SettlementLineKind.Refund, refund.Kind);
                Assert.Equal((2_500L, 0L, "re_1"), (refund.Gross, refund.Fee, refund.MovementReference));
            });
    }

    [Fact]
    public void A_stripe_row_paid_out_in_another_currency_keeps_what_the_customer_paid_and_what_was_paid_out()
    {
        var lines = StripeSettlementReport.Parse(
            "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,payment_intent_id,customer_facing_amount,customer_facing_currency\n" +
            "txn_1,2026-11-25 12:00:00,usd,65.87,2.21,63.66,charge,ch_1,pi_1,10000,jpy\n" +
            "txn_2,2026-11-25 13:00:00,usd,-26.35,0.00,-26.35,refund,re_1,pi_1,-4000,jpy\n" +
            "txn_3,2026-11-25 14:00:00,usd,10.00,0.59,9.41,charge,ch_2,pi_2,10.00,usd\n");

        Assert.Equal((10_000L, "JPY", 221L), (lines[0].Gross, lines[0].Currency, lines[0].Fee));
        Assert.Equal(new ConvertedSettlement("USD", 6_587), lines[0].Converted);
        Assert.Equal((SettlementLineKind.Refund, 4_000L, "JPY"), (lines[1].Kind, lines[1].Gross, lines[1].Currency));
        Assert.Equal(new ConvertedSettlement("USD", 2_635), lines[1].Converted);
        Assert.Null(lines[2].Converted);
        Assert.Throws<ProblemException>(() => StripeSettlementReport.Parse(
            "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,payment_intent_id,customer_facing_amount,customer_facing_currency\n" +
            "txn_1,2026-11-25 12:00:00,usd,65.87,2.21,63.66,charge,ch_1,pi_1,-10000,jpy\n"));
    }

    [Fact]
    public void An_adyen_row_settled_in_another_currency_has_its_net_and_costs_in_that_currency()
    {
        var lines = AdyenSettlementReport.Parse(AdyenHeader +
            "ObolCompany,ObolShop,8816000000000001,pay_1,visa,2026-11-25 12:00:00,UTC,Settled,8816000000000001,JPY,,10000,0.006587,USD,,63.66,2.21,,,,visaclassic,,1" + Reserved + "\n" +
            "ObolCompany,ObolShop,8816000000000001,pay_1,visa,2026-11-25 13:00:00,UTC,Refunded,8826000000000002,JPY,4000,,0.006587,USD,26.35,,,,,,visaclassic,,1" + Reserved + "\n");

        Assert.Equal((SettlementLineKind.Capture, 10_000L, "JPY", 221L), (lines[0].Kind, lines[0].Gross, lines[0].Currency, lines[0].Fee));
        Assert.Equal(new ConvertedSettlement("USD", 6_587), lines[0].Converted);
        Assert.Equal((SettlementLineKind.Refund, 4_000L), (lines[1].Kind, lines[1].Gross));
        Assert.Equal(new ConvertedSettlement("USD", 2_635), lines[1].Converted);
    }

    [Fact]
    public void Stripe_rows_obol_does_not_book_are_kept_as_other_with_the_reason()
    {
        var lines = StripeSettlementReport.Parse(StripeHeader + "txn_9,2026-11-25 18:00:00,usd,-500.00,0.00,-500.00,payout,po_1,STRIPE PAYOUT,,\n");

        var payout = Assert.Single(lines);
        Assert.Equal(SettlementLineKind.Other, payout.Kind);
        Assert.Contains("payout", payout.Note, StringComparison.Ordinal);
        Assert.Null(payout.PaymentReference);
    }

    [Fact]
    public void Stripes_itemized_balance_change_report_with_every_documented_column_is_read()
    {
        var lines = StripeSettlementReport.Parse(Sample("stripe/balance_change_from_activity.itemized.3.csv"));

        Assert.Equal(6, lines.Count);
        Assert.Equal((SettlementLineKind.Capture, 10_000L, 320L, "USD"), (lines[0].Kind, lines[0].Gross, lines[0].Fee, lines[0].Currency));
        Assert.Equal(("txn_3SampleA1", "pi_3SampleA1", "ch_3SampleA1", "pay_sample1"),
            (lines[0].LineId, lines[0].PaymentReference, lines[0].MovementReference, lines[0].MerchantReference));
        Assert.Equal(Utc("2026-11-25T10:22:31Z"), lines[0].OccurredAt);
        Assert.Equal((SettlementLineKind.Refund, 2_500L, 0L, "re_3SampleA2", "pi_3SampleA1"),
            (lines[1].Kind, lines[1].Gross, lines[1].Fee, lines[1].MovementReference, lines[1].PaymentReference));
        Assert.Equal((SettlementLineKind.Capture, 5_000L, 175L, "JPY"), (lines[2].Kind, lines[2].Gross, lines[2].Fee, lines[2].Currency));
        // A charge smaller than its fee: a negative net.
        Assert.Equal((SettlementLineKind.Capture, 17L, 30L), (lines[3].Kind, lines[3].Gross, lines[3].Fee));
        Assert.Equal((SettlementLineKind.Other, "dispute"), (lines[4].Kind, lines[4].Note?.Split('\'')[1]));
        Assert.Equal((SettlementLineKind.Other, "fee"), (lines[5].Kind, lines[5].Note?.Split('\'')[1]));
    }

    [Fact]
    public void Stripes_itemized_payout_reconciliation_report_is_read_by_its_utc_times()
    {
        var lines = StripeSettlementReport.Parse(Sample("stripe/payout_reconciliation.itemized.5.csv"));

        Assert.Equal(["txn_3SampleA1", "txn_3SampleA2", "txn_3SampleA4", "txn_3SampleA5"], lines.Select(l => l.LineId));
        Assert.Equal([SettlementLineKind.Capture, SettlementLineKind.Refund, SettlementLineKind.Capture, SettlementLineKind.Other], lines.Select(l => l.Kind));
        // Run with a time zone: `created` is local, `created_utc` is what Obol reads.
        Assert.Equal(Utc("2026-11-25T10:22:31Z"), lines[0].OccurredAt);
        Assert.Equal((10_000L, 320L, "pay_sample1"), (lines[0].Gross, lines[0].Fee, lines[0].MerchantReference));
    }

    [Fact]
    public void Stripes_default_columns_do_not_tie_a_row_to_a_payment_and_are_refused_naming_the_columns_to_add()
    {
        var problem = Assert.Throws<ProblemException>(() => StripeSettlementReport.Parse(Sample("stripe/balance_change_from_activity.itemized.3.default_columns.csv")));

        Assert.Equal((400, "invalid_settlement_report"), (problem.Status, problem.Code));
        Assert.Contains("'source_id', 'payment_intent_id'", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_adyen_report_reads_major_units_debit_and_credit_columns_and_commission()
    {
        var lines = AdyenSettlementReport.Parse(AdyenHeader +
            "Obol,ObolMerchantAccount,ABCDEF0123456789,pay_1,visa,2026-11-25 12:00:00,UTC,Settled,MODREF000000001,USD,,100.00,1,USD,,96.80,3.20,,,,visaclassic,,1" + Reserved + "\n" +
            "Obol,ObolMerchantAccount,ABCDEF0123456789,pay_1,visa,2026-11-25 14:00:00,UTC,Refunded,MODREF000000002,USD,25.00,,1,USD,25.00,,,,,,visaclassic,rfd_1,1" + Reserved + "\n" +
            "Obol,ObolMerchantAccount,JPYREF0123456789,pay_2,visa,2026-11-25 15:00:00,UTC,Settled,MODREF000000003,JPY,,5000,1,JPY,,4825,175,,,,visaclassic,,1" + Reserved + "\n");

        Assert.Equal((SettlementLineKind.Capture, 10_000L, 320L, "MODREF000000001:Settled"), (lines[0].Kind, lines[0].Gross, lines[0].Fee, lines[0].LineId));
        Assert.Equal((SettlementLineKind.Refund, 2_500L, 0L, "MODREF000000002"), (lines[1].Kind, lines[1].Gross, lines[1].Fee, lines[1].MovementReference));
        Assert.Equal(("ABCDEF0123456789", "pay_1"), (lines[1].PaymentReference, lines[1].MerchantReference));
        Assert.Equal((5_000L, 175L, "JPY"), (lines[2].Gross, lines[2].Fee, lines[2].Currency));
    }

    [Fact]
    public void Amounts_are_read_with_each_psps_decimals_into_iso_minor_units_and_an_inexact_one_refuses_the_report()
    {
        // Krónur keep two decimals at Stripe (none in ISO 4217); rupiah have none at Adyen (two in ISO 4217); dinars three at both.
        var stripe = StripeSettlementReport.Parse(StripeHeader +
            "txn_1,2026-11-25 12:00:00,isk,1000.00,29.00,971.00,charge,ch_1,,pi_1,pay_1\n" +
            "txn_2,2026-11-25 12:00:00,kwd,1.230,0.066,1.164,charge,ch_2,,pi_2,pay_2\n");
        Assert.Equal((1_000L, 29L, "ISK"), (stripe[0].Gross, stripe[0].Fee, stripe[0].Currency));
        Assert.Equal((1_230L, 66L), (stripe[1].Gross, stripe[1].Fee));
        var adyen = Assert.Single(AdyenSettlementReport.Parse(AdyenHeader +
            "Obol,ObolMerchantAccount,IDRREF0123456789,pay_3,visa,2026-11-25 12:00:00,UTC,Settled,MODREF000000003,IDR,,15000,1,IDR,,14535,465,,,,visaclassic,,1" + Reserved + "\n"));
        Assert.Equal((1_500_000L, 46_500L, "IDR"), (adyen.Gross, adyen.Fee, adyen.Currency));

        var halfKrona = Assert.Throws<ProblemException>(() => StripeSettlementReport.Parse(StripeHeader +
            "txn_1,2026-11-25 12:00:00,isk,1000.50,29.00,971.50,charge,ch_1,,pi_1,pay_1\n"));
        Assert.Equal("invalid_settlement_report", halfKrona.Code);
        Assert.Throws<ProblemException>(() => AdyenSettlementReport.Parse(AdyenHeader +
            "Obol,ObolMerchantAccount,IDRREF0123456789,pay_3,visa,2026-11-25 12:00:00,UTC,Settled,MODREF000000003,IDR,,15000.00,1,IDR,,14535.00,465.00,,,,visaclassic,,1" + Reserved + "\n"));
    }

    [Fact]
    public void An_adyen_row_settled_in_euros_for_dollars_is_a_capture_of_the_dollars_paid_out_in_euros()
    {
        var lines = AdyenSettlementReport.Parse(AdyenHeader +
            "Obol,ObolMerchantAccount,ABCDEF0123456789,pay_1,visa,2026-11-25 12:00:00,UTC,Settled,MODREF000000001,USD,,100.00,0.9,EUR,,87.00,3.00,,,,visaclassic,,1" + Reserved + "\n");

        var line = Assert.Single(lines);
        Assert.Equal((SettlementLineKind.Capture, 10_000L, "USD", 300L), (line.Kind, line.Gross, line.Currency, line.Fee));
        Assert.Equal(new ConvertedSettlement("EUR", 9_000), line.Converted);
    }

    [Fact]
    public void Stripes_itemized_balance_report_is_read_in_major_units_even_after_a_byte_order_mark()
    {
        var lines = StripeSettlementReport.Parse(
            "\uFEFFbalance_transaction_id,created_utc,created,currency,gross,fee,net,reporting_category,source_id,description,payment_intent_id,payment_metadata[reference]\n" +
            "txn_1,2026-11-25 12:00:00,2026-11-25 13:00:00,usd,100.00,3.20,96.80,charge,ch_1,Order,pi_1,pay_1\n" +
            "txn_2,2026-11-25 13:00:00,2026-11-25 14:00:00,jpy,-500,0,-500,refund,re_1,,pi_2,\n" +
            "txn_3,2026-11-25 18:00:00,2026-11-25 19:00:00,usd,-950.00,0.00,-950.00,payout,po_1,STRIPE PAYOUT,,\n");

        Assert.Equal((SettlementLineKind.Capture, 10_000L, 320L, "pi_1", "pay_1"), (lines[0].Kind, lines[0].Gross, lines[0].Fee, lines[0].PaymentReference, lines[0].MerchantReference));
        Assert.Equal((SettlementLineKind.Refund, 500L, "JPY", "re_1"), (lines[1].Kind, lines[1].Gross, lines[1].Currency, lines[1].MovementReference));
        Assert.Equal(SettlementLineKind.Other, lines[2].Kind);
    }

    [Fact]
    public void A_real_adyen_batch_with_fee_and_payout_rows_costs_in_four_columns_and_a_summer_time_zone_is_read()
    {
        var lines = AdyenSettlementReport.Parse(AdyenHeader +
            "Obol,ObolEU,QWERTY0123456789,pay_1,mc,2026-07-01 14:00:00,CEST,Settled,QWERTY0123456789,EUR,,5.00,1,EUR,,4.88,0.04,0.00,0.01,0.07,mccredit,,42" + Reserved + "\n" +
            "Obol,ObolEU,,,,2026-07-01 23:00:00,CEST,Fee,Transaction Fees July,,,,,EUR,1.20,,,,,,,,42" + Reserved + "\n" +
            "Obol,ObolEU,,,,2026-07-02 08:00:00,CEST,MerchantPayout,,,,,,EUR,3.68,,,,,,,,42" + Reserved + "\n");

        Assert.Equal(3, lines.Count);
        Assert.Equal((SettlementLineKind.Capture, 500L, 12L), (lines[0].Kind, lines[0].Gross, lines[0].Fee));
        Assert.Equal(Utc("2026-07-01T12:00:00Z"), lines[0].OccurredAt);
        Assert.All(lines.Skip(1), l => Assert.Equal(SettlementLineKind.Other, l.Kind));
        Assert.Equal(("EUR", 368L), (lines[2].Currency, lines[2].Gross));
        Assert.NotEqual(lines[1].LineId, lines[2].LineId);
    }

    [Fact]
    public void Adyens_settlement_details_report_with_blended_and_interchange_pricing_a_loss_a_chargeback_and_the_payout_is_read()
    {
        var lines = AdyenSettlementReport.Parse(Sample("adyen/settlement_detail_report_batch_42.csv"));

        Assert.Equal(7, lines.Count);
        Assert.All(lines, l => Assert.Equal("EUR", l.Currency));
        // Blended pricing: the costs in Commission (NC); Creation Date in CET.
        Assert.Equal((SettlementLineKind.Capture, 10_000L, 320L, "NC6HT9CRT65ZGN82", "pay_sample1"),
            (lines[0].Kind, lines[0].Gross, lines[0].Fee, lines[0].PaymentReference, lines[0].MerchantReference));
        Assert.Equal(Utc("2026-11-25T10:22:31Z"), lines[0].OccurredAt);
        // Interchange++: markup, scheme fees and interchange.
        Assert.Equal((SettlementLineKind.Capture, 500L, 12L, "ZXCVBN9876543210"), (lines[1].Kind, lines[1].Gross, lines[1].Fee, lines[1].MovementReference));
        Assert.Equal((SettlementLineKind.Refund, 2_500L, 0L, "RFND4567ABCD8901:Refunded"), (lines[2].Kind, lines[2].Gross, lines[2].Fee, lines[2].LineId));
        // A capture smaller than its costs: the net is a debit.
        Assert.Equal((SettlementLineKind.Capture, 17L, 30L), (lines[3].Kind, lines[3].Gross, lines[3].Fee));
        Assert.Equal([SettlementLineKind.Other, SettlementLineKind.Other, SettlementLineKind.Other], lines.Skip(4).Select(l => l.Kind));
        Assert.Equal([2_750L, 120L, 4_785L], lines.Skip(4).Select(l => l.Gross));
        Assert.Contains("'Chargeback'", lines[4].Note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_psp_reference_that_passes_the_luhn_check_is_read_but_a_card_number_in_any_other_field_refuses_the_report()
    {
        // Adyen's PSP references are 16 digits; this one passes the Luhn check, as one in ten does.
        const string reference = "8815131751004939";
        var row = $"Obol,ObolMerchantAccount,{reference},pay_1,visa,2026-11-25 12:00:00,UTC,Settled,{reference},USD,,100.00,1,USD,,96.80,3.20,,,,visaclassic,,1{Reserved}\n";

        Assert.Equal(reference, Assert.Single(AdyenSettlementReport.Parse(AdyenHeader + row)).PaymentReference);

        var problem = Assert.Throws<ProblemException>(() => AdyenSettlementReport.Parse(AdyenHeader + row.Replace("pay_1", "4242 4242 4242 4242", StringComparison.Ordinal)));
        Assert.Equal((400, "card_number_not_allowed"), (problem.Status, problem.Code));
        Assert.Contains("'Merchant Reference'", problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("4242", problem.Detail, StringComparison.Ordinal);

        // Only a bare 16-character reference is let through in the identifier columns; a card number written any other way is not.
        var spaced = Assert.Throws<ProblemException>(() => AdyenSettlementReport.Parse(AdyenHeader + row.Replace($",{reference},pay_1", ",4242 4242 4242 4242,pay_1", StringComparison.Ordinal)));
        Assert.Equal("card_number_not_allowed", spaced.Code);
        Assert.Throws<ProblemException>(() => StripeSettlementReport.Parse(StripeHeader + "4242424242424242,2026-11-25 12:00:00,usd,1.00,0.00,1.00,charge,ch_1,,pi_1,pay_1\n"));
        Assert.Throws<ProblemException>(() => StripeSettlementReport.Parse("balance_transaction_id,4242424242424242\ntxn_1,x\n"));
    }

    [Fact]
    public void A_psp_reference_shaped_like_a_card_number_goes_into_the_row_id_hashed_and_a_malformed_row_is_not_quoted_back()
    {
        const string reference = "8815131751004939";
        var row = $"Obol,ObolMerchantAccount,{reference},pay_1,visa,2026-11-25 12:00:00,UTC,Settled,{reference},USD,,100.00,1,USD,,96.80,3.20,,,,visaclassic,,1{Reserved}\n";

        var line = Assert.Single(AdyenSettlementReport.Parse(AdyenHeader + row));
        Assert.DoesNotContain(reference, line.LineId, StringComparison.Ordinal);
        Assert.Equal(line.LineId, Assert.Single(AdyenSettlementReport.Parse(AdyenHeader + row)).LineId);
        Assert.Equal("881513******4939", Obol.Core.CardNumbers.CardNumberDetector.Masked(line.PaymentReference));

        var problem = Assert.Throws<ProblemException>(() => StripeSettlementReport.Parse(StripeHeader + "txn_1,\"charge,4242424242424242\n"));
        Assert.DoesNotContain("4242", problem.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stripe", "balance_transaction_id,balance_transaction_id,gross\ntxn_1,txn_1,1.00\n", "header")]
    [InlineData("stripe", StripeHeader + "txn_1,2026-11-25 12:00:00,usd,92233720368547758.07,-92233720368547758.07,0.00,charge,ch_1,,pi_1,pay_1\n", "beyond")]
    [InlineData("stripe", "balance_transaction_id,reporting_category\ntxn_1,charge\n", "lacks the column")]
    [InlineData("stripe", "", "empty")]
    [InlineData("stripe", StripeHeader + "txn_1,2026-11-25 12:00:00,usd,100.00,3.20,90.00,charge,ch_1,,pi_1,pay_1\n", "Row 1: net 9000")]
    [InlineData("stripe", StripeHeader + "txn_1,2026-11-25 12:00:00,usd,100.005,0.00,100.005,charge,ch_1,,pi_1,pay_1\n", "major units")]
    [InlineData("stripe", StripeHeader + "txn_1,2026-11-25 12:00:00,xyz,100.00,0.00,100.00,charge,ch_1,,pi_1,pay_1\n", "ISO 4217")]
    [InlineData("stripe", StripeHeader + "txn_1,25/11/2026,usd,100.00,0.00,100.00,charge,ch_1,,pi_1,pay_1\n", "created_utc")]
    [InlineData("adyen", AdyenHeader + "Obol,M,REF,pay_1,visa,2026-11-25 12:00:00,UTC,Settled,MOD,USD,,100.001,1,USD,,100.001,,,,,visa,,1" + Reserved + "\n", "major units")]
    [InlineData("adyen", AdyenHeader + "Obol,M,REF,pay_1,visa,2026-11-25 12:00:00,UTC,Settled,MOD,USD,1.00,100.00,1,USD,,100.00,,,,,visa,,1" + Reserved + "\n", "both a debit and a credit")]
    [InlineData("adyen", AdyenHeader + "Obol,M,REF,pay_1,visa,2026-11-25 12:00:00,Mars/Olympus,Settled,MOD,USD,,100.00,1,USD,,100.00,,,,,visa,,1" + Reserved + "\n", "time zone")]
    [InlineData("adyen", AdyenHeader + "Obol,M,REF,pay_1,visa,2026-11-25 12:00:00,UTC,Settled,MOD,USD,,0.17,1,USD,,-0.13,0.30,,,,visa,,1" + Reserved + "\n", "Net Credit '-0.13' is negative")]
    [InlineData("adyen", AdyenHeader + "Obol,M,REF,pay_1,visa,2026-11-25 12:00:00,UTC,Settled,MOD,USD,,5.00,1,USD,,4.88,,0.04,0.01,0.06,visa,,1" + Reserved + "\n", "Row 1: net 488 is not gross 500 less costs 11")]
    public void A_report_that_cannot_be_read_is_refused_as_a_whole(string psp, string csv, string why)
    {
        var problem = Assert.Throws<ProblemException>(() => SettlementReports.Parse(psp, csv));

        Assert.Equal((400, "invalid_settlement_report"), (problem.Status, problem.Code));
        Assert.Contains(why, problem.Detail, StringComparison.Ordinal);
    }
}
