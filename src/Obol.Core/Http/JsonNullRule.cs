using System.Text.Json;
using Obol.Core.Errors;

namespace Obol.Core.Http;

/// <summary>
/// Obol's API reads a field as given or as left out, never as <c>null</c>: a JSON <c>null</c> anywhere in a request body
/// of <c>/v1/…</c> is refused with its field named, so that what the OpenAPI document says (a field has a value or is
/// absent) is what the server does. PSP webhooks and the simulator, which speak the PSPs' formats, are not under
/// <c>/v1/</c>.
/// </summary>
public static class JsonNullRule
{
    public const string Message = "null is not a value here: leave the field out instead.";

    /// <summary>The first field holding <c>null</c> (<c>transfers[0].amount</c>, <c>body</c> for a bare null), or none.</summary>
    public static string? FirstNullField(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        var path = new List<string>();
        var indexes = new List<int>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        path[^1] = reader.GetString()!;
                        continue;
                    case JsonTokenType.StartObject:
                        Next(path, indexes);
                        path.Add("");
                        indexes.Add(-1);
                        continue;
                    case JsonTokenType.StartArray:
                        Next(path, indexes);
                        path.Add("[]");
                        indexes.Add(-1);
                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        indexes.RemoveAt(indexes.Count - 1);
                        continue;
                    case JsonTokenType.Null:
                        Next(path, indexes);
                        return path.Count == 0 ? "body" : Name(path, indexes);
                    default:
                        Next(path, indexes);
                        continue;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // malformed, or a name with a lone surrogate: the model binder refuses it with its own message
        }

        return null;
    }

    /// <summary>Refuses the body when it holds a <c>null</c>.</summary>
    public static void Check(ReadOnlySpan<byte> json)
    {
        if (FirstNullField(json) is { } field)
        {
            throw Problems.Validation(field, Message);
        }
    }

    private static void Next(List<string> path, List<int> indexes)
    {
        if (path.Count > 0 && path[^1] == "[]")
        {
            indexes[^1]++;
        }
    }

    private static string Name(List<string> path, List<int> indexes)
    {
        var name = new System.Text.StringBuilder();
        for (var i = 0; i < path.Count; i++)
        {
            if (path[i] == "[]")
            {
                name.Append('[').Append(indexes[i]).Append(']');
            }
            else if (path[i].Length > 0)
            {
                name.Append(name.Length > 0 ? "." : "").Append(path[i]);
            }
        }

        return name.Length > 0 ? name.ToString() : "body";
    }
}
