using Microsoft.AspNetCore.Builder;

namespace Obol.Core.Http;

/// <summary>A problem an endpoint can answer with: its status and stable code.</summary>
public sealed record ProblemCase(int Status, string Code);

/// <summary>
/// Endpoint metadata: the problems the endpoint's handler throws beyond the ones every endpoint of its kind can give
/// (validation, authentication, not found, idempotency, the database), which the OpenAPI document adds by itself.
/// </summary>
public sealed record ProblemCasesMetadata(IReadOnlyList<ProblemCase> Problems);

public static class ProblemCaseEndpointExtensions
{
    /// <summary>
    /// Declares the problems the endpoint's handler throws (the codes of its module's problem catalogue), for the OpenAPI
    /// document; on a group, for each of its endpoints.
    /// </summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params ProblemCase[] problems)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProblemCasesMetadata(problems));
}
