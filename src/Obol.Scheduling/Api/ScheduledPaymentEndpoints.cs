using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Obol.Core.Errors;
using Obol.Core.Events;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Payments;
using Obol.Scheduling.Schedules;

namespace Obol.Scheduling.Api;

public static class ScheduledPaymentEndpoints
{
    private const string IdPrefix = "sp";

    public static IEndpointRouteBuilder MapSchedulingEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/scheduled-payments").WithTags("Scheduled payments").RequireAuthorization();
        group.MapPost("/", CreateAsync).WithUnitOfWork(IdempotencyKeyRule.Required)
            .WithName("createScheduledPayment").WithSummary("Schedule a payment, once or recurring")
            .WithDescription("At an instant (executeAt) or at a local date-time in a time zone. Needs an Idempotency-Key.")
            .ProducesProblems(
                new ProblemCase(400, "execute_at_in_past"), new ProblemCase(400, "execute_at_too_far"), new ProblemCase(400, "schedule_time_conflict"), new ProblemCase(400, "schedule_time_required"),
                new ProblemCase(400, "time_zone_required"), new ProblemCase(400, "local_date_time_required"), new ProblemCase(400, "unknown_time_zone"),
                new ProblemCase(400, "amount_not_supported"));
        group.MapGet("/", ListAsync)
            .WithName("listScheduledPayments").WithSummary("List scheduled payments, newest first");
        group.MapGet("/{id}", GetAsync)
            .WithName("getScheduledPayment").WithSummary("Get a scheduled payment");
        group.MapGet("/{id}/history", HistoryAsync)
            .WithName("listScheduledPaymentHistory").WithSummary("A scheduled payment's history, oldest first");
        group.MapPost("/{id}/cancel", CancelAsync).WithUnitOfWork()
            .WithName("cancelScheduledPayment").WithSummary("Cancel a scheduled payment")
            .ProducesProblems(new ProblemCase(409, "invalid_state_transition"));
        group.MapPost("/{id}/retry", RetryAsync).WithUnitOfWork()
            .WithName("retryScheduledPayment").WithSummary("Retry a dead-lettered scheduled payment")
            .ProducesProblems(new ProblemCase(409, "invalid_state_transition"));
        return endpoints;
    }

    private static async Task<Created<ScheduledPaymentResponse>> CreateAsync(
        CreateScheduledPaymentRequest request, HttpContext http, RequestUnitOfWork work, IdGenerator ids, TimeProvider clock, IEventOutbox events, IPayments payments)
    {
        var row = CreateScheduledPayment.Decide(request, ids.New(IdPrefix), http.MerchantId(), clock.GetUtcNow());
        payments.EnsureAmountSupported(row.MerchantId, row.Amount, row.Currency, row.PaymentMethod);
        await ScheduledPayments.InsertAsync(work.Session, events, row);
        return TypedResults.Created($"/v1/scheduled-payments/{row.Id}", ScheduledPaymentResponse.From(row, []));
    }

    private static async Task<Ok<Page<ScheduledPaymentResponse>>> ListAsync(HttpContext http, Database database, string? status, int? limit, string? startingAfter)
    {
        if (status is not null && !ScheduledPaymentStatus.All.Contains(status, StringComparer.Ordinal))
        {
            throw Problems.Validation("status", $"Must be one of: {string.Join(", ", ScheduledPaymentStatus.All)}.");
        }

        var page = PageRequest.From(limit, startingAfter);
        var merchantId = http.MerchantId();
        var result = await database.ReadAsync(async session =>
        {
            var rows = page.ToPage(await ScheduledPayments.ListAsync(session, merchantId, status, page));
            var executions = await ScheduledPayments.ExecutionsAsync(session, rows.Data.Select(r => r.Id).ToList());
            return new Page<ScheduledPaymentResponse>(
                rows.Data.Select(r => ScheduledPaymentResponse.From(r, executions.GetValueOrDefault(r.Id))).ToList(), rows.HasMore);
        }, http.RequestAborted);
        return TypedResults.Ok(result);
    }

    private static async Task<Ok<ScheduledPaymentResponse>> GetAsync(string id, HttpContext http, Database database)
    {
        var merchantId = http.MerchantId();
        var response = await database.ReadAsync(session => ReadAsync(session, merchantId, CheckId(id)), http.RequestAborted);
        return TypedResults.Ok(response);
    }

    private static async Task<Ok<Page<HistoryResponse>>> HistoryAsync(string id, HttpContext http, Database database)
    {
        var merchantId = http.MerchantId();
        var history = await database.ReadAsync(async session =>
        {
            await ScheduledPayments.GetAsync(session, merchantId, CheckId(id));
            return await ScheduleHistory.ReadAsync(session, id);
        }, http.RequestAborted);
        return TypedResults.Ok(new Page<HistoryResponse>(
            history.Select(h => new HistoryResponse(h.Occurrence, h.Attempt, h.FromStatus, h.ToStatus, h.Reason, h.ErrorCode, h.PaymentId, h.OccurredAt)).ToList(),
            false));
    }

    private static async Task<Ok<ScheduledPaymentResponse>> CancelAsync(string id, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IEventOutbox events)
    {
        var merchantId = http.MerchantId();
        await ScheduledPayments.CancelAsync(work.Session, events, merchantId, CheckId(id), clock.GetUtcNow());
        return TypedResults.Ok(await ReadAsync(work.Session, merchantId, id));
    }

    private static async Task<Ok<ScheduledPaymentResponse>> RetryAsync(string id, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IEventOutbox events)
    {
        var merchantId = http.MerchantId();
        await ScheduledPayments.RetryAsync(work.Session, events, merchantId, CheckId(id), clock.GetUtcNow());
        return TypedResults.Ok(await ReadAsync(work.Session, merchantId, id));
    }

    private static string CheckId(string id) =>
        IdGenerator.HasShape(id, IdPrefix) ? id : throw Problems.NotFound("scheduled payment", id);

    private static async Task<ScheduledPaymentResponse> ReadAsync(DbSession session, string merchantId, string id)
    {
        var row = await ScheduledPayments.GetAsync(session, merchantId, id);
        var executions = await ScheduledPayments.ExecutionsAsync(session, [id]);
        return ScheduledPaymentResponse.From(row, executions.GetValueOrDefault(id));
    }
}
