using Obol.Core.Errors;
using Obol.Payments.Domain;
using Obol.Payments.Psp;

namespace Obol.Payments.Processing;

/// <summary>
/// Every payment decision as a pure function of values: what a capture or refund may take, and this PSP outcome for this attempt of this payment → the attempt's,
/// the payment's and the refund's next state, the history row, the ledger posting, and whether to fail over. Nothing here
/// reads a clock, a database or a PSP; <see cref="PaymentProcessor"/> gathers the values and applies the decision.
/// </summary>
internal static class PaymentRules
{
    /// <summary>How much a capture of <paramref name="requested"/> takes (all that is capturable when null), or the problem that refuses it.</summary>
    public static long CaptureAmount(Payment payment, long? requested)
    {
        EnsureNoOperationInFlight(payment);
        if (payment.Status != PaymentStatus.Authorized)
        {
            throw Problems.InvalidStateTransition($"Only an authorized payment can be captured; this one is {PaymentTransitions.Snake(payment.Status)}.");
        }

        var amount = requested ?? payment.AmountCapturable;
        if (amount <= 0)
        {
            throw Problems.Validation("amount", "Must be a positive integer in minor units.");
        }

        return amount <= payment.AmountCapturable
            ? amount
            : throw PaymentsProblems.AmountExceedsCapturable(payment.AmountCapturable);
    }

    public static void EnsureCanCancel(Payment payment)
    {
        EnsureNoOperationInFlight(payment);
        if (payment.Status != PaymentStatus.Authorized)
        {
            throw Problems.InvalidStateTransition($"Only an authorized payment can be cancelled; this one is {PaymentTransitions.Snake(payment.Status)}.");
        }
    }

    /// <summary>
    /// How much a refund of <paramref name="requested"/> takes (all that is refundable when null), or the problem that refuses it.
    /// Refunds under way count against what is refundable, so concurrent refunds never exceed the capture.
    /// </summary>
    public static long RefundAmount(Payment payment, long? requested)
    {
        if (payment.Status is not (PaymentStatus.Captured or PaymentStatus.PartiallyRefunded))
        {
            throw Problems.InvalidStateTransition($"Only a captured payment can be refunded; this one is {PaymentTransitions.Snake(payment.Status)}.");
        }

        var amount = requested ?? payment.AmountRefundable;
        if (amount <= 0 && requested is null)
        {
            throw PaymentsProblems.NothingLeftToRefund();
        }

        if (amount <= 0)
        {
            throw Problems.Validation("amount", "Must be a positive integer in minor units.");
        }

        return amount <= payment.AmountRefundable
            ? amount
            : throw PaymentsProblems.AmountExceedsRefundable(payment.AmountRefundable, payment.AmountCaptured, payment.AmountRefunded + payment.AmountRefunding);
    }

    /// <summary>
    /// What an answer proves about the attempt's request. "Certainly not processed" (a refused connection, an open circuit,
    /// a documented 401/403/429) is about the call that got it; for a request that may have reached the PSP before, it says
    /// nothing, so the attempt stays unknown until an answer about that very request arrives.
    /// </summary>
    public static PspOutcome AsEvidence(PspOutcome outcome, AttemptCall call) =>
        call == AttemptCall.Repeat && outcome.Kind == PspOutcomeKind.NotProcessed
            ? outcome with { Kind = PspOutcomeKind.Unknown }
            : outcome;

