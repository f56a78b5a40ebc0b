using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Obol.PspSimulator.Faults;

namespace Obol.PspSimulator.Requests;

/// <summary>The same request path for every dialect: faults, idempotency, the operation, then the response (or not).</summary>
public sealed record PspCall(Psp Psp, FaultEndpoint? Endpoint, string Scope, string? IdempotencyKey, string Fingerprint);

/// <summary>Each PSP's own error bodies for the failures the pipeline produces.</summary>
public interface IPspErrorFormat
{
    PspResponse ServerError();
    PspResponse Unavailable();
    PspResponse IdempotencyMismatch();
    PspResponse IdempotencyInProgress();
}

public sealed partial class PspPipeline(
    FaultInjector faults,
    FaultCounts counts,
    IdempotencyStore idempotency,
    TimeProvider time,
    IOptions<PspSimulatorOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<PspPipeline> logger)
{
    public const string FaultHeader = "X-Sim-Fault";

    public async Task<IResult> RunAsync(PspCall call, IPspErrorFormat errors, Func<PspResponse> execute, CancellationToken cancellationToken)
    {
        var drawn = faults.ForRequest(call.Psp, call.Endpoint);
        if (drawn.Outage)
        {
            counts.Add(call.Psp, CountedFault.Outage);
            return Respond(errors.Unavailable(), fault: "outage");
        }

        // The key is claimed on arrival, so a retry while this request is still in flight (its latency included)
        // is told so, as the PSPs do. A request that will fail before charging claims nothing.
        var decision = !drawn.ErrorBeforeCharge && call.IdempotencyKey is { } key
            ? idempotency.Begin(call.Psp, call.Scope, key, call.Fingerprint)
            : null;
        if (drawn.LatencyMs > 0)
        {
            counts.Add(call.Psp, CountedFault.Latency);
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(drawn.LatencyMs), time, cancellationToken);
            }
            catch (OperationCanceledException) when (decision?.Outcome == IdempotencyOutcome.Proceed)
            {
                // The client left before anything happened: nothing was charged, so the key is free again.
                idempotency.Release(call.Psp, call.Scope, call.IdempotencyKey!);
                throw;
            }
        }

        var latency = drawn.LatencyMs > 0 ? "latency" : null;
        if (drawn.ErrorBeforeCharge)
        {
            counts.Add(call.Psp, CountedFault.ErrorBeforeCharge);
            LogFault(logger, call.Psp, "error_before_charge");
            return Respond(errors.ServerError(), fault: "error_before_charge");
        }

        switch (decision?.Outcome)
        {
            case IdempotencyOutcome.Replay:
                return Respond(decision.Stored!, replayed: true, fault: latency);
            case IdempotencyOutcome.ParametersMismatch:
                return Respond(errors.IdempotencyMismatch(), fault: latency);
            case IdempotencyOutcome.InProgress:
                return Respond(errors.IdempotencyInProgress(), fault: latency);
        }

        PspResponse response;
        try
        {
            response = execute();
        }
        catch
        {
            if (call.IdempotencyKey is { } failedKey)
            {
                idempotency.Release(call.Psp, call.Scope, failedKey);
            }

            throw;
        }

        if (call.IdempotencyKey is { } usedKey)
        {
            // A replay answers normally even when the first response was lost: the retry is how clients recover.
            if (response.Replayable)
            {
                idempotency.Complete(call.Psp, call.Scope, usedKey, response with { Hold = false });
            }
            else
            {
                idempotency.Release(call.Psp, call.Scope, usedKey);
            }
        }

        if (drawn.ErrorAfterCharge)
        {
            counts.Add(call.Psp, CountedFault.ErrorAfterCharge);
            LogFault(logger, call.Psp, "error_after_charge");
            return Respond(errors.ServerError(), fault: "error_after_charge");
        }

        if (drawn.TimeoutAfterCharge || response.Hold)
        {
            if (drawn.TimeoutAfterCharge)
            {
                counts.Add(call.Psp, CountedFault.TimeoutAfterCharge);
                LogFault(logger, call.Psp, "timeout_after_charge");
            }

            return new HeldResponse(options.Value.TimeoutHold, time, lifetime.ApplicationStopping);
        }

        return Respond(response, fault: latency);
    }

    /// <summary>A response written directly, outside the fault and idempotency path (auth, validation).</summary>
    public static IResult Respond(PspResponse response, bool replayed = false, string? fault = null) =>
        new WrittenResponse(response, replayed, fault);

    [LoggerMessage(EventId = PspSimulatorLogEvents.FaultInjected, Level = LogLevel.Information, Message = "Injected fault {Fault} on {Psp}")]
    private static partial void LogFault(ILogger logger, Psp psp, string fault);

    private sealed class WrittenResponse(PspResponse response, bool replayed, string? fault) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = response.StatusCode;
            httpContext.Response.ContentType = "application/json";
            if (replayed)
            {
                httpContext.Response.Headers["Idempotent-Replayed"] = "true";
            }

            if (fault is not null)
            {
                httpContext.Response.Headers[FaultHeader] = fault;
            }

            return httpContext.Response.WriteAsync(response.Body, httpContext.RequestAborted);
        }
    }

    /// <summary>Never answers: waits until the client gives up (request aborted), the hold ends or the host stops, then drops the connection.</summary>
    private sealed class HeldResponse(TimeSpan hold, TimeProvider time, CancellationToken stopping) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, stopping);
            try
            {
                await Task.Delay(hold, time, ended.Token);
            }
            catch (OperationCanceledException)
            {
            }

            httpContext.Abort();
        }
    }
}
