using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Obol.Core.Errors;
using Obol.Core.Events;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Scheduling.Schedules;

namespace Obol.Scheduling.Api;

public static class ScheduledPaymentEndpoints
{
    private const string IdPrefix = "sp";

    public static IEndpointRouteBuilder MapSchedulingEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/scheduled-payments").WithTags("Scheduled payments").RequireAuthorization();

        group.MapPost("/", async Task<Created<ScheduledPaymentResponse>> (
            CreateScheduledPaymentRequest request, HttpContext http, RequestUnitOfWork work, IdGenerator ids, TimeProvider clock, IEventOutbox events) =>
        {
            var row = CreateScheduledPayment.Decide(request, ids.New(IdPrefix), http.MerchantId(), clock.GetUtcNow());
            await ScheduledPayments.InsertAsync(work.Session, events, row);
            return TypedResults.Created($"/v1/scheduled-payments/{row.Id}", ScheduledPaymentResponse.From(row, []));
        }).WithUnitOfWork(IdempotencyKeyRule.Required);

        group.MapGet("/", async Task<Ok<Page<ScheduledPaymentResponse>>> (
            HttpContext http, Database database, string? status, int? limit, string? startingAfter) =>
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
        });

        group.MapGet("/{id}", async Task<Ok<ScheduledPaymentResponse>> (string id, HttpContext http, Database database) =>
        {
            var merchantId = http.MerchantId();
            var response = await database.ReadAsync(session => ReadAsync(session, merchantId, CheckId(id)), http.RequestAborted);
            return TypedResults.Ok(response);
        });

        group.MapGet("/{id}/history", async Task<Ok<Page<HistoryResponse>>> (string id, HttpContext http, Database database) =>
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
        });

        group.MapPost("/{id}/cancel", async Task<Ok<ScheduledPaymentResponse>> (
            string id, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IEventOutbox events) =>
        {
            var merchantId = http.MerchantId();
            await ScheduledPayments.CancelAsync(work.Session, events, merchantId, CheckId(id), clock.GetUtcNow());
            return TypedResults.Ok(await ReadAsync(work.Session, merchantId, id));
        }).WithUnitOfWork();

        group.MapPost("/{id}/retry", async Task<Ok<ScheduledPaymentResponse>> (
            string id, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IEventOutbox events) =>
        {
            var merchantId = http.MerchantId();
            await ScheduledPayments.RetryAsync(work.Session, events, merchantId, CheckId(id), clock.GetUtcNow());
            return TypedResults.Ok(await ReadAsync(work.Session, merchantId, id));
        }).WithUnitOfWork();

        return endpoints;
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
