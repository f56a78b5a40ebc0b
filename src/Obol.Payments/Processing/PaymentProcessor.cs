using Microsoft.Extensions.Logging;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Payments.Bookkeeping;
using Obol.Payments.Domain;
using Obol.Payments.Psp;
using Obol.Payments.Storage;

namespace Obol.Payments.Processing;

/// <summary>
/// Moves payments through their life in atomic phases (Brandur's recovery points): record the intent and the
/// attempt, call the PSP outside any transaction, then record the outcome, the status change, its history row
/// and the caller's idempotent response in one transaction. A crash between phases leaves an attempt that the
/// resolver finishes with the same PSP idempotency key, so nothing is ever charged twice.
/// </summary>
public sealed partial class PaymentProcessor(
    Database database,
    PaymentStore store,
    PspRouter router,
    PaymentPostings postings,
    PaymentsOptions options,
    ILogger<PaymentProcessor> logger)
{
    private static readonly AttemptStatus[] OpenStatuses = [AttemptStatus.Started, AttemptStatus.Unknown, AttemptStatus.Pending];

    public async Task<Payment> CreateAsync(CreatePaymentCommand command, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        var (payment, attempt, resume) = await database.WriteAsync(async session =>
        {
            var existing = await store.FindByIdempotencyKeyAsync(session, command.MerchantId, command.IdempotencyKey, forUpdate: true);
            if (existing is not null)
            {
                // A request that died after the first phase: continue its attempt, never start a new charge.
                var open = (await store.GetAttemptsAsync(session, existing.Id))
                    .LastOrDefault(a => a.Operation == PaymentOperation.Authorize && a.Status is AttemptStatus.Started or AttemptStatus.Unknown);
                return (existing, open, true);
            }

            var now = store.Now();
            var created = new Payment
            {
                Id = store.NewId("pay"),
                MerchantId = command.MerchantId,
                IdempotencyKey = command.IdempotencyKey,
                Amount = command.Amount,
                Currency = command.Currency,
                CaptureMethod = command.CaptureMethod,
                PaymentMethod = command.PaymentMethod,
                Description = command.Description,
                Metadata = command.Metadata,
                Status = PaymentStatus.Pending,
                CreatedAt = now,
                UpdatedAt = now,
            };
            await store.InsertPaymentAsync(session, created);
            await store.AppendEventAsync(session, created.Id, "payment.created", null, PaymentStatus.Pending, EventSource.Api,
                new { created.Amount, created.Currency, captureMethod = Core.EnumText.ToSnake(created.CaptureMethod) });

            var route = router.Route(created.MerchantId, created.Amount, created.Currency, created.PaymentMethod);
            if (route.Count == 0)
            {
                var failed = created with { Status = PaymentStatus.Failed, LastError = new PaymentError("psp_unavailable", "No PSP is configured for this payment.") };
                await SaveTransitionAsync(session, created, failed, "payment.failed", EventSource.Api);
                return (failed, (PaymentAttempt?)null, false);
            }

            var first = NewAttempt(created, PaymentOperation.Authorize, route[0], created.Amount, null);
            await store.InsertAttemptAsync(session, first);
            return (created, first, false);
        }, cancellationToken);

        if (attempt is null)
        {
            if (complete is not null)
            {
                await database.WriteAsync(session => complete(session, payment), cancellationToken);
            }

            return payment;
        }

        return await DriveAuthorizationAsync(payment, attempt, resume, EventSource.Api, complete, cancellationToken);
    }

    public async Task<Payment> CaptureAsync(string merchantId, string paymentId, long? amount, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        var (payment, attempt) = await database.WriteAsync(async session =>
        {
            var current = await LockAsync(session, merchantId, paymentId);
            EnsureNoOperationInFlight(current);
            if (current.Status != PaymentStatus.Authorized)
            {
                throw Problems.InvalidStateTransition($"Only an authorized payment can be captured; this one is {PaymentTransitions.Snake(current.Status)}.");
            }

            var toCapture = amount ?? current.AmountCapturable;
            if (toCapture <= 0)
            {
                throw Problems.Validation("amount", "Must be a positive integer in minor units.");
            }

            if (toCapture > current.AmountCapturable)
            {
                throw new ProblemException(400, "amount_exceeds_capturable", "Amount exceeds capturable",
                    $"At most {current.AmountCapturable} can be captured.");
            }

            var next = NewAttempt(current, PaymentOperation.Capture, current.Psp!, toCapture, null);
            await store.InsertAttemptAsync(session, next);
            var marked = current with { OperationInFlight = PaymentOperation.Capture, UpdatedAt = store.Now() };
            await store.UpdatePaymentAsync(session, marked);
            await store.AppendEventAsync(session, current.Id, "payment.capture_requested", null, null, EventSource.Api, new { amount = toCapture });
            return (marked, next);
        }, cancellationToken);

        return await DriveModificationAsync(payment, attempt, EventSource.Api, complete, cancellationToken);
    }

    public async Task<Payment> CancelAsync(string merchantId, string paymentId, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        var (payment, attempt) = await database.WriteAsync(async session =>
        {
            var current = await LockAsync(session, merchantId, paymentId);
            EnsureNoOperationInFlight(current);
            if (current.Status != PaymentStatus.Authorized)
            {
                throw Problems.InvalidStateTransition($"Only an authorized payment can be cancelled; this one is {PaymentTransitions.Snake(current.Status)}.");
            }

            var next = NewAttempt(current, PaymentOperation.Cancel, current.Psp!, current.AmountCapturable, null);
            await store.InsertAttemptAsync(session, next);
            var marked = current with { OperationInFlight = PaymentOperation.Cancel, UpdatedAt = store.Now() };
            await store.UpdatePaymentAsync(session, marked);
            await store.AppendEventAsync(session, current.Id, "payment.cancel_requested", null, null, EventSource.Api);
            return (marked, next);
        }, cancellationToken);

        return await DriveModificationAsync(payment, attempt, EventSource.Api, complete, cancellationToken);
    }

    /// <summary>
    /// Refunds a captured payment. Under an Idempotency-Key, a refund whose first phase already committed under that key
    /// (the request died, or its COMMIT's answer was lost) is continued with its own PSP attempt: never a second refund.
    /// </summary>
    public async Task<Refund> RefundAsync(string merchantId, string paymentId, long? amount, string? reason, string? idempotencyKey,
        CompleteRequest<Refund>? complete, CancellationToken cancellationToken)
    {
        var (payment, refund, attempt) = await database.WriteAsync(async session =>
        {
            var current = await LockAsync(session, merchantId, paymentId);
            if (idempotencyKey is not null && await store.FindRefundIdByIdempotencyKeyAsync(session, merchantId, idempotencyKey) is { } begunId)
            {
                var begun = (await store.GetRefundAsync(session, merchantId, begunId))!;
                var begunAttempt = (await store.GetAttemptsAsync(session, current.Id)).Last(a => a.RefundId == begun.Id);
                return (current, begun, begunAttempt);
            }
            if (current.Status is not (PaymentStatus.Captured or PaymentStatus.PartiallyRefunded))
            {
                throw Problems.InvalidStateTransition($"Only a captured payment can be refunded; this one is {PaymentTransitions.Snake(current.Status)}.");
            }

            var toRefund = amount ?? current.AmountRefundable;
            if (toRefund <= 0 && amount is null)
            {
                throw new ProblemException(400, "amount_exceeds_refundable", "Amount exceeds refundable", "Nothing is left to refund.");
            }

            if (toRefund <= 0)
            {
                throw Problems.Validation("amount", "Must be a positive integer in minor units.");
            }

            if (toRefund > current.AmountRefundable)
            {
                throw new ProblemException(400, "amount_exceeds_refundable", "Amount exceeds refundable",
                    $"At most {current.AmountRefundable} can be refunded (captured {current.AmountCaptured}, refunded or refunding {current.AmountRefunded + current.AmountRefunding}).");
            }

            var now = store.Now();
            var created = new Refund
            {
                Id = store.NewId("re"),
                PaymentId = current.Id,
                MerchantId = merchantId,
                Amount = toRefund,
                Currency = current.Currency,
                Status = RefundStatus.Pending,
                Reason = reason,
                CreatedAt = now,
                UpdatedAt = now,
            };
            await store.InsertRefundAsync(session, created, idempotencyKey);
            var next = NewAttempt(current, PaymentOperation.Refund, current.Psp!, toRefund, created.Id);
            await store.InsertAttemptAsync(session, next);
            var reserved = current with { AmountRefunding = current.AmountRefunding + toRefund, UpdatedAt = now };
            await store.UpdatePaymentAsync(session, reserved);
            await store.AppendEventAsync(session, current.Id, "refund.created", null, null, EventSource.Api, new { refundId = created.Id, amount = toRefund, reason });
            return (reserved, created, next);
        }, cancellationToken);

        CompleteRequest<Payment>? completeWithRefund = complete is null
            ? null
            : async (session, _) => await complete(session, (await store.GetRefundAsync(session, merchantId, refund.Id))!);
        await DriveModificationAsync(payment, attempt, EventSource.Api, completeWithRefund, cancellationToken);
        return await database.ReadAsync(async session => (await store.GetRefundAsync(session, merchantId, refund.Id))!, cancellationToken);
    }

    /// <summary>Finds out the outcome of one open attempt (unknown, pending, or left started by a crash) and applies it.</summary>
    public async Task ResolveAsync(PaymentAttempt attempt, CancellationToken cancellationToken)
    {
        var payment = await database.ReadAsync(s => store.GetPaymentAsync(s, attempt.MerchantId, attempt.PaymentId), cancellationToken)
            ?? throw new InvalidOperationException($"Attempt {attempt.Id} has no payment.");
        if (attempt.Operation == PaymentOperation.Authorize)
        {
            await DriveAuthorizationAsync(payment, attempt, resume: true, EventSource.Resolver, null, cancellationToken);
        }
        else
        {
            await DriveModificationAsync(payment, attempt, EventSource.Resolver, null, cancellationToken);
        }
    }

    /// <summary>
    /// Applies an outcome that a PSP reported by webhook to the open attempt it concerns, inside the caller's unit
    /// of work. An event about an attempt that is already settled (a duplicate, or one that arrives after a newer
    /// one) matches nothing and changes nothing, so a payment never moves backwards.
    /// </summary>
    public async Task<bool> ApplyReportedOutcomeAsync(
        DbSession session, string paymentId, Func<Payment, IReadOnlyList<PaymentAttempt>, (PaymentAttempt Attempt, PspOutcome Outcome)?> match)
    {
        var payment = await store.GetPaymentForUpdateAsync(session, paymentId);
        if (payment is null)
        {
            return false;
        }

        var open = (await store.GetAttemptsAsync(session, paymentId)).Where(a => OpenStatuses.Contains(a.Status)).ToList();
        if (match(payment, open) is not { } found || found.Outcome.Kind is PspOutcomeKind.NotProcessed or PspOutcomeKind.Unknown)
        {
            return false;
        }

        if (found.Attempt.Operation == PaymentOperation.Authorize)
        {
            await ApplyAuthorizationAsync(session, payment, found.Attempt, found.Outcome, EventSource.Webhook);
        }
        else
        {
            await ApplyModificationAsync(session, payment, found.Attempt, found.Outcome, EventSource.Webhook);
        }

        return true;
    }

    /// <summary>
    /// A capture or refund that the PSP acknowledged (Obol counted it done and booked it) is reported failed after all:
    /// Adyen answers modifications "received" and may send <c>CAPTURE_FAILED</c> or <c>REFUND_FAILED</c> later. The
    /// booking is reversed and the payment moves back: a failed capture fails the payment, a failed refund is failed and
    /// its amount is refundable again. Returns false when the report matches no succeeded capture or refund of this amount
    /// and currency, or when undoing it would strand something else (a capture of a payment with refunds, done or under
    /// way); the caller then applies the report as an outcome of an open attempt, or records it for a person.
    /// </summary>
    /// <param name="pspReference">The PSP's reference for the failed modification.</param>
    /// <param name="originalReference">The PSP's reference for the payment.</param>
    public async Task<bool> ApplyLateFailureAsync(
        DbSession session, Payment payment, PaymentOperation operation, string pspReference, string? originalReference, long amount, string currency,
        string? reason, EventSource source)
    {
        if (currency != payment.Currency)
        {
            return false;
        }

        var attempts = await store.GetAttemptsAsync(session, payment.Id);
        var now = store.Now();
        var error = new PaymentError(operation == PaymentOperation.Capture ? "capture_failed" : "refund_failed",
            reason ?? "The PSP reported the operation as failed after accepting it.");
        if (operation == PaymentOperation.Capture)
        {
            // A payment is captured once: by its own capture attempt (which holds the capture's reference, or the
            // payment's when a notification completed it), or for an automatic capture on the authorization.
            var captured = attempts.LastOrDefault(a => a is { Operation: PaymentOperation.Capture, Status: AttemptStatus.Succeeded }
                    && (a.PspReference == pspReference || (originalReference is not null && a.PspReference == originalReference)))
                ?? (payment.CaptureMethod == CaptureMethod.Automatic && originalReference is not null && originalReference == payment.PspReference
                    ? attempts.LastOrDefault(a => a is { Operation: PaymentOperation.Authorize, Status: AttemptStatus.Succeeded } && a.Psp == payment.Psp)
                    : null);
            var refundsUnderWay = attempts.Any(a => a.Operation == PaymentOperation.Refund && OpenStatuses.Contains(a.Status));
            if (captured is null || payment.Status != PaymentStatus.Captured || payment.AmountRefunding != 0 || refundsUnderWay
                || amount != payment.AmountCaptured)
            {
                return false;
            }

            postings.Reverse(session, payment, captured, "Capture failed at the PSP");
            await SaveTransitionAsync(session, payment, payment with
            {
                Status = PaymentStatus.Failed, AmountCaptured = 0, AmountCapturable = 0, LastError = error, UpdatedAt = now,
            }, "payment.capture_reversed", source, new { attemptId = captured.Id, amount, error.Code, error.Message });
            return true;
        }

        if (operation != PaymentOperation.Refund
            || attempts.LastOrDefault(a => a is { Operation: PaymentOperation.Refund, Status: AttemptStatus.Succeeded } && a.PspReference == pspReference)
                is not { RefundId: { } refundId } refundAttempt
            || await store.GetRefundAsync(session, payment.MerchantId, refundId) is not { Status: RefundStatus.Succeeded } refund
            || refund.Amount != amount)
        {
            return false;
        }

        postings.Reverse(session, payment, refundAttempt, $"Refund {refund.Id} failed at the PSP");
        await store.UpdateRefundAsync(session, refund with { Status = RefundStatus.Failed, LastError = error, UpdatedAt = now });
        var refunded = payment.AmountRefunded - refund.Amount;
        await SaveTransitionAsync(session, payment, payment with
        {
            Status = refunded == 0 ? PaymentStatus.Captured : PaymentStatus.PartiallyRefunded, AmountRefunded = refunded, UpdatedAt = now,
        }, "refund.reversed", source, new { refundId = refund.Id, amount = refund.Amount, error.Code, error.Message });
        return true;
    }

    private async Task<Payment> DriveAuthorizationAsync(
        Payment payment, PaymentAttempt attempt, bool resume, EventSource source, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        while (true)
        {
            var request = new AuthorizeRequest(attempt.Id, payment.Id, payment.Amount, payment.Currency, payment.PaymentMethod,
                payment.CaptureMethod == CaptureMethod.Manual, payment.Description, payment.Metadata);
            var outcome = await router.CallAsync(
                attempt.Psp,
                (connector, token) => resume ? connector.ResolveAuthorizeAsync(request, token) : connector.AuthorizeAsync(request, token),
                CancellationToken.None);
            LogOutcome(logger, payment.Id, attempt.Id, attempt.Psp, "authorize", outcome.Kind);

            var (updated, next) = await database.WriteAsync(async session =>
            {
                var current = await LockAsync(session, payment.MerchantId, payment.Id);
                var currentAttempt = (await store.GetAttemptAsync(session, attempt.Id))!;
                if (!OpenStatuses.Contains(currentAttempt.Status))
                {
                    // Someone else (webhook, resolver, a retried request) already recorded the outcome.
                    if (complete is not null)
                    {
                        await complete(session, current);
                    }

                    return (current, (PaymentAttempt?)null);
                }

                var (after, followUp) = await ApplyAuthorizationAsync(session, current, currentAttempt, outcome, source);
                if (followUp is null && complete is not null)
                {
                    await complete(session, after);
                }

                return (after, followUp);
            }, cancellationToken);

            if (next is null)
            {
                return updated;
            }

            payment = updated;
            attempt = next;
            resume = false;
        }
    }

    private async Task<(Payment Payment, PaymentAttempt? FailoverAttempt)> ApplyAuthorizationAsync(
        DbSession session, Payment current, PaymentAttempt attempt, PspOutcome outcome, EventSource source)
    {
        var now = store.Now();
        var saved = current;
        var reference = outcome.PspReference ?? attempt.PspReference;
        var withPsp = current with { Psp = attempt.Psp, PspReference = reference ?? current.PspReference, UpdatedAt = now };

        switch (outcome.Kind)
        {
            case PspOutcomeKind.Authorized:
                await CloseAttemptAsync(session, attempt, AttemptStatus.Succeeded, outcome, now);
                var hold = await postings.HoldAuthorizationAsync(session, current, attempt);
                saved = await SaveTransitionAsync(session, current, withPsp with
                {
                    Status = PaymentStatus.Authorized, AmountCapturable = current.Amount, LastError = null, LedgerHoldTransferId = hold,
                }, "payment.authorized", source);
                return (saved, null);

            case PspOutcomeKind.Succeeded:
                await CloseAttemptAsync(session, attempt, AttemptStatus.Succeeded, outcome, now);
                postings.Capture(session, current, attempt, current.Amount);
                saved = await SaveTransitionAsync(session, current, withPsp with { Status = PaymentStatus.Captured, AmountCapturable = 0, AmountCaptured = current.Amount, LastError = null }, "payment.captured", source);
                return (saved, null);

            case PspOutcomeKind.Declined:
                await CloseAttemptAsync(session, attempt, AttemptStatus.Declined, outcome, now);
                saved = await SaveTransitionAsync(session, current, withPsp with { Status = PaymentStatus.Declined, LastError = Error(outcome, "card_declined") }, "payment.declined", source);
                return (saved, null);

            case PspOutcomeKind.Failed:
                await CloseAttemptAsync(session, attempt, AttemptStatus.Failed, outcome, now);
                saved = await SaveTransitionAsync(session, current, withPsp with { Status = PaymentStatus.Failed, LastError = Error(outcome, "psp_error") }, "payment.failed", source);
                return (saved, null);

            case PspOutcomeKind.Pending:
            case PspOutcomeKind.Unknown:
                await KeepOpenAsync(session, attempt, outcome, now);
                if (current.Status != PaymentStatus.Processing)
                {
                    saved = await SaveTransitionAsync(session, current, withPsp with { Status = PaymentStatus.Processing }, "payment.processing", source);
                }

                return (saved, null);

            case PspOutcomeKind.NotProcessed:
                await CloseAttemptAsync(session, attempt, AttemptStatus.NotProcessed, outcome, now);
                var tried = (await store.GetAttemptsAsync(session, current.Id)).Select(a => a.Psp).ToHashSet(StringComparer.Ordinal);
                var nextPsp = router.Route(current.MerchantId, current.Amount, current.Currency, current.PaymentMethod)
                    .FirstOrDefault(psp => !tried.Contains(psp));
                if (nextPsp is null)
                {
                    saved = await SaveTransitionAsync(session, current, current with { Status = PaymentStatus.Failed, LastError = Error(outcome, "psp_unavailable"), UpdatedAt = now }, "payment.failed", source);
                    return (saved, null);
                }

                var failover = NewAttempt(current, PaymentOperation.Authorize, nextPsp, current.Amount, null);
                await store.InsertAttemptAsync(session, failover);
                await store.AppendEventAsync(session, current.Id, "payment.failed_over", null, null, source,
                    new { from = attempt.Psp, to = nextPsp, reason = outcome.ErrorCode });
                return (current, failover);

            default:
                throw new InvalidOperationException($"Unhandled outcome {outcome.Kind}.");
        }
    }

    /// <summary>Sends a capture, cancel or refund; resolving one re-sends it with the same idempotency key.</summary>
    private async Task<Payment> DriveModificationAsync(
        Payment payment, PaymentAttempt attempt, EventSource source, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        var request = new ModifyRequest(attempt.Id, payment.Id, payment.PspReference!, attempt.Amount, payment.Currency);
        var outcome = await router.CallAsync(
            attempt.Psp,
            (connector, token) => attempt.Operation switch
            {
                PaymentOperation.Capture => connector.CaptureAsync(request, token),
                PaymentOperation.Cancel => connector.CancelAsync(request, token),
                PaymentOperation.Refund => connector.RefundAsync(request, token),
                _ => throw new InvalidOperationException($"{attempt.Operation} is not a modification."),
            },
            CancellationToken.None);
        LogOutcome(logger, payment.Id, attempt.Id, attempt.Psp, Core.EnumText.ToSnake(attempt.Operation), outcome.Kind);

        return await database.WriteAsync(async session =>
        {
            var current = await LockAsync(session, payment.MerchantId, payment.Id);
            var currentAttempt = (await store.GetAttemptAsync(session, attempt.Id))!;
            if (OpenStatuses.Contains(currentAttempt.Status))
            {
                current = await ApplyModificationAsync(session, current, currentAttempt, outcome, source);
            }

            if (complete is not null)
            {
                await complete(session, current);
            }

            return current;
        }, cancellationToken);
    }

    private async Task<Payment> ApplyModificationAsync(DbSession session, Payment current, PaymentAttempt attempt, PspOutcome outcome, EventSource source)
    {
        var now = store.Now();
        var saved = current;
        var refund = attempt.RefundId is null ? null : await store.GetRefundAsync(session, current.MerchantId, attempt.RefundId);
        switch (outcome.Kind)
        {
            case PspOutcomeKind.Succeeded:
                await CloseAttemptAsync(session, attempt, AttemptStatus.Succeeded, outcome, now);
                switch (attempt.Operation)
                {
                    case PaymentOperation.Capture:
                        postings.Capture(session, current, attempt, attempt.Amount);
                        saved = await SaveTransitionAsync(session, current, current with
                        {
                            Status = PaymentStatus.Captured, AmountCaptured = attempt.Amount, AmountCapturable = 0, OperationInFlight = null, LastError = null, UpdatedAt = now,
                        }, "payment.captured", source, new { amount = attempt.Amount, released = current.AmountCapturable - attempt.Amount });
                        break;
                    case PaymentOperation.Cancel:
                        postings.Release(session, current, attempt);
                        saved = await SaveTransitionAsync(session, current, current with
                        {
                            Status = PaymentStatus.Cancelled, AmountCapturable = 0, OperationInFlight = null, LastError = null, UpdatedAt = now,
                        }, "payment.cancelled", source);
                        break;
                    case PaymentOperation.Refund:
                        var refunded = current.AmountRefunded + attempt.Amount;
                        postings.Refund(session, current, attempt);
                        await store.UpdateRefundAsync(session, refund! with { Status = RefundStatus.Succeeded, PspReference = outcome.PspReference, UpdatedAt = now });
                        saved = await SaveTransitionAsync(session, current, current with
                        {
                            Status = refunded == current.AmountCaptured ? PaymentStatus.Refunded : PaymentStatus.PartiallyRefunded,
                            AmountRefunded = refunded, AmountRefunding = current.AmountRefunding - attempt.Amount, UpdatedAt = now,
                        }, "refund.succeeded", source, new { refundId = refund.Id, amount = attempt.Amount });
                        break;
                }

                break;

            case PspOutcomeKind.Pending:
            case PspOutcomeKind.Unknown:
                await KeepOpenAsync(session, attempt, outcome, now);
                if (refund is not null)
                {
                    await store.UpdateRefundAsync(session, refund with { Status = RefundStatus.Processing, PspReference = outcome.PspReference ?? refund.PspReference, UpdatedAt = now });
                }
                else if (current.Status == PaymentStatus.Authorized)
                {
                    saved = await SaveTransitionAsync(session, current, current with { Status = PaymentStatus.Processing, UpdatedAt = now }, "payment.processing", source);
                }

                break;

            default:
                // Declined, failed or certainly not processed: nothing moved, so the payment is as it was.
                var status = outcome.Kind == PspOutcomeKind.NotProcessed ? AttemptStatus.NotProcessed : AttemptStatus.Failed;
                await CloseAttemptAsync(session, attempt, status, outcome, now);
                var error = Error(outcome, "psp_error");
                if (refund is not null)
                {
                    await store.UpdateRefundAsync(session, refund with { Status = RefundStatus.Failed, LastError = error, UpdatedAt = now });
                    saved = await SaveTransitionAsync(session, current, current with { AmountRefunding = current.AmountRefunding - attempt.Amount, UpdatedAt = now },
                        "refund.failed", source, new { refundId = refund.Id, error.Code });
                }
                else
                {
                    var back = current.Status == PaymentStatus.Processing ? PaymentStatus.Authorized : current.Status;
                    saved = await SaveTransitionAsync(session, current, current with { Status = back, OperationInFlight = null, LastError = error, UpdatedAt = now },
                        $"payment.{Core.EnumText.ToSnake(attempt.Operation)}_failed", source, new { error.Code });
                }

                break;
        }

        return saved;
    }

    /// <summary>Moves the payment through the transition table and appends the change to its history; returns it as stored.</summary>
    private async Task<Payment> SaveTransitionAsync(DbSession session, Payment before, Payment after, string eventType, EventSource source, object? data = null)
    {
        PaymentTransitions.EnsureCanMove(before.Status, after.Status);
        await store.UpdatePaymentAsync(session, after);
        await store.AppendEventAsync(session, after.Id, eventType, before.Status, after.Status, source, data ?? (after.LastError is { } e ? new { e.Code, e.Message } : null));
        return after;
    }

    private Task CloseAttemptAsync(DbSession session, PaymentAttempt attempt, AttemptStatus status, PspOutcome outcome, DateTimeOffset now) =>
        store.UpdateAttemptAsync(session, attempt with
        {
            Status = status,
            PspReference = outcome.PspReference ?? attempt.PspReference,
            ErrorCode = outcome.ErrorCode,
            ErrorMessage = outcome.ErrorMessage,
            CompletedAt = now,
            ResolveAfter = null,
        });

    private Task KeepOpenAsync(DbSession session, PaymentAttempt attempt, PspOutcome outcome, DateTimeOffset now) =>
        store.UpdateAttemptAsync(session, attempt with
        {
            Status = outcome.Kind == PspOutcomeKind.Pending ? AttemptStatus.Pending : AttemptStatus.Unknown,
            PspReference = outcome.PspReference ?? attempt.PspReference,
            ErrorCode = outcome.ErrorCode,
            ErrorMessage = outcome.ErrorMessage,
            ResolveAfter = now + Backoff.Next(attempt.ResolveCount, options.Resolver.InitialBackoff, options.Resolver.MaxBackoff),
            ResolveCount = attempt.ResolveCount + 1,
        });

    private PaymentAttempt NewAttempt(Payment payment, PaymentOperation operation, string psp, long amount, string? refundId)
    {
        var now = store.Now();
        return new PaymentAttempt
        {
            Id = store.NewId("att"),
            PaymentId = payment.Id,
            MerchantId = payment.MerchantId,
            Operation = operation,
            Psp = psp,
            Amount = amount,
            RefundId = refundId,
            Status = AttemptStatus.Started,
            StartedAt = now,
            ResolveAfter = now + options.Resolver.StartedLease,
        };
    }

    private async Task<Payment> LockAsync(DbSession session, string merchantId, string paymentId) =>
        await store.GetPaymentAsync(session, merchantId, paymentId, forUpdate: true) ?? throw Problems.NotFound("payment", paymentId);

    private static void EnsureNoOperationInFlight(Payment payment)
    {
        if (payment.OperationInFlight is { } operation)
        {
            throw Problems.InvalidStateTransition($"A {Core.EnumText.ToSnake(operation)} of this payment is still in progress.");
        }
    }

    private static PaymentError Error(PspOutcome outcome, string fallbackCode) =>
        new(outcome.ErrorCode ?? fallbackCode, outcome.ErrorMessage ?? fallbackCode);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Payment {PaymentId} attempt {AttemptId} on {Psp}: {Operation} -> {Outcome}")]
    private static partial void LogOutcome(ILogger logger, string paymentId, string attemptId, string psp, string operation, PspOutcomeKind outcome);
}
