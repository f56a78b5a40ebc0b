using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Obol.Core;
using Obol.Core.Errors;
using Obol.Core.Http;
using Obol.Core.Idempotency;
using Obol.Core.Storage;
using Obol.Payments.Domain;
using Obol.Payments.Processing;
using Obol.Payments.Storage;

namespace Obol.Payments.Api;

public static class PaymentsEndpoints
{
    public static IEndpointRouteBuilder MapPaymentsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var payments = endpoints.MapGroup("/v1/payments").WithTags("Payments").RequireAuthorization();
        payments.MapPost("/", CreateAsync).WithIdempotencyKey(IdempotencyKeyRule.Required)
            .WithName("createPayment").WithSummary("Create a payment")
            .WithDescription(
                "Authorizes the payment method with the PSP that routing picks (failing over to the next when one is down) and, "
                + "with captureMethod automatic, captures it. A declined card is a payment with status declined and lastError, "
                + "not an error. When the PSP's answer is unknown (a timeout) the payment is processing until the resolver finds out. "
                + "Needs an Idempotency-Key.")
            .ProducesProblems(new ProblemCase(400, "amount_not_supported"), new ProblemCase(409, "invalid_state_transition"));
        payments.MapGet("/", ListAsync)
            .WithName("listPayments").WithSummary("List payments, newest first");
        payments.MapGet("/{id}", GetAsync)
            .WithName("getPayment").WithSummary("Get a payment");
        payments.MapGet("/{id}/events", EventsAsync)
            .WithName("listPaymentEvents").WithSummary("A payment's history, oldest first");
        payments.MapPost("/{id}/capture", CaptureAsync).WithIdempotencyKey(IdempotencyKeyRule.Optional)
            .WithName("capturePayment").WithSummary("Capture an authorized payment, in full or in part")
            .WithDescription("502 when the PSP refused the capture: the problem carries the payment (still authorized) as `payment`.")
            .ProducesProblems(new ProblemCase(400, "amount_exceeds_capturable"), new ProblemCase(400, "amount_not_supported"), new ProblemCase(409, "invalid_state_transition"), new ProblemCase(502, "psp_refused"));
        payments.MapPost("/{id}/cancel", CancelAsync).WithIdempotencyKey(IdempotencyKeyRule.Optional)
            .WithName("cancelPayment").WithSummary("Cancel an authorized payment (release the hold)")
            .WithDescription("502 when the PSP refused the cancellation: the problem carries the payment (still authorized) as `payment`.")
            .ProducesProblems(new ProblemCase(409, "invalid_state_transition"), new ProblemCase(502, "psp_refused"));
        payments.MapPost("/{id}/refunds", RefundAsync).WithIdempotencyKey(IdempotencyKeyRule.Optional)
            .WithName("refundPayment").WithSummary("Refund a captured payment, in full or in part")
            .ProducesProblems(new ProblemCase(400, "amount_exceeds_refundable"), new ProblemCase(400, "amount_not_supported"), new ProblemCase(409, "invalid_state_transition"));

