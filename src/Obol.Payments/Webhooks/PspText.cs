using System.Text.Json;

namespace Obol.Payments.Webhooks;

/// <summary>
/// Text from a PSP that Obol stores or looks up (event ids and types, references, currencies, reasons): at most
/// <see cref="MaxLength"/> characters and no control characters. PostgreSQL cannot store U+0000 in text, and an
/// over-long value would not fit a btree index entry; a signed webhook is authentic, not necessarily well formed.
/// </summary>
internal static class PspText
{
    public const int MaxLength = 255;

    public static bool IsStorable(string? value) => value is not null && value.Length <= MaxLength && !value.Any(char.IsControl);

    /// <summary>True when a string anywhere in the JSON holds U+0000, which neither PostgreSQL text nor jsonb can store.</summary>
    public static bool HoldsNul(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || HoldsNul(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HoldsNul),
        JsonValueKind.String => element.GetString()!.Contains('\0', StringComparison.Ordinal),
        _ => false,
    };
}
