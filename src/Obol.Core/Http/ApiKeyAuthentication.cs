using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Obol.Core.Merchants;

namespace Obol.Core.Http;

/// <summary><c>Authorization: Bearer sk_…</c>; the key's merchant scopes everything the request touches.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeys apiKeys,
    InstallationMode installation) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string MerchantClaim = "obol:merchant";
    public const string KeyClaim = "obol:key";

    private const string WrongModeItem = "obol:wrong-mode-key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var key = await apiKeys.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail("Invalid API key.");
        }

        if (key.Mode != installation.Mode)
        {
            Context.Items[WrongModeItem] = key.Mode;
            return AuthenticateResult.Fail("An API key of the other mode.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(MerchantClaim, key.MerchantId), new Claim(KeyClaim, key.KeyId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return Context.Items[WrongModeItem] is string mode
            ? ProblemResponses.WriteAsync(Context, 401, "api_key_wrong_mode", "API key of the other mode",
                $"This is a {mode} key and this installation is in {installation.Mode} mode: it holds {installation.Mode} objects only.")
            : ProblemResponses.WriteAsync(Context, 401, "unauthenticated", "Unauthenticated",
                "Send a valid secret key as 'Authorization: Bearer sk_…'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemResponses.WriteAsync(Context, 403, "forbidden", "Forbidden", "This key may not do that.");
}

public static class MerchantHttpContextExtensions
{
    /// <summary>The authenticated merchant; endpoints behind <c>RequireAuthorization</c> always have one.</summary>
    public static string MerchantId(this HttpContext context) =>
        context.User.FindFirst(ApiKeyAuthenticationHandler.MerchantClaim)?.Value
        ?? throw new InvalidOperationException("The endpoint is not behind API key authentication.");
}
