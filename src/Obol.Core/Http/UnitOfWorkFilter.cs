using System.Data.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Errors;
using Obol.Core.Idempotency;
using Obol.Core.Storage;

namespace Obol.Core.Http;

public enum IdempotencyKeyRule
{
    Optional,
    Required,

    /// <summary>For responses that must never be stored, such as a secret shown once.</summary>
    Refused,
}

/// <summary>
/// Runs a mutating endpoint in one database transaction and implements <c>Idempotency-Key</c> for it:
/// replay of the stored response, 422 for a key reused on another request, 409 while the first still runs.
/// The response is stored in the same transaction as the effects; a request rejected with a problem before
/// any effect rolls back and leaves no record, so it can be retried with the same key. A request whose COMMIT got no
/// answer keeps its claim with the lease ended, so the next try with the key replays or runs at once.
/// </summary>
public sealed class UnitOfWorkFilter(IdempotencyKeyRule rule) : IEndpointFilter
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var database = services.GetRequiredService<Database>();
        var unitOfWork = services.GetRequiredService<RequestUnitOfWork>();
        var key = IdempotentRequest.ReadKey(http, rule);

        if (key is null)
        {
            return await database.WriteAsync(async session =>
            {
                unitOfWork.Begin(session);
                try
                {
                    return await next(context);
                }
                finally
                {
                    unitOfWork.End();
                }
            }, http.RequestAborted);
        }

        var store = services.GetRequiredService<IdempotencyStore>();
        var merchantId = http.MerchantId();
        var (replay, begun) = await IdempotentRequest.ClaimAsync(http, store, merchantId, key);
        if (replay is not null)
        {
            return replay;
        }

        var lockToken = begun!.LockToken;
        try
        {
            var stored = await database.WriteAsync(async session =>
            {
                unitOfWork.Begin(session);
                try
                {
                    var result = await next(context);
                    var response = await IdempotentRequest.CaptureAsync(http, result);
                    await store.CompleteAsync(session, merchantId, key, lockToken, response);
                    return response;
                }
                finally
                {
                    unitOfWork.End();
                }
            }, http.RequestAborted);
            return new StoredResponseResult(stored, Replayed: false);
        }
        catch (Exception failure)
        {
            await IdempotentRequest.AbandonClaimAsync(store, merchantId, key, lockToken, failure);
            throw;
        }
    }
}

/// <summary>
/// The pieces of the idempotency protocol, for endpoints that cannot run in one transaction (a PSP call sits
/// between their phases) and so drive <see cref="IdempotencyStore"/> themselves.
/// </summary>
public static class IdempotentRequest
{
    /// <summary>
    /// Claims the request's key. Returns the stored response to replay, or null with <paramref name="begun"/> set
    /// when this request owns the key; throws the 409 and 422 problems.
    /// </summary>
    public static async Task<(StoredResponseResult? Replay, IdempotencyClaim.Begun? Begun)> ClaimAsync(
        HttpContext http, IdempotencyStore store, string merchantId, string key)
    {
        var claim = await store.ClaimAsync(merchantId, key, Fingerprint(http), http.RequestAborted);
        return claim switch
        {
            IdempotencyClaim.Replay replay => (new StoredResponseResult(replay.Response, Replayed: true), null),
            IdempotencyClaim.Mismatch => throw new ProblemException(422, "idempotency_key_reused", "Idempotency key reused",
                "This Idempotency-Key was used for a different request (method, path or body). Use a new key for a new request."),
            IdempotencyClaim.InProgress => throw new ProblemException(409, "idempotency_key_in_use", "Idempotency key in use",
                "A request with this Idempotency-Key is still being processed. Retry later."),
            IdempotencyClaim.Begun begun => (null, begun),
            _ => throw new InvalidOperationException("Unknown claim."),
        };
    }

    /// <summary>
    /// <c>Idempotency-Key</c> for an endpoint whose work commits in transactions of its own (a reconciliation run, chunk by
    /// chunk): the key is claimed first and a stored response replayed; otherwise the work runs and its response is stored
    /// in one more transaction, and that stored response is the answer. A failure frees the key. Work that committed before
    /// a failure stays, and a crash between the work and storing its response lets a repeat do the work again, so such
    /// work must be safe to repeat.
    /// </summary>
    public static async Task<Results<TResult, StoredResponseResult>> RunAsync<TResult>(HttpContext http, Func<Task<TResult>> work)
        where TResult : IResult
    {
        var key = ReadKey(http, IdempotencyKeyRule.Optional);
        if (key is null)
        {
            return await work();
        }

        var store = http.RequestServices.GetRequiredService<IdempotencyStore>();
        var database = http.RequestServices.GetRequiredService<Database>();
        var merchantId = http.MerchantId();
        var (replay, begun) = await ClaimAsync(http, store, merchantId, key);
        if (replay is not null)
        {
            return replay;
        }

        var lockToken = begun!.LockToken;
        try
        {
            var response = await CaptureAsync(http, await work());
            await database.WriteAsync(session => store.CompleteAsync(session, merchantId, key, lockToken, response), CancellationToken.None);
            return new StoredResponseResult(response, Replayed: false);
        }
        catch (Exception failure)
        {
            await AbandonClaimAsync(store, merchantId, key, lockToken, failure);
            throw;
        }
    }

