using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Obol.Core.Http;
using Obol.Scheduling.Api;
using Obol.Scheduling.Schedules;

namespace Obol.Server.OpenApi;

/// <summary>
/// Makes each schema say what the API reads and writes, where the generator cannot see it:
/// <list type="bullet">
/// <item>strings and instants: Obol reads them through its own converters (<see cref="ObolJson"/>), which hide their type
/// from the generator; they are strings, instants with <c>format: date-time</c>;</item>
/// <item>request bodies: required fields and limits from <see cref="RequestFields"/>, every other string at most
/// <see cref="RequestText.MaxLength"/> characters;</item>
/// <item>responses: written without nulls, so a property is required exactly when its C# type is not nullable;</item>
/// <item>maps of strings (metadata) and of string lists (a problem's errors) have typed values.</item>
/// </list>
/// Nulls are taken out of every type afterwards by <see cref="ObolDocumentTransformer"/>.
/// </summary>
internal sealed class ObolSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var typeInfo = context.JsonTypeInfo;
        var type = Nullable.GetUnderlyingType(typeInfo.Type) ?? typeInfo.Type;
        if (type == typeof(string))
        {
            schema.Type = JsonSchemaType.String;
        }
        else if (type == typeof(DateTimeOffset))
        {
            schema.Type = JsonSchemaType.String;
            schema.Format = "date-time";
        }
        else if (typeInfo.Kind == JsonTypeInfoKind.Dictionary && typeInfo.KeyType == typeof(string))
        {
            schema.Type = JsonSchemaType.Object;
            if (typeInfo.ElementType == typeof(string))
            {
                schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String };
            }
            else if (typeInfo.ElementType == typeof(string[]))
            {
                schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } };
            }
        }
        else if (typeInfo.Kind == JsonTypeInfoKind.Object)
        {
            schema.Required = RequiredProperties(typeInfo);
        }

        if (context.JsonPropertyInfo is { } answered && ResponseEnums.TryGetValue((answered.DeclaringType, answered.Name), out var values))
        {
            schema.Type = JsonSchemaType.String;
            schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
        }

        if (context.JsonPropertyInfo is { } property && RequestFields.Rules.TryGetValue(property.DeclaringType, out var fields))
        {
            var rule = fields.GetValueOrDefault(property.Name);
            if (IsScalar(type) || typeInfo.Kind is JsonTypeInfoKind.Dictionary or JsonTypeInfoKind.Enumerable)
            {
                Apply(schema, type, rule);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Response fields that are strings in C# but only ever hold one of these values.</summary>
    private static readonly Dictionary<(Type Type, string Property), IReadOnlyList<string>> ResponseEnums = new()
    {
        [(typeof(ScheduledPaymentResponse), "status")] = ScheduledPaymentStatus.All,
        [(typeof(ScheduledPaymentResponse), "captureMethod")] = ["automatic", "manual"],
        [(typeof(RecurrenceResponse), "frequency")] = RecurrenceFrequency.All,
    };

    /// <summary>A request type's required fields from <see cref="RequestFields"/>; a response type's non-nullable properties.</summary>
    internal static HashSet<string> RequiredProperties(JsonTypeInfo typeInfo)
    {
        if (RequestFields.Rules.TryGetValue(typeInfo.Type, out var fields))
        {
            return fields.Where(f => f.Value.Required).Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        }

        var nullability = new NullabilityInfoContext();
        var required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in typeInfo.Properties)
        {
            if (property.Get is null)
            {
                continue;
            }

            var nullable = property.AttributeProvider switch
            {
                PropertyInfo p => nullability.Create(p).ReadState != NullabilityState.NotNull,
                FieldInfo f => nullability.Create(f).ReadState != NullabilityState.NotNull,
                _ => true,
            };
            if (!nullable)
            {
                required.Add(property.Name);
            }
        }

        return required;
    }

    private static bool IsScalar(Type type) =>
        type == typeof(string) || type == typeof(DateTimeOffset) || type == typeof(decimal) || type == typeof(long) || type == typeof(int)
        || type == typeof(bool);

    private static void Apply(OpenApiSchema schema, Type type, FieldRule? rule)
    {
        if (rule?.MinorUnits == true)
        {
            schema.Type = JsonSchemaType.Integer;
            schema.Format = "int64";
        }

        if (type == typeof(string))
        {
            schema.MaxLength = rule?.MaxLength ?? RequestText.MaxLength;
        }

        if (rule is null)
        {
            return;
        }

        schema.MinLength = rule.MinLength ?? schema.MinLength;
        schema.Pattern = rule.Pattern ?? schema.Pattern;
        schema.Format = rule.Format ?? schema.Format;
        schema.MinItems = rule.MinItems ?? schema.MinItems;
        schema.MaxItems = rule.MaxItems ?? schema.MaxItems;
        schema.MaxProperties = rule.MaxProperties ?? schema.MaxProperties;
        schema.Description = rule.Description ?? schema.Description;
        if (rule.Minimum is { } minimum)
        {
            schema.Minimum = minimum.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (rule.Maximum is { } maximum)
        {
            schema.Maximum = maximum.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (rule.Enum is { } values)
        {
            schema.Type = JsonSchemaType.String;
            schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
        }

        if (schema.AdditionalProperties is OpenApiSchema values2 && values2.Type == JsonSchemaType.String && rule.MaxLength is { } valueLength)
        {
            values2.MaxLength = valueLength;
            schema.MaxLength = null;
        }
    }
}
