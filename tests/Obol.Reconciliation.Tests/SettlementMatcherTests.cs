using Obol.Payments.Settlements;
using Obol.Reconciliation.Matching;
using Obol.Reconciliation.Reports;

namespace Obol.Reconciliation.Tests;

public class SettlementMatcherTests
{
    private static readonly SettlementPayment Captured = new("pay_1", "mer_1", "stripe", "pi_1", "USD", "partially_refunded", 10_000,
        [new SettlementRefund("ref_1", "re_1", 2_500, "succeeded"), new SettlementRefund("ref_2", "re_2", 1_000, "processing")]);

    private static SettlementLine Capture(long gross = 10_000, string currency = "USD") => new()
    {
        LineNumber = 1, LineId = "txn_1", Kind = SettlementLineKind.Capture, PaymentReference = "pi_1", MovementReference = "ch_1",
        MerchantReference = "pay_1", Gross = gross, Fee = 320, Currency = currency, OccurredAt = DateTimeOffset.UnixEpoch,
    };

    private static SettlementLine Refund(string reference, long gross = 2_500) => Capture(gross) with
    {
        LineId = "txn_" + reference, Kind = SettlementLineKind.Refund, MovementReference = reference, Fee = 0,
    };

    [Fact]
    public void A_capture_and_a_refund_that_agree_with_obol_match()
    {
        Assert.Equal(LineOutcomes.Matched, SettlementMatcher.Match(Capture(), "stripe", Captured).Outcome);
        var refund = SettlementMatcher.Match(Refund("re_1"), "stripe", Captured);
        Assert.Equal((LineOutcomes.Matched, "ref_1"), (refund.Outcome, refund.Refund?.Id));
    }

    [Fact]
    public void The_payment_is_found_by_the_psp_reference_first_and_by_our_id_otherwise()
    {
        var other = Captured with { Id = "pay_2", PspReference = "pi_2" };
        Assert.Same(Captured, SettlementMatcher.PaymentFor(Capture(), "stripe", [other, Captured]));
        Assert.Same(other, SettlementMatcher.PaymentFor(Capture() with { PaymentReference = "pi_unknown", MerchantReference = "pay_2" }, "stripe", [Captured, other]));
        Assert.Null(SettlementMatcher.PaymentFor(Capture(), "adyen", [Captured with { Id = "pay_9" }]));
    }

    [Fact]
    public void Each_disagreement_is_its_own_discrepancy_code()
    {
        Assert.Equal(LineOutcomes.UnknownPayment, SettlementMatcher.Match(Capture(), "stripe", null).Outcome);
        Assert.Equal(LineOutcomes.PspMismatch, SettlementMatcher.Match(Capture(), "stripe", Captured with { Psp = "adyen" }).Outcome);
        Assert.Equal(LineOutcomes.CurrencyMismatch, SettlementMatcher.Match(Capture(currency: "EUR"), "stripe", Captured).Outcome);
        Assert.Equal(LineOutcomes.NotCapturedInObol, SettlementMatcher.Match(Capture(), "stripe", Captured with { Status = "processing" }).Outcome);
        Assert.Equal(LineOutcomes.UnknownRefund, SettlementMatcher.Match(Refund("re_9"), "stripe", Captured).Outcome);
        Assert.Equal(LineOutcomes.RefundNotSucceededInObol, SettlementMatcher.Match(Refund("re_2", 1_000), "stripe", Captured).Outcome);
        Assert.Equal(LineOutcomes.UnsupportedRow, SettlementMatcher.Match(Capture() with { Kind = SettlementLineKind.Other }, "stripe", Captured).Outcome);

        var capture = SettlementMatcher.Match(Capture(10_001), "stripe", Captured);
        Assert.Equal((LineOutcomes.AmountMismatch, 10_000L), (capture.Outcome, capture.ExpectedAmount));
        var refund = SettlementMatcher.Match(Refund("re_1", 2_499), "stripe", Captured);
        Assert.Equal((LineOutcomes.AmountMismatch, 2_500L), (refund.Outcome, refund.ExpectedAmount));
    }
}
