using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Obol.Server.OpenApi;

/// <summary>Declares the secret-key bearer scheme in the OpenAPI document.</summary>
internal sealed class BearerSecuritySchemeTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ObolOperationTransformer.BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A secret key: Authorization: Bearer sk_test_…",
        };
        document.Info.Title = "Obol API";
        return Task.CompletedTask;
    }
}