    /// <summary>
    /// An authorization's outcome. Only an outcome that proves the PSP never saw the request fails over, to the first PSP of
    /// <paramref name="untriedPsps"/>; with none left the payment fails.
    /// </summary>
    /// <param name="retryAt">When the resolver asks again if the outcome stays open.</param>
    public static PaymentDecision Authorization(
        Payment payment, PaymentAttempt attempt, PspOutcome reported, AttemptCall call, IReadOnlyList<string> untriedPsps, DateTimeOffset now, DateTimeOffset retryAt)
    {
        var outcome = AsEvidence(reported, call);
        var withPsp = payment with { Psp = attempt.Psp, PspReference = outcome.PspReference ?? attempt.PspReference ?? payment.PspReference, UpdatedAt = now };
        switch (outcome.Kind)
        {
            case PspOutcomeKind.Authorized:
                return Move(payment, withPsp.MoveTo(PaymentStatus.Authorized) with { AmountCapturable = payment.Amount, LastError = null }, "payment.authorized")
                    with { Attempt = Closed(attempt, AttemptStatus.Succeeded, outcome, now), Posting = new Posting.HoldAuthorization() };

            case PspOutcomeKind.Succeeded:
                return Move(payment, withPsp.MoveTo(PaymentStatus.Captured) with { AmountCapturable = 0, AmountCaptured = payment.Amount, LastError = null }, "payment.captured")
                    with { Attempt = Closed(attempt, AttemptStatus.Succeeded, outcome, now), Posting = new Posting.Capture(payment.Amount) };

            case PspOutcomeKind.Declined:
                return Move(payment, withPsp.MoveTo(PaymentStatus.Declined) with { LastError = Error(outcome, "card_declined") }, "payment.declined")
                    with { Attempt = Closed(attempt, AttemptStatus.Declined, outcome, now) };

            case PspOutcomeKind.Failed:
                return Move(payment, withPsp.MoveTo(PaymentStatus.Failed) with { LastError = Error(outcome, "psp_error") }, "payment.failed")
                    with { Attempt = Closed(attempt, AttemptStatus.Failed, outcome, now) };

            case PspOutcomeKind.Pending:
            case PspOutcomeKind.Unknown:
                var open = KeptOpen(attempt, outcome, retryAt);
                return payment.Status == PaymentStatus.Processing
                    ? new PaymentDecision { Attempt = open }
                    : Move(payment, withPsp.MoveTo(PaymentStatus.Processing), "payment.processing") with { Attempt = open };

            case PspOutcomeKind.NotProcessed:
                var notProcessed = Closed(attempt, AttemptStatus.NotProcessed, outcome, now);
                if (untriedPsps.Count == 0)
                {
                    return Move(payment, payment.MoveTo(PaymentStatus.Failed) with { LastError = Error(outcome, "psp_unavailable"), UpdatedAt = now }, "payment.failed")
                        with { Attempt = notProcessed };
                }

                return new PaymentDecision
                {
                    Attempt = notProcessed,
                    FailoverTo = untriedPsps[0],
                    History = new HistoryEntry("payment.failed_over", null, null, new { from = attempt.Psp, to = untriedPsps[0], reason = outcome.ErrorCode }),
                };

            default:
                throw new InvalidOperationException($"Unhandled outcome {outcome.Kind}.");
        }
    }

    /// <summary>
    /// A capture's, cancel's or refund's outcome (<paramref name="refund"/> is the refund a refund attempt belongs to).
    /// Anything but success or an open outcome means nothing moved, so the payment goes back to how it was.
    /// </summary>
    public static PaymentDecision Modification(
        Payment payment, PaymentAttempt attempt, Refund? refund, PspOutcome reported, AttemptCall call, DateTimeOffset now, DateTimeOffset retryAt)
    {
        var outcome = AsEvidence(reported, call);
        switch (outcome.Kind)
        {
            case PspOutcomeKind.Succeeded:
                return Done(payment, attempt, refund, outcome.PspReference, now) with { Attempt = Closed(attempt, AttemptStatus.Succeeded, outcome, now) };

            case PspOutcomeKind.Pending:
            case PspOutcomeKind.Unknown:
                var open = KeptOpen(attempt, outcome, retryAt);
                if (refund is not null)
                {
                    return new PaymentDecision
                    {
                        Attempt = open,
                        Refund = refund with { Status = RefundStatus.Processing, PspReference = outcome.PspReference ?? refund.PspReference, UpdatedAt = now },
                    };
                }

                return payment.Status == PaymentStatus.Authorized
                    ? Move(payment, payment.MoveTo(PaymentStatus.Processing) with { UpdatedAt = now }, "payment.processing") with { Attempt = open }
                    : new PaymentDecision { Attempt = open };

            default:
                var closed = Closed(attempt, outcome.Kind == PspOutcomeKind.NotProcessed ? AttemptStatus.NotProcessed : AttemptStatus.Failed, outcome, now);
                var error = Error(outcome, "psp_error");
                if (refund is not null)
                {
                    return Move(payment, payment with { AmountRefunding = payment.AmountRefunding - attempt.Amount, UpdatedAt = now }, "refund.failed",
                            new { refundId = refund.Id, error.Code })
                        with { Attempt = closed, Refund = refund with { Status = RefundStatus.Failed, LastError = error, UpdatedAt = now } };
                }

                var back = payment.Status == PaymentStatus.Processing ? PaymentStatus.Authorized : payment.Status;
                return Move(payment, payment.MoveTo(back) with { OperationInFlight = null, LastError = error, UpdatedAt = now },
                        $"payment.{Core.EnumText.ToSnake(attempt.Operation)}_failed", new { error.Code })
                    with { Attempt = closed };
        }
    }

