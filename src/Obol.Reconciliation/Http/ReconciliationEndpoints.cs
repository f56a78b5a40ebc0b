using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Obol.Core.Errors;
using Obol.Core.Events;
using Obol.Core.Http;
using Obol.Core.Storage;
using Obol.Core.Time;
using Obol.Reconciliation.Reports;
using Obol.Reconciliation.Runs;

namespace Obol.Reconciliation.Http;

public static class ReconciliationEndpoints
{
    /// <summary>An uploaded report's limit: about 200,000 rows. Larger days are fetched (no limit) rather than uploaded.</summary>
    public const long MaxReportBytes = 32 * 1024 * 1024;

    /// <summary>
    /// <c>POST /v1/reconciliation/reports?psp=&amp;date=</c> with a report as the body; <c>POST /v1/reconciliation/runs</c>
    /// to fetch a day's report and reconcile it; <c>GET /v1/reconciliation/runs[/{id}]</c>. Operator keys only.
    /// </summary>
    public static IEndpointRouteBuilder MapReconciliationEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Every endpoint is for the operator's keys only (EnsureOperator): 403 forbidden for any other.
        var group = endpoints.MapGroup("/v1/reconciliation").WithTags("Reconciliation").RequireAuthorization().ProducesProblems(new ProblemCase(403, "forbidden"));
        group.MapPost("/reports", UploadAsync).Accepts<string>("text/csv").WithMetadata(new RequestBodyLimit(MaxReportBytes), new ScansCardNumbersItself()).WithIdempotencyKey(IdempotencyKeyRule.Optional)
            .WithName("uploadSettlementReport").WithSummary("Upload a PSP settlement report and reconcile it")
            .WithDescription("The report as the PSP publishes it (CSV). Operator keys only.")
            .ProducesProblems(new ProblemCase(400, "invalid_settlement_report"), new ProblemCase(400, "settlement_report_date_mismatch"));
        group.MapPost("/runs", FetchAndReconcileAsync).WithIdempotencyKey(IdempotencyKeyRule.Optional)
            .WithName("startReconciliationRun").WithSummary("Fetch a day's settlement report from the PSP and reconcile it")
            .WithDescription("Operator keys only.")
            .ProducesProblems(new ProblemCase(400, "invalid_settlement_report"), new ProblemCase(502, "settlement_report_unavailable"));
        group.MapGet("/runs", ListAsync)
            .WithName("listReconciliationRuns").WithSummary("List reconciliation runs").WithDescription("Operator keys only.");
        group.MapGet("/runs/{id}", GetAsync)
            .WithName("getReconciliationRun").WithSummary("Get a reconciliation run").WithDescription("Operator keys only.");
        group.MapGet("/discrepancies", ListDiscrepanciesAsync)
            .WithName("listDiscrepancies").WithSummary("List reconciliation discrepancies").WithDescription("Operator keys only.");
        group.MapGet("/discrepancies/{id}", GetDiscrepancyAsync)
            .WithName("getDiscrepancy").WithSummary("Get a discrepancy").WithDescription("Operator keys only.");
        group.MapPost("/discrepancies/{id}/resolve", ResolveDiscrepancyAsync).WithIdempotencyKey(IdempotencyKeyRule.Optional)
            .WithName("resolveDiscrepancy").WithSummary("Mark a discrepancy dealt with")
            .WithDescription("Books nothing. Resolving again with the same note answers the same. Operator keys only.")
            .ProducesProblems(new ProblemCase(409, "discrepancy_already_resolved"));
        return endpoints;
    }

    /// <remarks>
    /// With an <c>Idempotency-Key</c>, a repeat answers the first run (<see cref="IdempotentRequest.RunAsync"/>); a run is safe
    /// to repeat anyway (each report row is booked once), so a repeat after a crash that lost the answer runs the day again.
    /// </remarks>
    private static async Task<Results<Created<RunResponse>, StoredResponseResult>> UploadAsync(
        string? psp, string? date, HttpContext http, Reconciler reconciler, Database database, ReconciliationOptions options, TimeProvider clock,
        IHostApplicationLifetime lifetime)
    {
        EnsureOperator(http, options);
        var (pspName, day) = Validate(psp, date, clock);
        var report = http.Features.Get<BufferedRequestBody>()?.Text ?? "";
        return await IdempotentRequest.RunAsync(http, async () =>
        {
            // Not the request's token: a client that hangs up must not stop a run part-way.
            var runId = await reconciler.ReconcileAsync(pspName, day, report, "upload", null, lifetime.ApplicationStopping);
            return TypedResults.Created($"/v1/reconciliation/runs/{runId}", await RunAsync(database, runId, http.RequestAborted));
        });
    }

    private static async Task<Results<Created<RunResponse>, StoredResponseResult>> FetchAndReconcileAsync(
        StartRunRequest request, HttpContext http, Reconciler reconciler, SettlementReportSource source, Database database,
        ReconciliationOptions options, TimeProvider clock, IHostApplicationLifetime lifetime)
    {
        EnsureOperator(http, options);
        var (pspName, day) = Validate(request.Psp, request.Date, clock);
        return await IdempotentRequest.RunAsync(http, async () =>
        {
            var asOf = clock.GetUtcNow();
            var report = await source.FetchAsync(pspName, day, http.RequestAborted);
            var runId = await reconciler.ReconcileAsync(pspName, day, report, "fetch", asOf, lifetime.ApplicationStopping);
            return TypedResults.Created($"/v1/reconciliation/runs/{runId}", await RunAsync(database, runId, http.RequestAborted));
        });
    }

    private static async Task<Ok<RunResponse>> GetAsync(string id, HttpContext http, Database database, ReconciliationOptions options)
    {
        EnsureOperator(http, options);
        return TypedResults.Ok(await RunAsync(database, id, http.RequestAborted));
    }

    private static async Task<Ok<Page<RunSummaryResponse>>> ListAsync(
        string? psp, string? date, int? limit, HttpContext http, Database database, ReconciliationOptions options)
    {
        EnsureOperator(http, options);
        ValidateFilters(psp, date);
        var take = limit ?? 20;
        if (take is < 1 or > 100)
        {
            throw Problems.Validation("limit", "Between 1 and 100.");
        }

        var runs = await database.ReadAsync(s => ReconciliationStore.ListRunsAsync(s, psp, date, take + 1), http.RequestAborted);
        return TypedResults.Ok(new Page<RunSummaryResponse>(
            runs.Take(take).Select(RunSummaryResponse.From).ToList(),
            runs.Count > take));
    }

    private static async Task<Ok<Page<DiscrepancyResponse>>> ListDiscrepanciesAsync(
        string? status, string? psp, int? limit, string? startingAfter, HttpContext http, Database database, ReconciliationOptions options)
    {
        EnsureOperator(http, options);
        if (status is not null and not ("open" or "superseded" or "resolved"))
        {
            throw Problems.Validation("status", "One of open, superseded, resolved.");
        }

        ValidateFilters(psp, null);

        var page = PageRequest.From(limit, startingAfter);
        var rows = await database.ReadAsync(s => ReconciliationStore.ListDiscrepanciesAsync(s, status, psp, page.StartingAfter, page.Limit + 1), http.RequestAborted);
        return TypedResults.Ok(page.ToPage(rows.Select(DiscrepancyResponse.From).ToList()));
    }

    private static async Task<Ok<DiscrepancyResponse>> GetDiscrepancyAsync(string id, HttpContext http, Database database, ReconciliationOptions options)
    {
        EnsureOperator(http, options);
        var discrepancy = await database.ReadAsync(s => ReconciliationStore.GetDiscrepancyAsync(s, id), http.RequestAborted)
            ?? throw Problems.NotFound("discrepancy", id);
        return TypedResults.Ok(DiscrepancyResponse.From(discrepancy));
    }

    /// <summary>
    /// Marks a discrepancy dealt with, with a note saying how (a correcting ledger transaction's id, a PSP case number).
    /// It books nothing. Resolving again with the same note answers the same; with another note it is a conflict. With an
    /// <c>Idempotency-Key</c>, a repeat answers the first resolve, and the key with another body is refused. The resolve that
    /// records the resolution reports it (<see cref="DiscrepancyEvents.Resolved"/>) in its unit of work.
    /// </summary>
    private static async Task<Results<Ok<DiscrepancyResponse>, StoredResponseResult>> ResolveDiscrepancyAsync(
        string id, ResolveDiscrepancyRequest request, HttpContext http, Database database, ReconciliationOptions options, TimeProvider clock, IEventOutbox outbox)
    {
        EnsureOperator(http, options);
        var note = request.Note?.Trim();
        if (string.IsNullOrEmpty(note) || note.Length > 2000)
        {
            throw Problems.Validation("note", "Required: how the discrepancy was dealt with, up to 2,000 characters.");
        }

        var keyId = http.User.FindFirst(ApiKeyAuthenticationHandler.KeyClaim)?.Value ?? "";
        return await IdempotentRequest.RunAsync(http, async () =>
        {
            var resolved = await database.WriteAsync(async s =>
            {
                var discrepancy = await ReconciliationStore.GetDiscrepancyAsync(s, id) ?? throw Problems.NotFound("discrepancy", id);
                var inserted = await ReconciliationStore.ResolveAsync(s, id, note, keyId, clock.GetUtcNow());

                // Read again: a concurrent resolve may have won (on PostgreSQL the insert waited for it and inserted nothing).
                var now = (await ReconciliationStore.GetDiscrepancyAsync(s, id))!;
                if (!inserted && now.ResolutionNote != note)
                {
                    throw ReconciliationProblems.DiscrepancyAlreadyResolved(id, now.ResolvedAt);
                }

                if (inserted)
                {
                    await new DiscrepancyEvents(outbox, options).ReportAsync(s, DiscrepancyEvents.Resolved, [now]);
                }

                return now;
            }, http.RequestAborted);
            return TypedResults.Ok(DiscrepancyResponse.From(resolved));
        });
    }

    private static void ValidateFilters(string? psp, string? date)
    {
        var errors = new ValidationErrors();
        if (psp is not null && !SettlementReports.Psps.Contains(psp, StringComparer.Ordinal))
        {
            errors.Add("psp", $"One of {string.Join(", ", SettlementReports.Psps)}.");
        }

        if (date is not null && !ApiTime.TryParseDate(date, out _))
        {
            errors.Add("date", $"Must be {ApiTime.DateRule}.");
        }

        errors.ThrowIfAny();
    }

    private static Task<RunResponse> RunAsync(Database database, string id, CancellationToken cancellationToken) =>
        database.ReadAsync(async s =>
        {
            var run = await ReconciliationStore.GetRunAsync(s, id) ?? throw Problems.NotFound("reconciliation run", id);
            return RunResponse.From(run, await ReconciliationStore.SettledTotalsAsync(s, id), await ReconciliationStore.GetDiscrepanciesAsync(s, id));
        }, cancellationToken);

    private static void EnsureOperator(HttpContext http, ReconciliationOptions options)
    {
        if (!options.Operators.Contains(http.MerchantId(), StringComparer.Ordinal))
        {
            throw ReconciliationProblems.OperatorOnly();
        }
    }

    private static (string Psp, DateOnly Date) Validate(string? psp, string? date, TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (psp is null || !SettlementReports.Psps.Contains(psp, StringComparer.Ordinal))
        {
            errors["psp"] = [$"Required: one of {string.Join(", ", SettlementReports.Psps)}."];
        }

        var day = default(DateOnly);
        if (!ApiTime.TryParseDate(date, out var localDay))
        {
            errors["date"] = [$"Required: the report's settlement day (UTC) as {ApiTime.DateRule}."];
        }
        else if ((day = localDay.ToDateOnly()) > DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime))
        {
            errors["date"] = ["A settlement report covers a day that has begun; this one is in the future."];
        }

        return errors.Count > 0 ? throw Problems.Validation(errors) : (psp!, day);
    }
}