    /// <summary>
    /// What a request holding a key's claim does when it fails without storing its response. After a COMMIT without an
    /// answer the response may or may not be stored: the claim is kept (a repeat must find that response if it exists)
    /// with its lease ended, so a repeat takes over at once. Otherwise the key is freed for a corrected or repeated
    /// request; if the database is what failed, freeing may fail too, and the original failure is the answer (the claim
    /// runs out by itself, or is taken over once this node's liveness session is gone).
    /// </summary>
    internal static async Task AbandonClaimAsync(IdempotencyStore store, string merchantId, string key, string lockToken, Exception failure)
    {
        if (failure is CommitOutcomeUnknownException)
        {
            await store.EndLeaseAsync(merchantId, key, lockToken);
            return;
        }

        try
        {
            await store.ReleaseAsync(merchantId, key, lockToken, CancellationToken.None);
        }
        catch (DbException)
        {
        }
    }

    public static string? ReadKey(HttpContext http, IdempotencyKeyRule rule)
    {
        if (!http.Request.Headers.TryGetValue(UnitOfWorkFilter.HeaderName, out var values) || values.Count == 0)
        {
            return rule == IdempotencyKeyRule.Required
                ? throw new ProblemException(400, "idempotency_key_required", "Idempotency key required",
                    "This request needs an Idempotency-Key header (1 to 255 printable ASCII characters).")
                : null;
        }

        if (rule == IdempotencyKeyRule.Refused)
        {
            throw new ProblemException(400, "idempotency_key_not_supported", "Idempotency key not supported",
                "This response contains a secret that is shown once and never stored, so it cannot be replayed. Send the request without an Idempotency-Key.");
        }

        var key = values.ToString();
        if (values.Count > 1 || key.Length is < 1 or > 255 || key.Any(c => c is < (char)0x20 or > (char)0x7E))
        {
            throw new ProblemException(400, "invalid_idempotency_key", "Invalid idempotency key",
                "An Idempotency-Key is 1 to 255 printable ASCII characters.");
        }

        return key;
    }

    public static RequestFingerprint Fingerprint(HttpContext http) =>
        new(http.Request.Method, http.Request.Path + http.Request.QueryString, http.Features.Get<BufferedRequestBody>()?.Sha256 ?? "");

    /// <summary>Executes the handler's result into memory so the exact bytes can be stored and replayed.</summary>
    public static async Task<StoredResponse> CaptureAsync(HttpContext http, object? result)
    {
        var asResult = result as IResult ?? TypedResults.Ok(result);
        var bodyFeature = http.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await asResult.ExecuteAsync(http);
            return new StoredResponse(
                http.Response.StatusCode,
                http.Response.ContentType,
                http.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null,
                buffer.ToArray());
        }
        finally
        {
            http.Features.Set(bodyFeature);
            http.Response.Clear();
        }
    }
}

/// <summary>Endpoint metadata: how the endpoint treats an <c>Idempotency-Key</c> header (shown in the OpenAPI document).</summary>
public sealed record IdempotencyKeyMetadata(IdempotencyKeyRule Rule);

/// <summary>A response stored by the idempotency layer, written as it was first sent.</summary>
public sealed record StoredResponseResult(StoredResponse Response, bool Replayed) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = Response.Status;
        if (Response.ContentType is not null)
        {
            httpContext.Response.ContentType = Response.ContentType;
        }

        if (Response.Location is not null)
        {
            httpContext.Response.Headers.Location = Response.Location;
        }

        if (Replayed)
        {
            httpContext.Response.Headers[UnitOfWorkFilter.ReplayedHeader] = "true";
        }

        httpContext.Response.ContentLength = Response.Body.Length;
        await httpContext.Response.Body.WriteAsync(Response.Body, httpContext.RequestAborted);
    }
}

public static class UnitOfWorkEndpointExtensions
{
    /// <summary>Runs the endpoint in one transaction with <c>Idempotency-Key</c> support.</summary>
    public static TBuilder WithUnitOfWork<TBuilder>(this TBuilder builder, IdempotencyKeyRule rule = IdempotencyKeyRule.Optional)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithIdempotencyKey(rule).AddEndpointFilter(new UnitOfWorkFilter(rule));

    /// <summary>
    /// Declares how an endpoint treats <c>Idempotency-Key</c>, for the OpenAPI document; <see cref="WithUnitOfWork"/> does it
    /// itself, endpoints that drive <see cref="IdempotentRequest"/> by hand say it with this.
    /// </summary>
    public static TBuilder WithIdempotencyKey<TBuilder>(this TBuilder builder, IdempotencyKeyRule rule)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new IdempotencyKeyMetadata(rule));
}