    /// <summary>
    /// What a PSP's report (webhook) about <paramref name="attempt"/> does. An open attempt takes it as its outcome. A
    /// closed one that it agrees with changes nothing (a duplicate, or a late echo). One it contradicts — the PSP says it
    /// charged, captured, cancelled or refunded after Obol concluded it did not, or reports a failure of what it had
    /// acknowledged — is applied when the payment can still take it, and otherwise left for a person as unapplied.
    /// <paramref name="amount"/> is in ISO minor units, null when the PSP named one that ISO 4217 cannot hold exactly: it matches nothing.
    /// </summary>
    public static PaymentDecision Report(
        Payment payment, PaymentAttempt attempt, IReadOnlyList<PaymentAttempt> attempts, Refund? refund, PspOutcome reported, long? amount, string currency,
        DateTimeOffset now, DateTimeOffset retryAt)
    {
        if (reported.Kind is PspOutcomeKind.Pending or PspOutcomeKind.Unknown or PspOutcomeKind.NotProcessed)
        {
            // A report that something is under way settles nothing; one that the PSP has no outcome yet cannot come by webhook.
            return attempt.IsOpen && reported.Kind == PspOutcomeKind.Pending
                ? Decide(payment, attempt, refund, reported, now, retryAt)
                : PaymentDecision.Nothing;
        }

        if (attempt.IsOpen)
        {
            return Decide(payment, attempt, refund, reported, now, retryAt);
        }

        var reportsMoney = reported.Kind is PspOutcomeKind.Authorized or PspOutcomeKind.Succeeded;
        var recordedMoney = attempt.Status == AttemptStatus.Succeeded;
        if (reportsMoney == recordedMoney)
        {
            return PaymentDecision.Nothing;
        }

        return (reportsMoney ? LateSuccess(payment, attempt, attempts, refund, reported, now, retryAt) : LateFailure(payment, attempt, attempts, refund, amount, currency, reported.ErrorMessage, now))
            ?? new PaymentDecision { Unapplied = true };
    }

