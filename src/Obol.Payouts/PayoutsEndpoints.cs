using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Obol.Core.Errors;
using Obol.Core.Events;
using Obol.Core.Http;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Core.Time;
using Obol.Payouts.Anomalies;
using Obol.Payouts.Couriers;
using Obol.Payouts.Earnings;
using Obol.Payouts.Events;
using Obol.Payouts.PayPeriods;

namespace Obol.Payouts;

public sealed record ResolveAnomalyRequest
{
    /// <summary>For <c>fulfilled_without_accepted</c>: when the delivery was accepted. It is recorded as a corrective event and the delivery is paid.</summary>
    public string? AcceptedAt { get; init; }

    public string? Note { get; init; }
}

public sealed record RecomputeResponse(string CourierId, string From, string To, int Orders);

public static class PayoutsEndpoints
{
    /// <summary>Courier earnings: couriers and their terms, delivery events, earnings, anomalies, pay periods.</summary>
    public static IEndpointRouteBuilder MapPayoutsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var couriers = endpoints.MapGroup("/v1/couriers").WithTags("Courier earnings").RequireAuthorization();
        couriers.MapPut("/{id}", PutCourierAsync).WithUnitOfWork()
            .WithName("putCourier").WithSummary("Create a courier or give it new terms")
            .WithDescription("201 for a new courier; 200 for new terms (a new version) or the same terms again.")
            .ProducesProblems(new ProblemCase(409, "courier_terms_immutable"));
        couriers.MapGet("/{id}", GetCourierAsync)
            .WithName("getCourier").WithSummary("Get a courier's current terms");
        couriers.MapGet("/{id}/earnings", GetEarningsAsync)
            .WithName("getCourierEarnings").WithSummary("A courier's earnings over local dates");
        couriers.MapGet("/{id}/anomalies", ListAnomaliesAsync)
            .WithName("listCourierAnomalies").WithSummary("List a courier's delivery anomalies");
        couriers.MapPost("/{id}/anomalies/{anomalyId}/resolve", ResolveAnomalyAsync).WithUnitOfWork()
            .WithName("resolveCourierAnomaly").WithSummary("Resolve a delivery anomaly")
            .ProducesProblems(new ProblemCase(409, "invalid_state_transition"));
        couriers.MapPost("/{id}/recompute", RecomputeAsync).WithUnitOfWork()
            .WithName("recomputeCourierEarnings").WithSummary("Recompute a courier's earnings over local dates");

        var events = endpoints.MapGroup("/v1/delivery-events").WithTags("Courier earnings").RequireAuthorization();
        events.MapPost("/", PostEventsAsync).WithUnitOfWork()
            .WithName("ingestDeliveryEvents").WithSummary("Send up to 1,000 delivery events")
            .WithDescription("Each event is taken, recognised as a duplicate, or rejected on its own.")
            .ProducesProblems(new ProblemCase(400, "too_many_events"));

