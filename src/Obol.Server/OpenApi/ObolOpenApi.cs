using Microsoft.AspNetCore.OpenApi;

namespace Obol.Server.OpenApi;

/// <summary>The OpenAPI document at <c>/openapi/v1.json</c>; docs/README.md says what it guarantees and how it is checked.</summary>
internal static class ObolOpenApi
{
    public static void Configure(OpenApiOptions options) => options
        .AddSchemaTransformer<EnumSchemaTransformer>()
        .AddSchemaTransformer<ObolSchemaTransformer>()
        .AddOperationTransformer<ObolOperationTransformer>()
        .AddDocumentTransformer<BearerSecuritySchemeTransformer>()
        .AddDocumentTransformer<ObolDocumentTransformer>();
}
