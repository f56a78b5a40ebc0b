using CsCheck;
using Obol.Core.Errors;
using Obol.Payments.Domain;
using Obol.Payments.Processing;
using Obol.Payments.Psp;

namespace Obol.Payments.Tests;

/// <summary>The payment decisions without a database: values in, a decision out.</summary>
public class PaymentRulesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset RetryAt = Now.AddSeconds(2);

    private static readonly PspOutcomeKind[] Kinds = Enum.GetValues<PspOutcomeKind>();
    private static readonly PaymentStatus[] Statuses = Enum.GetValues<PaymentStatus>();

    private static readonly string[] NotProcessedCodes = ["psp_circuit_open", "psp_unreachable", "psp_rate_limited", "psp_authentication_failed"];

    private static Payment PaymentIn(PaymentStatus status, long amount = 5_000, CaptureMethod captureMethod = CaptureMethod.Automatic) => Payment.Restored(new Payment
    {
        Id = "pay_1",
        MerchantId = "mer_1",
        Amount = amount,
        Currency = "USD",
        CaptureMethod = captureMethod,
        PaymentMethod = "pm_card_visa",
        Metadata = new Dictionary<string, string>(),
        Psp = "stripe",
        PspReference = "pi_1",
        CreatedAt = Now,
        UpdatedAt = Now,
    }, status);

    private static PaymentAttempt Attempt(PaymentOperation operation, AttemptStatus status, long amount = 5_000, string id = "att_1", string? refundId = null) => new()
    {
        Id = id,
        PaymentId = "pay_1",
        MerchantId = "mer_1",
        Operation = operation,
        Psp = "stripe",
        Amount = amount,
        RefundId = refundId,
        Status = status,
        StartedAt = Now.AddMinutes(-1),
    };

    private static Refund RefundOf(long amount, RefundStatus status) => new()
    {
        Id = "re_1",
        PaymentId = "pay_1",
        MerchantId = "mer_1",
        Amount = amount,
        Currency = "USD",
        Status = status,
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    private static PspOutcome Outcome(PspOutcomeKind kind, string? code = null) => new(kind, "pi_1", code, code is null ? null : "message");

    [Fact]
    public void A_status_changes_only_as_the_transition_table_allows()
    {
        foreach (var from in Statuses)
        {
            foreach (var to in Statuses)
            {
                var payment = PaymentIn(from);
                if (PaymentTransitions.CanMove(from, to))
                {
                    Assert.Equal(to, payment.MoveTo(to).Status);
                }
                else
                {
                    Assert.Equal("invalid_state_transition", Assert.Throws<ProblemException>(() => payment.MoveTo(to)).Code);
                }
            }
        }

        Assert.False(PaymentTransitions.CanMove(PaymentStatus.Cancelled, PaymentStatus.Captured));
        Assert.True(PaymentTransitions.CanMove(PaymentStatus.Failed, PaymentStatus.Captured));
    }

    [Fact]
    public void Not_processed_on_a_repeated_request_keeps_an_authorization_unknown_and_never_fails_over()
    {
        foreach (var code in NotProcessedCodes)
        {
            var decision = PaymentRules.Authorization(PaymentIn(PaymentStatus.Processing), Attempt(PaymentOperation.Authorize, AttemptStatus.Unknown),
                PspOutcome.NotProcessed(code, "this try did not reach the PSP"), AttemptCall.Repeat, ["adyen"], Now, RetryAt);

            Assert.Null(decision.FailoverTo);
            Assert.Null(decision.Payment);
            Assert.Equal(AttemptStatus.Unknown, decision.Attempt!.Status);
            Assert.Equal(RetryAt, decision.Attempt.ResolveAfter);
            Assert.Equal(code, decision.Attempt.ErrorCode);
        }
    }

    [Fact]
    public void Not_processed_on_a_first_send_fails_over_to_the_next_untried_psp_or_else_fails_the_payment()
    {
        var attempt = Attempt(PaymentOperation.Authorize, AttemptStatus.Started);

        var failover = PaymentRules.Authorization(PaymentIn(PaymentStatus.Pending), attempt, PspOutcome.NotProcessed("psp_circuit_open", "open"),
            AttemptCall.First, ["adyen", "other"], Now, RetryAt);
        Assert.Equal("adyen", failover.FailoverTo);
        Assert.Equal(AttemptStatus.NotProcessed, failover.Attempt!.Status);
        Assert.Null(failover.Payment);
        Assert.Equal("payment.failed_over", failover.History!.Type);

        var failed = PaymentRules.Authorization(PaymentIn(PaymentStatus.Pending), attempt, PspOutcome.NotProcessed("psp_unreachable", "refused"),
            AttemptCall.First, [], Now, RetryAt);
        Assert.Null(failed.FailoverTo);
        Assert.Equal(PaymentStatus.Failed, failed.Payment!.Status);
        Assert.Equal("psp_unreachable", failed.Payment.LastError!.Code);
    }

    [Fact]
    public void Not_processed_on_a_repeated_capture_cancel_or_refund_keeps_it_open()
    {
        foreach (var operation in new[] { PaymentOperation.Capture, PaymentOperation.Cancel })
        {
            var decision = PaymentRules.Modification(PaymentIn(PaymentStatus.Processing, captureMethod: CaptureMethod.Manual), Attempt(operation, AttemptStatus.Unknown),
                null, PspOutcome.NotProcessed("psp_circuit_open", "open"), AttemptCall.Repeat, Now, RetryAt);
            Assert.Equal(AttemptStatus.Unknown, decision.Attempt!.Status);
            Assert.Null(decision.Payment);
        }

        var captured = PaymentIn(PaymentStatus.Captured) with { AmountCaptured = 5_000, AmountRefunding = 1_000 };
        var refund = PaymentRules.Modification(captured, Attempt(PaymentOperation.Refund, AttemptStatus.Unknown, 1_000, refundId: "re_1"),
            RefundOf(1_000, RefundStatus.Processing), PspOutcome.NotProcessed("psp_unreachable", "refused"), AttemptCall.Repeat, Now, RetryAt);
        Assert.Equal(AttemptStatus.Unknown, refund.Attempt!.Status);
        Assert.Equal(RefundStatus.Processing, refund.Refund!.Status);
        Assert.Null(refund.Payment);
    }

    [Fact]
    public void Every_authorization_outcome_moves_the_payment_only_as_the_table_allows_and_books_what_it_says()
    {
        Gen.Select(Gen.OneOfConst(Kinds), Gen.Bool, Gen.Long[1, 1_000_000_000], Gen.Bool, Gen.OneOfConst(PaymentStatus.Pending, PaymentStatus.Processing))
            .Sample((kind, first, amount, manual, status) =>
            {
                var payment = PaymentIn(status, amount, manual ? CaptureMethod.Manual : CaptureMethod.Automatic);
                var call = first ? AttemptCall.First : AttemptCall.Repeat;
                var decision = PaymentRules.Authorization(payment, Attempt(PaymentOperation.Authorize, first ? AttemptStatus.Started : AttemptStatus.Unknown, amount),
                    Outcome(kind, "code"), call, ["adyen"], Now, RetryAt);

                var effective = kind == PspOutcomeKind.NotProcessed && !first ? PspOutcomeKind.Unknown : kind;
                var after = decision.Payment ?? payment;
                Assert.True(PaymentTransitions.CanMove(payment.Status, after.Status));
                Assert.Equal(effective is PspOutcomeKind.Pending or PspOutcomeKind.Unknown, decision.Attempt!.IsOpen);
                Assert.Equal(effective == PspOutcomeKind.NotProcessed, decision.FailoverTo is not null);
                Assert.Equal(effective == PspOutcomeKind.Authorized, decision.Posting is Posting.HoldAuthorization);
                Assert.Equal(effective == PspOutcomeKind.Succeeded, decision.Posting is Posting.Capture { Amount: var captured } && captured == amount);
                Assert.Equal(effective == PspOutcomeKind.Succeeded ? amount : 0, after.AmountCaptured);
                Assert.Equal(effective == PspOutcomeKind.Authorized ? amount : 0, after.AmountCapturable);
                var expected = effective switch
                {
                    PspOutcomeKind.Authorized => PaymentStatus.Authorized,
                    PspOutcomeKind.Succeeded => PaymentStatus.Captured,
                    PspOutcomeKind.Declined => PaymentStatus.Declined,
                    PspOutcomeKind.Failed => PaymentStatus.Failed,
                    PspOutcomeKind.NotProcessed => payment.Status,
                    _ => PaymentStatus.Processing,
                };
                Assert.Equal(expected, after.Status);
            });
    }

    [Fact]
    public void Refund_outcomes_keep_refunded_plus_refunding_within_what_was_captured()
    {
        Gen.Select(Gen.Long[1, 1_000_000], Gen.Long[0, 100], Gen.Long[0, 100], Gen.OneOfConst(Kinds), Gen.Bool)
            .Sample((captured, refundedShare, refundShare, kind, first) =>
            {
                var refunded = captured * refundedShare / 200;
                var amount = Math.Max(1, (captured - refunded) * refundShare / 100);
                var payment = PaymentIn(refunded == 0 ? PaymentStatus.Captured : PaymentStatus.PartiallyRefunded, captured) with
                {
                    AmountCaptured = captured, AmountRefunded = refunded, AmountRefunding = amount,
                };
                var decision = PaymentRules.Modification(payment, Attempt(PaymentOperation.Refund, first ? AttemptStatus.Started : AttemptStatus.Unknown, amount, refundId: "re_1"),
                    RefundOf(amount, RefundStatus.Pending), Outcome(kind, "code"), first ? AttemptCall.First : AttemptCall.Repeat, Now, RetryAt);

                var after = decision.Payment ?? payment;
                Assert.True(after.AmountRefunded + after.AmountRefunding <= after.AmountCaptured);
                Assert.True(after.AmountRefunded >= 0 && after.AmountRefunding >= 0);
                Assert.True(PaymentTransitions.CanMove(payment.Status, after.Status));
                var effective = kind == PspOutcomeKind.NotProcessed && !first ? PspOutcomeKind.Unknown : kind;
                switch (effective)
                {
                    case PspOutcomeKind.Succeeded:
                        Assert.Equal((refunded + amount, 0L), (after.AmountRefunded, after.AmountRefunding));
                        Assert.Equal(RefundStatus.Succeeded, decision.Refund!.Status);
                        Assert.IsType<Posting.Refund>(decision.Posting);
                        Assert.Equal(refunded + amount == captured ? PaymentStatus.Refunded : PaymentStatus.PartiallyRefunded, after.Status);
                        break;
                    case PspOutcomeKind.Pending or PspOutcomeKind.Unknown:
                        Assert.Equal((refunded, amount), (after.AmountRefunded, after.AmountRefunding));
                        Assert.Equal(RefundStatus.Processing, decision.Refund!.Status);
                        Assert.Null(decision.Posting);
                        break;
                    default:
                        Assert.Equal((refunded, 0L), (after.AmountRefunded, after.AmountRefunding));
                        Assert.Equal(RefundStatus.Failed, decision.Refund!.Status);
                        Assert.Null(decision.Posting);
                        break;
                }
            });
    }

    [Fact]
    public void A_failed_capture_or_cancel_puts_the_payment_back_to_authorized_and_a_successful_one_books_it()
    {
        var processing = PaymentIn(PaymentStatus.Processing, captureMethod: CaptureMethod.Manual) with
        {
            AmountCapturable = 5_000, OperationInFlight = PaymentOperation.Capture,
        };
        var failed = PaymentRules.Modification(processing, Attempt(PaymentOperation.Capture, AttemptStatus.Unknown, 4_000), null,
            Outcome(PspOutcomeKind.Failed, "psp_error"), AttemptCall.Repeat, Now, RetryAt);
        Assert.Equal((PaymentStatus.Authorized, (PaymentOperation?)null), (failed.Payment!.Status, failed.Payment.OperationInFlight));
        Assert.Equal("payment.capture_failed", failed.History!.Type);

        var captured = PaymentRules.Modification(processing, Attempt(PaymentOperation.Capture, AttemptStatus.Unknown, 4_000), null,
            Outcome(PspOutcomeKind.Succeeded), AttemptCall.Repeat, Now, RetryAt);
        Assert.Equal((PaymentStatus.Captured, 4_000L, 0L), (captured.Payment!.Status, captured.Payment.AmountCaptured, captured.Payment.AmountCapturable));
        Assert.Equal(new Posting.Capture(4_000), captured.Posting);

        var cancelled = PaymentRules.Modification(processing with { OperationInFlight = PaymentOperation.Cancel }, Attempt(PaymentOperation.Cancel, AttemptStatus.Started),
            null, Outcome(PspOutcomeKind.Succeeded), AttemptCall.First, Now, RetryAt);
        Assert.Equal(PaymentStatus.Cancelled, cancelled.Payment!.Status);
        Assert.IsType<Posting.Release>(cancelled.Posting);
    }

    [Fact]
    public void A_report_that_agrees_with_a_closed_attempt_changes_nothing()
    {
        var captured = PaymentIn(PaymentStatus.Captured) with { AmountCaptured = 5_000 };
        var succeeded = Attempt(PaymentOperation.Authorize, AttemptStatus.Succeeded);
        Assert.Same(PaymentDecision.Nothing, PaymentRules.Report(captured, succeeded, [succeeded], null, Outcome(PspOutcomeKind.Succeeded), 5_000, "USD", Now, RetryAt));

        var declined = Attempt(PaymentOperation.Authorize, AttemptStatus.Declined);
        Assert.Same(PaymentDecision.Nothing, PaymentRules.Report(PaymentIn(PaymentStatus.Declined), declined, [declined], null,
            Outcome(PspOutcomeKind.Declined, "card_declined"), 5_000, "USD", Now, RetryAt));

        // News that something is under way settles nothing about an attempt that is already closed.
        Assert.Same(PaymentDecision.Nothing, PaymentRules.Report(captured, succeeded, [succeeded], null, Outcome(PspOutcomeKind.Pending), 5_000, "USD", Now, RetryAt));
    }

    [Fact]
    public void A_psps_late_word_that_it_charged_an_attempt_obol_closed_is_applied_when_no_other_attempt_took_money()
    {
        var notProcessed = Attempt(PaymentOperation.Authorize, AttemptStatus.NotProcessed);
        var failed = PaymentIn(PaymentStatus.Failed) with { LastError = new PaymentError("psp_unavailable", "down") };

        var applied = PaymentRules.Report(failed, notProcessed, [notProcessed], null, Outcome(PspOutcomeKind.Succeeded), 5_000, "USD", Now, RetryAt);
        Assert.False(applied.Unapplied);
        Assert.Equal((PaymentStatus.Captured, 5_000L, (PaymentError?)null), (applied.Payment!.Status, applied.Payment.AmountCaptured, applied.Payment.LastError));
        Assert.Equal(AttemptStatus.Succeeded, applied.Attempt!.Status);
        Assert.Equal(new Posting.Capture(5_000), applied.Posting);
        Assert.Equal((PaymentStatus.Failed, PaymentStatus.Captured), (applied.History!.From, applied.History.To));

        // Another PSP took the money meanwhile: both cannot be recorded on one payment, so a person decides.
        var other = Attempt(PaymentOperation.Authorize, AttemptStatus.Succeeded, id: "att_2") with { Psp = "adyen" };
        var capturedElsewhere = PaymentIn(PaymentStatus.Captured) with { Psp = "adyen", AmountCaptured = 5_000 };
        var unapplied = PaymentRules.Report(capturedElsewhere, notProcessed, [notProcessed, other], null, Outcome(PspOutcomeKind.Succeeded), 5_000, "USD", Now, RetryAt);
        Assert.True(unapplied.Unapplied);
        Assert.Null(unapplied.Payment);
        Assert.Null(unapplied.Posting);
    }

    [Fact]
    public void A_late_capture_cancel_or_refund_success_is_applied_only_while_the_payment_can_take_it()
    {
        var authorized = PaymentIn(PaymentStatus.Authorized, captureMethod: CaptureMethod.Manual) with { AmountCapturable = 5_000 };
        var failedCapture = Attempt(PaymentOperation.Capture, AttemptStatus.Failed, 3_000, id: "att_2");
        var capture = PaymentRules.Report(authorized, failedCapture, [failedCapture], null, Outcome(PspOutcomeKind.Succeeded), 3_000, "USD", Now, RetryAt);
        Assert.Equal((PaymentStatus.Captured, 3_000L), (capture.Payment!.Status, capture.Payment.AmountCaptured));

        var cancelled = PaymentIn(PaymentStatus.Cancelled, captureMethod: CaptureMethod.Manual);
        Assert.True(PaymentRules.Report(cancelled, failedCapture, [failedCapture], null, Outcome(PspOutcomeKind.Succeeded), 3_000, "USD", Now, RetryAt).Unapplied);

        var failedRefund = Attempt(PaymentOperation.Refund, AttemptStatus.Failed, 1_000, id: "att_3", refundId: "re_1");
        var captured = PaymentIn(PaymentStatus.Captured) with { AmountCaptured = 5_000 };
        var refund = PaymentRules.Report(captured, failedRefund, [failedRefund], RefundOf(1_000, RefundStatus.Failed), Outcome(PspOutcomeKind.Succeeded), 1_000, "USD", Now, RetryAt);
        Assert.Equal((PaymentStatus.PartiallyRefunded, 1_000L, 0L), (refund.Payment!.Status, refund.Payment.AmountRefunded, refund.Payment.AmountRefunding));
        Assert.Equal(RefundStatus.Succeeded, refund.Refund!.Status);

        var refundedElsewise = captured with { AmountRefunded = 4_500 };
        Assert.True(PaymentRules.Report(refundedElsewise.MoveTo(PaymentStatus.PartiallyRefunded), failedRefund, [failedRefund], RefundOf(1_000, RefundStatus.Failed),
            Outcome(PspOutcomeKind.Succeeded), 1_000, "USD", Now, RetryAt).Unapplied);
    }

    [Fact]
    public void A_failure_reported_for_an_acknowledged_capture_or_refund_reverses_it_only_for_its_own_amount_and_currency()
    {
        var captured = PaymentIn(PaymentStatus.Captured, captureMethod: CaptureMethod.Manual) with { AmountCaptured = 5_000 };
        var capture = Attempt(PaymentOperation.Capture, AttemptStatus.Succeeded, 5_000, id: "att_2");
        var reversed = PaymentRules.Report(captured, capture, [capture], null, Outcome(PspOutcomeKind.Failed, "psp_error"), 5_000, "USD", Now, RetryAt);
        Assert.Equal((PaymentStatus.Failed, 0L, "capture_failed"), (reversed.Payment!.Status, reversed.Payment.AmountCaptured, reversed.Payment.LastError!.Code));
        Assert.Equal(new Posting.Reverse(capture, "Capture failed at the PSP"), reversed.Posting);

        Assert.True(PaymentRules.Report(captured, capture, [capture], null, Outcome(PspOutcomeKind.Failed, "psp_error"), 4_000, "USD", Now, RetryAt).Unapplied);
        Assert.True(PaymentRules.Report(captured, capture, [capture], null, Outcome(PspOutcomeKind.Failed, "psp_error"), 5_000, "EUR", Now, RetryAt).Unapplied);
        var refundOpen = Attempt(PaymentOperation.Refund, AttemptStatus.Unknown, 100, id: "att_3", refundId: "re_1");
        Assert.True(PaymentRules.Report(captured, capture, [capture, refundOpen], null, Outcome(PspOutcomeKind.Failed, "psp_error"), 5_000, "USD", Now, RetryAt).Unapplied);

        var refunded = (captured with { AmountRefunded = 1_000 }).MoveTo(PaymentStatus.PartiallyRefunded);
        var refundAttempt = Attempt(PaymentOperation.Refund, AttemptStatus.Succeeded, 1_000, id: "att_4", refundId: "re_1");
        var undone = PaymentRules.Report(refunded, refundAttempt, [capture, refundAttempt], RefundOf(1_000, RefundStatus.Succeeded),
            Outcome(PspOutcomeKind.Failed, "psp_error"), 1_000, "USD", Now, RetryAt);
        Assert.Equal((PaymentStatus.Captured, 0L), (undone.Payment!.Status, undone.Payment.AmountRefunded));
        Assert.Equal(RefundStatus.Failed, undone.Refund!.Status);
        Assert.IsType<Posting.Reverse>(undone.Posting);
    }

    [Fact]
    public void A_refund_takes_at_most_what_is_refundable_and_a_capture_at_most_what_is_capturable()
    {
        Gen.Select(Gen.Long[1, 1_000_000], Gen.Long[0, 100], Gen.Long[0, 100], Gen.Long[-10, 2_000_000].Nullable())
            .Sample((captured, refundedShare, refundingShare, requested) =>
            {
                var refunded = captured * refundedShare / 200;
                var refunding = (captured - refunded) * refundingShare / 200;
                var payment = PaymentIn(PaymentStatus.PartiallyRefunded, captured) with { AmountCaptured = captured, AmountRefunded = refunded, AmountRefunding = refunding };
                try
                {
                    var amount = PaymentRules.RefundAmount(payment, requested);
                    Assert.InRange(amount, 1, payment.AmountRefundable);
                    Assert.Equal(requested ?? payment.AmountRefundable, amount);
                }
                catch (ProblemException problem)
                {
                    Assert.True(requested is <= 0 || requested > payment.AmountRefundable || payment.AmountRefundable == 0, problem.Detail);
                }
            });

        var authorized = PaymentIn(PaymentStatus.Authorized, captureMethod: CaptureMethod.Manual) with { AmountCapturable = 5_000 };
        Assert.Equal(5_000, PaymentRules.CaptureAmount(authorized, null));
        Assert.Equal(1, PaymentRules.CaptureAmount(authorized, 1));
        Assert.Equal("amount_exceeds_capturable", Assert.Throws<ProblemException>(() => PaymentRules.CaptureAmount(authorized, 5_001)).Code);
        Assert.Equal("invalid_state_transition",
            Assert.Throws<ProblemException>(() => PaymentRules.CaptureAmount(authorized with { OperationInFlight = PaymentOperation.Cancel }, null)).Code);
        Assert.Equal("invalid_state_transition", Assert.Throws<ProblemException>(() => PaymentRules.RefundAmount(authorized, 100)).Code);
    }
}