        var periods = endpoints.MapGroup("/v1/pay-periods").WithTags("Courier earnings").RequireAuthorization();
        periods.MapGet("/", PayPeriodEndpoints.ListAsync)
            .WithName("listPayPeriods").WithSummary("List a courier's pay periods, newest first");
        periods.MapGet("/{id}", PayPeriodEndpoints.GetAsync)
            .WithName("getPayPeriod").WithSummary("Get a pay period");
        periods.MapPost("/{id}/close", PayPeriodEndpoints.CloseAsync).WithUnitOfWork()
            .WithName("closePayPeriod").WithSummary("Close an ended pay period and book its earnings")
            .ProducesProblems(new ProblemCase(409, "pay_period_not_ended"), new ProblemCase(409, "invalid_state_transition"));
        return endpoints;
    }

    private static EngineWrite Write(HttpContext http, RequestUnitOfWork work, TimeProvider clock, IdGenerator ids, IEventOutbox events) =>
        new(work.Session, http.MerchantId(), clock.GetUtcNow(), ids, events);

    private static async Task<Results<Created<CourierResponse>, Ok<CourierResponse>>> PutCourierAsync(
        string id, PutCourierRequest request, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IdGenerator ids, IEventOutbox events)
    {
        var write = Write(http, work, clock, ids, events);
        var history = await CourierTermsStore.GetAsync(write.Session, write.MerchantId, id);
        var terms = CourierTermsDecision.Decide(id, request, history, write.Now);
        if (history is not null && terms.Version == history.Current.Version)
        {
            return TypedResults.Ok(CourierResponse.From(history.Current)); // a repeated PUT is not a new version
        }

        await CourierTermsStore.AppendAsync(write.Session, write.MerchantId, terms, write.Now);
        if (history is null)
        {
            return TypedResults.Created($"/v1/couriers/{Uri.EscapeDataString(id)}", CourierResponse.From(terms));
        }

        await Recompute.AfterTermsChangeAsync(write, terms);
        return TypedResults.Ok(CourierResponse.From(terms));
    }

    private static async Task<Ok<CourierResponse>> GetCourierAsync(string id, HttpContext http, Database database)
    {
        var history = await database.ReadAsync(s => CourierTermsStore.GetAsync(s, http.MerchantId(), id), http.RequestAborted)
            ?? throw Problems.NotFound("courier", id);
        return TypedResults.Ok(CourierResponse.From(history.Current));
    }

    private static async Task<Ok<IngestResult>> PostEventsAsync(
        DeliveryEventBatch batch, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IdGenerator ids, IEventOutbox events, CourierTermsCache termsCache,
        CopyFirstPolicy copyFirst)
    {
        if (batch.Events is null)
        {
            throw Problems.Validation("events", "Required: an array of 1 to 1,000 events.");
        }

        if (batch.Events.Count > DeliveryEventBatch.MaxEvents)
        {
            throw PayoutsProblems.TooManyEvents(DeliveryEventBatch.MaxEvents, batch.Events.Count);
        }

        if (batch.Events.Any(e => e is null))
        {
            throw Problems.Validation("events", "Every event must be an object.");
        }

        return TypedResults.Ok(await EventIngestion.IngestAsync(Write(http, work, clock, ids, events), batch.Events, termsCache, copyFirst));
    }

    private static async Task<Ok<EarningsResponse>> GetEarningsAsync(string id, string? from, string? to, HttpContext http, Database database)
    {
        var (fromDate, toDate) = EarningsQuery.ParseRange(from, to);
        return TypedResults.Ok(await database.ReadAsync(s => EarningsQuery.GetAsync(s, http.MerchantId(), id, fromDate, toDate), http.RequestAborted));
    }

    private static async Task<Ok<Page<AnomalyRow>>> ListAnomaliesAsync(string id, string? status, int? limit, string? startingAfter, HttpContext http, Database database)
    {
        if (status is not (null or "open" or "resolved"))
        {
            throw Problems.Validation("status", "One of open, resolved.");
        }

        var page = PageRequest.From(limit, startingAfter);
        var rows = await database.ReadAsync(
            async s =>
            {
                _ = await CourierTermsStore.GetAsync(s, http.MerchantId(), id) ?? throw Problems.NotFound("courier", id);
                return await AnomalyStore.ListAsync(s, http.MerchantId(), id, status, page.Limit + 1, page.StartingAfter);
            }, http.RequestAborted);
        return TypedResults.Ok(page.ToPage(rows));
    }

    private static async Task<Ok<AnomalyRow>> ResolveAnomalyAsync(
        string id, string anomalyId, ResolveAnomalyRequest? request, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IdGenerator ids,
        IEventOutbox events)
    {
        var write = Write(http, work, clock, ids, events);
        var anomaly = await AnomalyStore.GetAsync(write.Session, write.MerchantId, id, anomalyId) ?? throw Problems.NotFound("anomaly", anomalyId);
        if (anomaly.Status != "open")
        {
            throw Problems.InvalidStateTransition($"Anomaly {anomalyId} is already resolved ({anomaly.Resolution}).");
        }

        var resolution = string.IsNullOrWhiteSpace(request?.Note) ? "resolved" : request.Note.Trim();
        if (request?.AcceptedAt is { } acceptedText)
        {
            if (anomaly.Kind != AnomalyKind.FulfilledWithoutAccepted)
            {
                throw Problems.Validation("acceptedAt", "Only a fulfilled_without_accepted anomaly is resolved with an acceptedAt.");
            }

            if (!DeliveryEventValidation.TryParseInstant(acceptedText, out var acceptedAt))
            {
                throw Problems.Validation("acceptedAt", $"Must be {ApiTime.InstantRule}.");
            }

            // The correction is an event like any other, so a recompute from raw events reproduces it.
            var corrective = new DeliveryEvent($"{anomaly.Id}:accepted", anomaly.CourierId, anomaly.OrderId, DeliveryStatus.Accepted, acceptedAt);
            await AnomalyStore.MarkResolvedAsync(write, anomaly.Id, $"accepted_at_supplied: {resolution}");
            var terms = await CourierTermsStore.GetManyAsync(write.Session, write.MerchantId, [anomaly.CourierId]);
            var inserted = await DeliveryEventStore.AppendAsync(write, [corrective], terms);
            // No copy-first policy: the order has a row (the held fulfillment), its accept is not its first event.
            await DeliveryRecalculation.ApplyAsync(
                write, [new OrderKey(anomaly.CourierId, anomaly.OrderId)], inserted.Contains(corrective.EventId) ? [corrective] : []);
        }
        else
        {
            await AnomalyStore.MarkResolvedAsync(write, anomaly.Id, resolution);
        }

        return TypedResults.Ok((await AnomalyStore.GetAsync(write.Session, write.MerchantId, id, anomalyId))!);
    }

    private static async Task<Ok<RecomputeResponse>> RecomputeAsync(
        string id, string? from, string? to, HttpContext http, RequestUnitOfWork work, TimeProvider clock, IdGenerator ids, IEventOutbox events)
    {
        var (fromDate, toDate) = EarningsQuery.ParseRange(from, to);
        var write = Write(http, work, clock, ids, events);
        var history = await CourierTermsStore.GetAsync(write.Session, write.MerchantId, id) ?? throw Problems.NotFound("courier", id);
        var orders = await Recompute.CourierRangeAsync(write, history, fromDate, toDate);
        return TypedResults.Ok(new RecomputeResponse(id, DayPricing.Format(fromDate), DayPricing.Format(toDate), orders));
    }
}