    /// <summary>
    /// The PSP says an attempt Obol closed as declined, failed or not processed moved money after all. Applied when nothing
    /// else of the payment happened since that would make both true: an authorization of a payment that ended declined or
    /// failed with no other attempt open or succeeded; a capture or cancel of a payment still authorized with nothing in
    /// flight; a refund that still fits in what is refundable.
    /// </summary>
    private static PaymentDecision? LateSuccess(
        Payment payment, PaymentAttempt attempt, IReadOnlyList<PaymentAttempt> attempts, Refund? refund, PspOutcome reported, DateTimeOffset now, DateTimeOffset retryAt)
    {
        var succeeded = reported with { Kind = attempt.Operation == PaymentOperation.Authorize ? reported.Kind : PspOutcomeKind.Succeeded };
        switch (attempt.Operation)
        {
            case PaymentOperation.Authorize:
                var othersQuiet = attempts.All(a => a.Id == attempt.Id || a.Status is AttemptStatus.NotProcessed or AttemptStatus.Declined or AttemptStatus.Failed);
                return payment.Status is PaymentStatus.Declined or PaymentStatus.Failed && othersQuiet
                    ? Authorization(payment, attempt, succeeded, AttemptCall.Repeat, [], now, retryAt)
                    : null;

            case PaymentOperation.Capture:
            case PaymentOperation.Cancel:
                return payment is { Status: PaymentStatus.Authorized, OperationInFlight: null }
                    ? Done(payment, attempt, null, succeeded.PspReference, now) with { Attempt = Closed(attempt, AttemptStatus.Succeeded, succeeded, now) }
                    : null;

            case PaymentOperation.Refund when refund is { Status: RefundStatus.Failed } && payment.Status is PaymentStatus.Captured or PaymentStatus.PartiallyRefunded
                                              && payment.AmountRefundable >= attempt.Amount:
                // A failed refund released its reservation, so it is reserved again for the move Done makes.
                var reserved = payment with { AmountRefunding = payment.AmountRefunding + attempt.Amount };
                return Done(reserved, attempt, refund, succeeded.PspReference, now) with { Attempt = Closed(attempt, AttemptStatus.Succeeded, succeeded, now) };

            default:
                return null;
        }
    }

    /// <summary>
    /// The PSP reports as failed a capture or refund that it acknowledged and Obol booked (Adyen answers modifications
    /// "received" and may send <c>CAPTURE_FAILED</c> or <c>REFUND_FAILED</c> later): the booking is reversed and the payment
    /// moves back. A capture is undone only while nothing of the payment is refunded or being refunded, and only for the
    /// amount captured; a refund only for its own amount. Anything else is for a person.
    /// </summary>
    private static PaymentDecision? LateFailure(
        Payment payment, PaymentAttempt attempt, IReadOnlyList<PaymentAttempt> attempts, Refund? refund, long? amount, string currency, string? reason, DateTimeOffset now)
    {
        if (currency != payment.Currency || amount is null)
        {
            return null;
        }

        var isCapture = attempt.Operation == PaymentOperation.Capture
            || (attempt.Operation == PaymentOperation.Authorize && payment.CaptureMethod == CaptureMethod.Automatic && attempt.Psp == payment.Psp);
        if (isCapture)
        {
            var refundsUnderWay = attempts.Any(a => a.Operation == PaymentOperation.Refund && a.IsOpen);
            if (payment.Status != PaymentStatus.Captured || payment.AmountRefunding != 0 || refundsUnderWay || amount != payment.AmountCaptured)
            {
                return null;
            }

            var error = new PaymentError("capture_failed", reason ?? "The PSP reported the operation as failed after accepting it.");
            return Move(payment, payment.MoveTo(PaymentStatus.Failed) with { AmountCaptured = 0, AmountCapturable = 0, LastError = error, UpdatedAt = now },
                    "payment.capture_reversed", new { attemptId = attempt.Id, amount, error.Code, error.Message })
                with { Posting = new Posting.Reverse(attempt, "Capture failed at the PSP") };
        }

        if (attempt.Operation != PaymentOperation.Refund || refund is not { Status: RefundStatus.Succeeded } || refund.Amount != amount)
        {
            return null;
        }

        var refundError = new PaymentError("refund_failed", reason ?? "The PSP reported the operation as failed after accepting it.");
        var refunded = payment.AmountRefunded - refund.Amount;
        return Move(payment, payment.MoveTo(refunded == 0 ? PaymentStatus.Captured : PaymentStatus.PartiallyRefunded) with { AmountRefunded = refunded, UpdatedAt = now },
                "refund.reversed", new { refundId = refund.Id, amount = refund.Amount, refundError.Code, refundError.Message })
            with
            {
                Refund = refund with { Status = RefundStatus.Failed, LastError = refundError, UpdatedAt = now },
                Posting = new Posting.Reverse(attempt, $"Refund {refund.Id} failed at the PSP"),
            };
    }

