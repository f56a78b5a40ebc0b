using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Obol.Core.Http;

namespace Obol.Server.OpenApi;

/// <summary>
/// Enums in the OpenAPI document as the API reads and writes them (<see cref="ObolJson"/>): a string that is one of the
/// snake_case names, nothing else. The schema generator recognises only its own enum converter, not Obol's exact one.
/// </summary>
internal sealed class EnumSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            schema.Type = JsonSchemaType.String;
            schema.Enum = ObolJson.EnumNames(type).Select(name => (JsonNode)JsonValue.Create(name)).ToList();
        }

        return Task.CompletedTask;
    }
}
