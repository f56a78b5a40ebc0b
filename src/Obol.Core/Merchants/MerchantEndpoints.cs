using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Obol.Core.Http;

namespace Obol.Core.Merchants;

public sealed record CreateApiKeyRequest(string? Mode, string? Label);

public sealed record ApiKeyResponse(string Id, string Mode, string Last4, string? Label, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, string? Secret = null)
{
    public static ApiKeyResponse From(ApiKey key, string? secret = null) =>
        new(key.Id, key.Mode, key.Last4, key.Label, key.CreatedAt, key.RevokedAt, secret);
}

public static class MerchantEndpoints
{
    /// <summary>The calling merchant's secret keys: list, issue (the secret is shown once), revoke.</summary>
    public static IEndpointRouteBuilder MapMerchantEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var keys = endpoints.MapGroup("/v1/api-keys").WithTags("API keys").RequireAuthorization();
        keys.MapGet("/", ListAsync)
            .WithName("listApiKeys").WithSummary("List the calling merchant's secret keys");
        keys.MapPost("/", IssueAsync).WithUnitOfWork(IdempotencyKeyRule.Refused)
            .WithName("createApiKey").WithSummary("Issue a secret key (the secret is shown once)")
            .WithDescription("The response holds the secret, which is never stored and so cannot be replayed: an Idempotency-Key is refused.");
        keys.MapPost("/{id}/revoke", RevokeAsync).WithUnitOfWork()
            .WithName("revokeApiKey").WithSummary("Revoke a secret key");
        return endpoints;
    }

    private static async Task<Ok<Page<ApiKeyResponse>>> ListAsync(HttpContext http, ApiKeys apiKeys)
    {
        var list = await apiKeys.ListAsync(http.MerchantId(), http.RequestAborted);
        return TypedResults.Ok(new Page<ApiKeyResponse>(list.Select(k => ApiKeyResponse.From(k)).ToList(), false));
    }

    private static async Task<Created<ApiKeyResponse>> IssueAsync(
        CreateApiKeyRequest request, HttpContext http, ApiKeys apiKeys, InstallationMode installation, RequestUnitOfWork work)
    {
        var issued = await apiKeys.IssueAsync(work.Session, http.MerchantId(), request.Mode ?? installation.Mode, request.Label);
        return TypedResults.Created($"/v1/api-keys/{issued.Key.Id}", ApiKeyResponse.From(issued.Key, issued.Secret));
    }

    private static async Task<Ok<ApiKeyResponse>> RevokeAsync(string id, HttpContext http, ApiKeys apiKeys, RequestUnitOfWork work) =>
        TypedResults.Ok(ApiKeyResponse.From(await apiKeys.RevokeAsync(work.Session, http.MerchantId(), id)));
}
