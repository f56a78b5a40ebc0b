using Microsoft.Extensions.Logging;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Storage;
using Obol.Fx;
using Obol.Fx.Quotes;
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
internal sealed partial class PaymentProcessor(
    Database database,
    PaymentStore store,
    PspRouter router,
    PaymentPostings postings,
    SettlementConversions conversions,
    IFx fx,
    PaymentEvents events,
    PaymentsOptions options,
    ILogger<PaymentProcessor> logger)
{
    public async Task<Payment> CreateAsync(CreatePaymentCommand command, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        var (payment, attempt, call) = await database.WriteAsync(async session =>
        {
            var existing = await store.FindByIdempotencyKeyAsync(session, command.MerchantId, command.IdempotencyKey, forUpdate: true);
            if (existing is not null)
            {
                // A request that died after the first phase: continue its attempt, never start a new charge.
                var open = (await store.GetAttemptsAsync(session, existing.Id))
                    .LastOrDefault(a => a.Operation == PaymentOperation.Authorize && a.Status is AttemptStatus.Started or AttemptStatus.Unknown);
                return (existing, open is null ? null : await MarkResentAsync(session, open), AttemptCall.Repeat);
            }

            var route = router.RouteNew(command.MerchantId, command.Amount, command.Currency, command.PaymentMethod);
            var now = store.Now();
            var id = store.NewId("pay");
            var quote = await SettlementQuoteAsync(session, command, id);
            var created = new Payment
            {
                Id = id,
                MerchantId = command.MerchantId,
                IdempotencyKey = command.IdempotencyKey,
                Amount = command.Amount,
                Currency = command.Currency,
                CaptureMethod = command.CaptureMethod,
                PaymentMethod = command.PaymentMethod,
                Description = command.Description,
                Metadata = command.Metadata,
                FxQuoteId = quote?.Id,
                FxRate = quote?.Rate,
                SettlementCurrency = quote?.To.Code,
                CreatedAt = now,
                UpdatedAt = now,
            };
            await store.InsertPaymentAsync(session, created);
            await store.AppendEventAsync(session, created.Id, "payment.created", null, PaymentStatus.Pending, EventSource.Api,
                new { created.Amount, created.Currency, captureMethod = Core.EnumText.ToSnake(created.CaptureMethod) });
            await events.PublishAsync(session, "payment.created", created, null);

            if (route.Count == 0)
            {
                var error = new PaymentError("psp_unavailable", "No PSP is configured for this payment.");
                var failed = created.MoveTo(PaymentStatus.Failed) with { LastError = error };
                await store.UpdatePaymentAsync(session, failed);
                await store.AppendEventAsync(session, failed.Id, "payment.failed", created.Status, failed.Status, EventSource.Api, new { error.Code, error.Message });
                await events.PublishAsync(session, "payment.failed", failed, null);
                return (failed, (PaymentAttempt?)null, AttemptCall.First);
            }

            var first = NewAttempt(created, PaymentOperation.Authorize, route[0], created.Amount, null);
            await store.InsertAttemptAsync(session, first);
            return (created, first, AttemptCall.First);
        }, cancellationToken);

        if (attempt is null)
        {
            if (complete is not null)
            {
                await database.WriteAsync(session => complete(session, payment), cancellationToken);
            }

            return payment;
        }

        return await DriveAuthorizationAsync(payment, attempt, call, EventSource.Api, complete, cancellationToken);
    }

    /// <summary>
    /// The quote that converts a new payment into a settlement currency, used (so no other payment can) before the PSP is asked
    /// for anything: the one the request names, or, for a merchant that settles in another currency, one taken now. A quote
    /// that cannot be used, or stale rates, refuse the payment with nothing stored.
    /// </summary>
    private async Task<FxQuote?> SettlementQuoteAsync(DbSession session, CreatePaymentCommand command, string paymentId)
    {
        var amount = new Money(command.Amount, Currency.FromCode(command.Currency));
        if (command.FxQuote is { } quoteId)
        {
            return await fx.UseQuoteAsync(session, command.MerchantId, quoteId, amount, paymentId);
        }

        return await fx.SettlementCurrencyAsync(session, command.MerchantId) is { } settlement && settlement != amount.Currency
            ? await fx.TakeQuoteAsync(session, command.MerchantId, amount, settlement, paymentId)
            : null;
    }

    /// <summary>
    /// Captures an authorized payment. Under an Idempotency-Key, a capture whose first phase already committed under that key
    /// (the request died, or its COMMIT's answer was lost) is continued with its own PSP attempt, or answered with its outcome.
    /// </summary>
    public async Task<Payment> CaptureAsync(
        string merchantId, string paymentId, long? amount, string? idempotencyKey, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        var (payment, attempt, call) = await database.WriteAsync(async session =>
        {
            var current = await LockAsync(session, merchantId, paymentId);
            if (await BegunUnderKeyAsync(session, current, PaymentOperation.Capture, idempotencyKey) is { } begun)
            {
                return begun;
            }

            var toCapture = PaymentRules.CaptureAmount(current, amount);
            router.EnsureCanTake(current.Psp!, toCapture, current.Currency);
            var next = NewAttempt(current, PaymentOperation.Capture, current.Psp!, toCapture, null) with { IdempotencyKey = idempotencyKey };
            await store.InsertAttemptAsync(session, next);
            var marked = current with { OperationInFlight = PaymentOperation.Capture, UpdatedAt = store.Now() };
            await store.UpdatePaymentAsync(session, marked);
            await store.AppendEventAsync(session, current.Id, "payment.capture_requested", null, null, EventSource.Api, new { amount = toCapture });
            return (marked, (PaymentAttempt?)next, AttemptCall.First);
        }, cancellationToken);

        return await ContinueModificationAsync(payment, attempt, call, complete, cancellationToken);
    }

    /// <summary>Cancels an authorized payment; under an Idempotency-Key, a cancel begun before under that key is continued as a capture is.</summary>
    public async Task<Payment> CancelAsync(string merchantId, string paymentId, string? idempotencyKey, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        var (payment, attempt, call) = await database.WriteAsync(async session =>
        {
            var current = await LockAsync(session, merchantId, paymentId);
            if (await BegunUnderKeyAsync(session, current, PaymentOperation.Cancel, idempotencyKey) is { } begun)
            {
                return begun;
            }

            PaymentRules.EnsureCanCancel(current);
            var next = NewAttempt(current, PaymentOperation.Cancel, current.Psp!, current.AmountCapturable, null) with { IdempotencyKey = idempotencyKey };
            await store.InsertAttemptAsync(session, next);
            var marked = current with { OperationInFlight = PaymentOperation.Cancel, UpdatedAt = store.Now() };
            await store.UpdatePaymentAsync(session, marked);
            await store.AppendEventAsync(session, current.Id, "payment.cancel_requested", null, null, EventSource.Api);
            return (marked, (PaymentAttempt?)next, AttemptCall.First);
        }, cancellationToken);

        return await ContinueModificationAsync(payment, attempt, call, complete, cancellationToken);
    }

    /// <summary>
    /// Refunds a captured payment. Under an Idempotency-Key, a refund whose first phase already committed under that key
    /// (the request died, or its COMMIT's answer was lost) is continued with its own PSP attempt: never a second refund.
    /// </summary>
    public async Task<Refund> RefundAsync(string merchantId, string paymentId, long? amount, string? reason, string? idempotencyKey,
        CompleteRequest<Refund>? complete, CancellationToken cancellationToken)
    {
        var (payment, refund, attempt, call) = await database.WriteAsync(async session =>
        {
            var current = await LockAsync(session, merchantId, paymentId);
            if (idempotencyKey is not null && await store.FindRefundIdByIdempotencyKeyAsync(session, merchantId, idempotencyKey) is { } begunId)
            {
                var begun = (await store.GetRefundAsync(session, merchantId, begunId))!;
                var begunAttempt = (await store.GetAttemptsAsync(session, current.Id)).Last(a => a.RefundId == begun.Id);
                return (current, begun, begunAttempt.IsOpen ? await MarkResentAsync(session, begunAttempt) : null, AttemptCall.Repeat);
            }

            var toRefund = PaymentRules.RefundAmount(current, amount);
            router.EnsureCanTake(current.Psp!, toRefund, current.Currency);
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
            await events.PublishAsync(session, "refund.created", reserved, created);
            return (reserved, created, (PaymentAttempt?)next, AttemptCall.First);
        }, cancellationToken);

        CompleteRequest<Payment>? completeWithRefund = complete is null
            ? null
            : async (session, _) => await complete(session, (await store.GetRefundAsync(session, merchantId, refund.Id))!);
        await ContinueModificationAsync(payment, attempt, call, completeWithRefund, cancellationToken);
        return await database.ReadAsync(async session => (await store.GetRefundAsync(session, merchantId, refund.Id))!, cancellationToken);
    }

    /// <summary>
    /// The capture or cancel attempt a request under <paramref name="idempotencyKey"/> began before, to be continued: sent again
    /// if its outcome is still open, or none to send when it is known (the caller answers with the payment as it is).
    /// </summary>
    private async Task<(Payment, PaymentAttempt?, AttemptCall)?> BegunUnderKeyAsync(
        DbSession session, Payment payment, PaymentOperation operation, string? idempotencyKey)
    {
        if (idempotencyKey is null
            || (await store.GetAttemptsAsync(session, payment.Id)).LastOrDefault(a => a.Operation == operation && a.IdempotencyKey == idempotencyKey) is not { } begun)
        {
            return null;
        }

        return (payment, begun.IsOpen ? await MarkResentAsync(session, begun) : null, AttemptCall.Repeat);
    }

    /// <summary>Drives a modification's attempt, or, when there is none left to send, completes the request with the payment as it is.</summary>
    private async Task<Payment> ContinueModificationAsync(
        Payment payment, PaymentAttempt? attempt, AttemptCall call, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        if (attempt is not null)
        {
            return await DriveModificationAsync(payment, attempt, call, EventSource.Api, complete, cancellationToken);
        }

        return await database.WriteAsync(async session =>
        {
            var current = await LockAsync(session, payment.MerchantId, payment.Id);
            if (complete is not null)
            {
                await complete(session, current);
            }

            return current;
        }, cancellationToken);
    }

    /// <summary>Finds out the outcome of one open attempt (unknown, pending, or left started by a crash) and applies it.</summary>
    public async Task ResolveAsync(PaymentAttempt attempt, CancellationToken cancellationToken)
    {
        var payment = await database.ReadAsync(s => store.GetPaymentAsync(s, attempt.MerchantId, attempt.PaymentId), cancellationToken)
            ?? throw new InvalidOperationException($"Attempt {attempt.Id} has no payment.");
        if (attempt.Operation == PaymentOperation.Authorize)
        {
            await DriveAuthorizationAsync(payment, attempt, AttemptCall.Repeat, EventSource.Resolver, null, cancellationToken);
        }
        else
        {
            await DriveModificationAsync(payment, attempt, AttemptCall.Repeat, EventSource.Resolver, null, cancellationToken);
        }
    }

    /// <summary>
    /// Applies what a PSP reported (a webhook) inside the caller's unit of work. <paramref name="read"/> turns the report into
    /// the attempt it is about and the outcome it reports, or null when the report is nothing Obol reads. The decision is
    /// <see cref="PaymentRules.Report"/>'s: an open attempt takes the outcome; a duplicate or a late echo changes nothing;
    /// a contradiction is applied when it can be, and otherwise recorded in the payment's history for a person and for
    /// reconciliation (<c>payment.psp_reported_success</c> or <c>payment.psp_reported_failure</c>).
    /// </summary>
    internal async Task<ReportResult> ApplyReportAsync(
        DbSession session, string paymentId, Func<Payment, IReadOnlyList<PaymentAttempt>, PspReport?> read, EventSource source)
    {
        var payment = await store.GetPaymentForUpdateAsync(session, paymentId);
        if (payment is null)
        {
            return ReportResult.NotRead;
        }

        var attempts = await store.GetAttemptsAsync(session, paymentId);
        if (read(payment, attempts) is not { } report)
        {
            return ReportResult.NotRead;
        }

        var decision = PaymentDecision.Nothing with { Unapplied = report.Outcome.Kind is not (PspOutcomeKind.Pending or PspOutcomeKind.Unknown or PspOutcomeKind.NotProcessed) };
        if (report.Attempt is { } attempt)
        {
            var refund = attempt.RefundId is null ? null : await store.GetRefundAsync(session, payment.MerchantId, attempt.RefundId);
            var now = store.Now();
            decision = PaymentRules.Report(payment, attempt, attempts, refund, report.Outcome, report.Amount, report.Currency, now, RetryAt(attempt, now));
        }

        if (decision.Unapplied)
        {
            var reportsMoney = report.Outcome.Kind is PspOutcomeKind.Authorized or PspOutcomeKind.Succeeded;
            await store.AppendEventAsync(session, payment.Id, reportsMoney ? "payment.psp_reported_success" : "payment.psp_reported_failure", null, null, source, report.Details);
            LogUnapplied(logger, payment.Id, report.Psp, reportsMoney ? "success" : "failure", report.Attempt?.Id);
            return ReportResult.Unapplied;
        }

        if (decision == PaymentDecision.Nothing)
        {
            return ReportResult.Agreed;
        }

        await ApplyAsync(session, payment, report.Attempt!, decision, source);
        return ReportResult.Applied;
    }

    private async Task<Payment> DriveAuthorizationAsync(
        Payment payment, PaymentAttempt attempt, AttemptCall call, EventSource source, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        while (true)
        {
            var request = new AuthorizeRequest(attempt.Id, payment.Id, payment.Amount, payment.Currency, payment.PaymentMethod,
                payment.CaptureMethod == CaptureMethod.Manual, payment.Description, payment.Metadata);
            var sent = call;
            var outcome = await router.CallAsync(
                attempt.Psp,
                (connector, token) => sent == AttemptCall.First ? connector.AuthorizeAsync(request, token) : connector.ResolveAuthorizeAsync(request, token),
                CancellationToken.None);
            LogOutcome(logger, payment.Id, attempt.Id, attempt.Psp, "authorize", outcome.Kind);

            var (updated, next) = await database.WriteAsync(async session =>
            {
                var current = await LockAsync(session, payment.MerchantId, payment.Id);
                var currentAttempt = (await store.GetAttemptAsync(session, attempt.Id))!;
                if (!currentAttempt.IsOpen)
                {
                    // Someone else (webhook, resolver, a retried request) already recorded the outcome.
                    if (complete is not null)
                    {
                        await complete(session, current);
                    }

                    return (current, (PaymentAttempt?)null);
                }

                var tried = (await store.GetAttemptsAsync(session, current.Id)).Select(a => a.Psp).ToHashSet(StringComparer.Ordinal);
                var untried = router.Route(current.MerchantId, current.Amount, current.Currency, current.PaymentMethod).Where(psp => !tried.Contains(psp)).ToList();
                var now = store.Now();
                var decision = PaymentRules.Authorization(current, currentAttempt, outcome, Evidence(sent, currentAttempt), untried, now, RetryAt(currentAttempt, now));
                var after = await ApplyAsync(session, current, currentAttempt, decision, source);
                if (decision.FailoverTo is { } nextPsp)
                {
                    var failover = NewAttempt(after, PaymentOperation.Authorize, nextPsp, after.Amount, null);
                    await store.InsertAttemptAsync(session, failover);
                    return (after, failover);
                }

                if (complete is not null)
                {
                    await complete(session, after);
                }

                return (after, null);
            }, cancellationToken);

            if (next is null)
            {
                return updated;
            }

            payment = updated;
            attempt = next;
            call = AttemptCall.First;
        }
    }

    /// <summary>Sends a capture, cancel or refund; resolving one re-sends it with the same idempotency key.</summary>
    private async Task<Payment> DriveModificationAsync(
        Payment payment, PaymentAttempt attempt, AttemptCall call, EventSource source, CompleteRequest<Payment>? complete, CancellationToken cancellationToken)
    {
        var request = new ModifyRequest(attempt.Id, payment.Id, payment.PspReference!, attempt.Amount, payment.Currency, attempt.RefundId ?? attempt.Id);
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
            if (currentAttempt.IsOpen)
            {
                var refund = currentAttempt.RefundId is null ? null : await store.GetRefundAsync(session, current.MerchantId, currentAttempt.RefundId);
                var now = store.Now();
                var decision = PaymentRules.Modification(current, currentAttempt, refund, outcome, Evidence(call, currentAttempt), now, RetryAt(currentAttempt, now));
                current = await ApplyAsync(session, current, currentAttempt, decision, source);
            }

            if (complete is not null)
            {
                await complete(session, current);
            }

            return current;
        }, cancellationToken);
    }

    /// <summary>
    /// A first send proves what it proves only if nobody re-sent the request meanwhile: every re-send marks a started attempt
    /// unknown first (<see cref="PaymentStore.ClaimForResolutionAsync"/>, <see cref="MarkResentAsync"/>).
    /// </summary>
    private static AttemptCall Evidence(AttemptCall call, PaymentAttempt recorded) =>
        call == AttemptCall.First && recorded.Status == AttemptStatus.Started ? AttemptCall.First : AttemptCall.Repeat;

    /// <summary>Before a request is sent again: its attempt, if still started, is unknown from now on.</summary>
    private async Task<PaymentAttempt> MarkResentAsync(DbSession session, PaymentAttempt attempt)
    {
        if (attempt.Status != AttemptStatus.Started)
        {
            return attempt;
        }

        var unknown = attempt with { Status = AttemptStatus.Unknown };
        await store.UpdateAttemptAsync(session, unknown);
        return unknown;
    }

    private DateTimeOffset RetryAt(PaymentAttempt attempt, DateTimeOffset now) =>
        now + Backoff.Next(attempt.ResolveCount, options.Resolver.InitialBackoff, options.Resolver.MaxBackoff);

    /// <summary>Stores a decision: the attempt, the refund, the ledger posting, the payment and its history row, in the caller's unit of work.</summary>
    private async Task<Payment> ApplyAsync(DbSession session, Payment before, PaymentAttempt attempt, PaymentDecision decision, EventSource source)
    {
        if (decision.Attempt is { } decidedAttempt)
        {
            await store.UpdateAttemptAsync(session, decidedAttempt);
        }

        var payment = decision.Payment ?? before;
        var refund = decision.Refund;
        switch (decision.Posting)
        {
            case Posting.HoldAuthorization:
                payment = payment with { LedgerHoldTransferId = await postings.HoldAuthorizationAsync(session, payment, attempt) };
                break;
            case Posting.Capture capture:
                var captureConversion = await conversions.ForCaptureAsync(session, payment, capture.Amount);
                if (captureConversion is not null)
                {
                    payment = payment with { SettlementAmount = checked(payment.SettlementAmount + captureConversion.Net.MinorUnits) };
                }

                postings.Capture(session, payment, attempt, capture.Amount, captureConversion);
                break;
            case Posting.Release:
                postings.Release(session, payment, attempt);
                break;
            case Posting.Refund:
                var refundConversion = await conversions.ForRefundAsync(session, payment, before.AmountRefunded, attempt.Amount);
                if (refundConversion is not null)
                {
                    payment = payment with { SettlementAmountRefunded = checked(payment.SettlementAmountRefunded + refundConversion.FromMerchant.MinorUnits) };
                    refund = refund! with
                    {
                        SettlementAmount = refundConversion.FromMerchant.MinorUnits,
                        SettlementCurrency = refundConversion.FromMerchant.Currency.Code,
                        FxRate = refundConversion.DayRate,
                    };
                }

                postings.Refund(session, payment, attempt, refundConversion);
                break;
            case Posting.Reverse reverse:
                payment = WithoutReversedSettlement(payment, before, refund, reverse.Of);
                postings.Reverse(session, payment, reverse.Of, reverse.Reason);
                break;
        }

        if (refund is not null)
        {
            await store.UpdateRefundAsync(session, refund);
        }

        // A conversion changes the payment's settlement amounts even where the decision left the payment as it was.
        if (decision.Payment is not null || payment != before)
        {
            await store.UpdatePaymentAsync(session, payment);
        }

        if (decision.History is { } history)
        {
            await store.AppendEventAsync(session, payment.Id, history.Type, history.From, history.To, source, history.Data);
            await events.PublishAsync(session, history.Type, payment, decision.Refund);
        }

        return payment;
    }

    /// <summary>
    /// A converted payment's settlement amounts once a capture or refund is undone: a reversed refund gives back what it took;
    /// a reversed capture (only ever the whole of it, with nothing refunded) takes back what it credited.
    /// </summary>
    private static Payment WithoutReversedSettlement(Payment payment, Payment before, Refund? refund, PaymentAttempt reversed)
    {
        if (payment.SettlementCurrency is null)
        {
            return payment;
        }

        return reversed.Operation == PaymentOperation.Refund
            ? payment with { SettlementAmountRefunded = payment.SettlementAmountRefunded - (refund?.SettlementAmount ?? 0) }
            : payment with { SettlementAmount = before.AmountCaptured == payment.AmountCaptured ? payment.SettlementAmount : 0 };
    }

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

    [LoggerMessage(EventId = PaymentsLogEvents.PspOutcome, Level = LogLevel.Information, Message = "Payment {PaymentId} attempt {AttemptId} on {Psp}: {Operation} -> {Outcome}")]
    private static partial void LogOutcome(ILogger logger, string paymentId, string attemptId, string psp, string operation, PspOutcomeKind outcome);

    [LoggerMessage(EventId = PaymentsLogEvents.PspReportUnapplied, Level = LogLevel.Warning,
        Message = "{Psp} reports a {Reported} for payment {PaymentId} (attempt {AttemptId}) that contradicts what Obol recorded and cannot be applied; reconcile it by hand")]
    private static partial void LogUnapplied(ILogger logger, string paymentId, string psp, string reported, string? attemptId);
}

/// <summary>
/// What a PSP reported about one of a payment's attempts (<paramref name="Attempt"/> null when it matches none of them), with
/// the amount and currency it names and the details kept in the payment's history if it cannot be applied. The amount is in
/// ISO minor units (<see cref="PspAmountRule.MinorUnitsOf"/>), null when the PSP's amount has no exact ISO equivalent.
/// </summary>
internal sealed record PspReport(string Psp, PaymentAttempt? Attempt, PspOutcome Outcome, long? Amount, string Currency, object Details);

internal enum ReportResult
{
    /// <summary>No such payment, or nothing Obol reads.</summary>
    NotRead,

    /// <summary>It changed the payment.</summary>
    Applied,

    /// <summary>It agrees with what Obol recorded (a duplicate, a late echo, or news of something under way).</summary>
    Agreed,

    /// <summary>It contradicts what Obol recorded and could not be applied: on the payment's history for a person.</summary>
    Unapplied,
}
