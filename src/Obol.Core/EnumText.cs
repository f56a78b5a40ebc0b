using System.Collections.Concurrent;
using System.Text.Json;

namespace Obol.Core;

/// <summary>Enum values as the snake_case text the API and the tables use (<c>partially_refunded</c>).</summary>
public static class EnumText
{
    private static readonly ConcurrentDictionary<Enum, string> Names = new();

    public static string ToSnake<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Names.GetOrAdd(value, v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));

    public static TEnum Parse<TEnum>(string text)
        where TEnum : struct, Enum =>
        TryParse<TEnum>(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}.");

    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(ToSnake(candidate), text, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }
}