    private static PaymentDecision Decide(Payment payment, PaymentAttempt attempt, Refund? refund, PspOutcome outcome, DateTimeOffset now, DateTimeOffset retryAt) =>
        attempt.Operation == PaymentOperation.Authorize
            ? Authorization(payment, attempt, outcome, AttemptCall.Repeat, [], now, retryAt)
            : Modification(payment, attempt, refund, outcome, AttemptCall.Repeat, now, retryAt);

    /// <summary>The money moved as the capture, cancel or refund asked.</summary>
    private static PaymentDecision Done(Payment payment, PaymentAttempt attempt, Refund? refund, string? pspReference, DateTimeOffset now)
    {
        switch (attempt.Operation)
        {
            case PaymentOperation.Capture:
                return Move(payment, payment.MoveTo(PaymentStatus.Captured) with
                    {
                        AmountCaptured = attempt.Amount, AmountCapturable = 0, OperationInFlight = null, LastError = null, UpdatedAt = now,
                    }, "payment.captured", new { amount = attempt.Amount, released = payment.AmountCapturable - attempt.Amount })
                    with { Posting = new Posting.Capture(attempt.Amount) };

            case PaymentOperation.Cancel:
                return Move(payment, payment.MoveTo(PaymentStatus.Cancelled) with { AmountCapturable = 0, OperationInFlight = null, LastError = null, UpdatedAt = now },
                        "payment.cancelled")
                    with { Posting = new Posting.Release() };

            case PaymentOperation.Refund when refund is not null:
                var refunded = payment.AmountRefunded + attempt.Amount;
                return Move(payment, payment.MoveTo(refunded == payment.AmountCaptured ? PaymentStatus.Refunded : PaymentStatus.PartiallyRefunded) with
                    {
                        AmountRefunded = refunded, AmountRefunding = payment.AmountRefunding - attempt.Amount, UpdatedAt = now,
                    }, "refund.succeeded", new { refundId = refund.Id, amount = attempt.Amount })
                    with
                    {
                        Refund = refund with { Status = RefundStatus.Succeeded, PspReference = pspReference ?? refund.PspReference, LastError = null, UpdatedAt = now },
                        Posting = new Posting.Refund(),
                    };

            default:
                throw new InvalidOperationException($"Attempt {attempt.Id} ({attempt.Operation}) is not a modification with what it needs.");
        }
    }

    /// <summary>A payment change with its history row: the row carries the payment's error unless other data is given.</summary>
    private static PaymentDecision Move(Payment before, Payment after, string type, object? data = null) => new()
    {
        Payment = after,
        History = new HistoryEntry(type, before.Status, after.Status, data ?? (after.LastError is { } e ? new { e.Code, e.Message } : null)),
    };

    private static PaymentAttempt Closed(PaymentAttempt attempt, AttemptStatus status, PspOutcome outcome, DateTimeOffset now) => attempt with
    {
        Status = status,
        PspReference = outcome.PspReference ?? attempt.PspReference,
        ErrorCode = outcome.ErrorCode,
        ErrorMessage = outcome.ErrorMessage,
        CompletedAt = now,
        ResolveAfter = null,
    };

    private static PaymentAttempt KeptOpen(PaymentAttempt attempt, PspOutcome outcome, DateTimeOffset retryAt) => attempt with
    {
        Status = outcome.Kind == PspOutcomeKind.Pending ? AttemptStatus.Pending : AttemptStatus.Unknown,
        PspReference = outcome.PspReference ?? attempt.PspReference,
        ErrorCode = outcome.ErrorCode,
        ErrorMessage = outcome.ErrorMessage,
        ResolveAfter = retryAt,
        ResolveCount = attempt.ResolveCount + 1,
    };

    private static void EnsureNoOperationInFlight(Payment payment)
    {
        if (payment.OperationInFlight is { } operation)
        {
            throw Problems.InvalidStateTransition($"A {Core.EnumText.ToSnake(operation)} of this payment is still in progress.");
        }
    }

    private static PaymentError Error(PspOutcome outcome, string fallbackCode) =>
        new(outcome.ErrorCode ?? fallbackCode, outcome.ErrorMessage ?? fallbackCode);
}