        endpoints.MapGet("/v1/refunds/{id}", GetRefundAsync).WithTags("Payments").RequireAuthorization()
            .WithName("getRefund").WithSummary("Get a refund");
        return endpoints;
    }

    private static Task<Results<Created<PaymentResponse>, StoredResponseResult>> CreateAsync(
        CreatePaymentRequest request, HttpContext http, PaymentProcessor processor, IdempotencyStore idempotency)
    {
        var key = IdempotentRequest.ReadKey(http, IdempotencyKeyRule.Required)!;
        var command = Validate(request, http.MerchantId(), key);
        return IdempotentAsync(http, idempotency, key,
            (CompleteRequest<Payment>? complete) => processor.CreateAsync(command, complete, http.RequestAborted),
            payment => TypedResults.Created($"/v1/payments/{payment.Id}", PaymentResponse.From(payment)));
    }

    private static Task<Results<Results<Ok<PaymentResponse>, ProblemHttpResult>, StoredResponseResult>> CaptureAsync(
        string id, CaptureRequest? request, HttpContext http, PaymentProcessor processor, IdempotencyStore idempotency)
    {
        if (request?.Amount is <= 0)
        {
            throw Problems.Validation("amount", "Must be a positive integer in minor units.");
        }

        var key = IdempotentRequest.ReadKey(http, IdempotencyKeyRule.Optional);
        return IdempotentAsync(http, idempotency, key,
            (CompleteRequest<Payment>? complete) => processor.CaptureAsync(http.MerchantId(), id, request?.Amount, key, complete, http.RequestAborted),
            payment => ModificationResult(http, payment));
    }

    private static Task<Results<Results<Ok<PaymentResponse>, ProblemHttpResult>, StoredResponseResult>> CancelAsync(
        string id, HttpContext http, PaymentProcessor processor, IdempotencyStore idempotency)
    {
        var key = IdempotentRequest.ReadKey(http, IdempotencyKeyRule.Optional);
        return IdempotentAsync(http, idempotency, key,
            (CompleteRequest<Payment>? complete) => processor.CancelAsync(http.MerchantId(), id, key, complete, http.RequestAborted),
            payment => ModificationResult(http, payment));
    }

    private static Task<Results<Created<RefundResponse>, StoredResponseResult>> RefundAsync(
        string id, CreateRefundRequest? request, HttpContext http, PaymentProcessor processor, IdempotencyStore idempotency)
    {
        var errors = new ValidationErrors();
        if (request?.Amount is <= 0)
        {
            errors.Add("amount", "Must be a positive integer in minor units.");
        }

        if (request?.Reason is { Length: > 500 })
        {
            errors.Add("reason", "At most 500 characters.");
        }

        errors.ThrowIfAny();
        var key = IdempotentRequest.ReadKey(http, IdempotencyKeyRule.Optional);
        return IdempotentAsync(http, idempotency, key,
            (CompleteRequest<Refund>? complete) => processor.RefundAsync(http.MerchantId(), id, request?.Amount, request?.Reason, key, complete, http.RequestAborted),
            refund => TypedResults.Created($"/v1/refunds/{refund.Id}", RefundResponse.From(refund)));
    }

    private static async Task<Ok<PaymentResponse>> GetAsync(string id, HttpContext http, Database database, PaymentStore store)
    {
        var payment = await database.ReadAsync(s => store.GetPaymentAsync(s, http.MerchantId(), id), http.RequestAborted)
            ?? throw Problems.NotFound("payment", id);
        return TypedResults.Ok(PaymentResponse.From(payment));
    }

    private static async Task<Ok<Page<PaymentResponse>>> ListAsync(HttpContext http, Database database, PaymentStore store, string? status, int? limit, string? startingAfter)
    {
        PaymentStatus? filter = null;
        if (status is not null)
        {
            filter = EnumText.TryParse<PaymentStatus>(status, out var parsed)
                ? parsed
                : throw Problems.Validation("status", "Not a payment status.");
        }

        var page = PageRequest.From(limit, startingAfter);
        var result = await database.ReadAsync(s => store.ListPaymentsAsync(s, http.MerchantId(), filter, page), http.RequestAborted);
        return TypedResults.Ok(new Page<PaymentResponse>(result.Data.Select(PaymentResponse.From).ToList(), result.HasMore));
    }

    private static async Task<Ok<Page<PaymentEventResponse>>> EventsAsync(string id, HttpContext http, Database database, PaymentStore store)
    {
        var events = await database.ReadAsync(async s =>
        {
            _ = await store.GetPaymentAsync(s, http.MerchantId(), id) ?? throw Problems.NotFound("payment", id);
            return await store.GetEventsAsync(s, id);
        }, http.RequestAborted);
        return TypedResults.Ok(new Page<PaymentEventResponse>(events.Select(PaymentEventResponse.From).ToList(), false));
    }

    private static async Task<Ok<RefundResponse>> GetRefundAsync(string id, HttpContext http, Database database, PaymentStore store)
    {
        var refund = await database.ReadAsync(s => store.GetRefundAsync(s, http.MerchantId(), id), http.RequestAborted)
            ?? throw Problems.NotFound("refund", id);
        return TypedResults.Ok(RefundResponse.From(refund));
    }

    /// <summary>A capture or cancel that the PSP refused answers 502 with the payment's error; the attempt stays on record.</summary>
    private static Results<Ok<PaymentResponse>, ProblemHttpResult> ModificationResult(HttpContext http, Payment payment) =>
        payment.LastError is { } error && payment.OperationInFlight is null && payment.Status is PaymentStatus.Authorized
            ? TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
            {
                Type = ProblemResponses.TypeOf(error.Code),
                Title = "The PSP refused the operation",
                Status = StatusCodes.Status502BadGateway,
                Detail = error.Message,
                Extensions = { ["code"] = error.Code, ["requestId"] = http.TraceIdentifier, ["payment"] = PaymentResponse.From(payment) },
            })
            : TypedResults.Ok(PaymentResponse.From(payment));

    /// <summary>
    /// Runs a multi-phase operation under the request's Idempotency-Key (if any): the final phase stores the
    /// response in the same transaction as the outcome, and that stored response is the answer (the first time too). A
    /// problem thrown before anything committed frees the key; any other failure ends the claim's lease.
    /// </summary>
    private static async Task<Results<TResult, StoredResponseResult>> IdempotentAsync<T, TResult>(
        HttpContext http, IdempotencyStore idempotency, string? key, Func<CompleteRequest<T>?, Task<T>> run, Func<T, TResult> respond)
        where TResult : IResult
    {
        if (key is null)
        {
            return respond(await run(null));
        }

        var merchantId = http.MerchantId();
        var (replay, begun) = await IdempotentRequest.ClaimAsync(http, idempotency, merchantId, key);
        if (replay is not null)
        {
            return replay;
        }

        StoredResponse? stored = null;
        try
        {
            await run(async (session, value) =>
            {
                stored = await IdempotentRequest.CaptureAsync(http, respond(value));
                await idempotency.CompleteAsync(session, merchantId, key, begun!.LockToken, stored);
            });
        }
        catch (ProblemException) when (stored is null)
        {
            await idempotency.ReleaseAsync(merchantId, key, begun!.LockToken, CancellationToken.None);
            throw;
        }
        catch (Exception)
        {
            // Ended without a stored response, or not knowing whether the last phase stored it (a COMMIT without an
            // answer): end the claim's lease so that a retry takes over at once. It replays the stored response, or
            // continues the operation by its key.
            await idempotency.EndLeaseAsync(merchantId, key, begun!.LockToken);
            throw;
        }

        return new StoredResponseResult(stored!, Replayed: false);
    }

    private static CreatePaymentCommand Validate(CreatePaymentRequest request, string merchantId, string idempotencyKey)
    {
        var errors = new ValidationErrors();
        if (request.Amount is null)
        {
            errors.Add("amount", "Required: an integer in the currency's minor units.");
        }
        else if (request.Amount <= 0)
        {
            errors.Add("amount", "Must be greater than zero.");
        }

        if (request.Currency is null)
        {
            errors.Add("currency", "Required: an ISO 4217 code in upper case.");
        }
        else if (!Currency.TryFromCode(request.Currency, out _))
        {
            errors.Add("currency", $"'{request.Currency}' is not an ISO 4217 code in upper case.");
        }

        PaymentMethodToken.Validate(errors, "paymentMethod", request.PaymentMethod);

        if (request.Description is { Length: > 1000 })
        {
            errors.Add("description", "At most 1000 characters.");
        }

        errors.Metadata("metadata", request.Metadata);

        errors.ThrowIfAny();
        return new CreatePaymentCommand(merchantId, idempotencyKey, request.Amount!.Value, request.Currency!, request.CaptureMethod ?? CaptureMethod.Automatic,
            request.PaymentMethod!, request.Description, request.Metadata ?? [], request.FxQuote);
    }
}
