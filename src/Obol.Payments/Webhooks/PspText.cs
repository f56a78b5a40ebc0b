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

    /// <summary>How Obol reads a PSP's JSON: a property given twice is refused, as no PSP sends one.</summary>
    public static readonly JsonDocumentOptions JsonOptions = new() { AllowDuplicateProperties = false };

    /// <summary>
    /// True when the JSON holds text no column can take: U+0000 anywhere (neither PostgreSQL text nor jsonb stores it)
    /// or an escaped lone surrogate (which is not text at all).
    /// </summary>
    public static bool HoldsUnstorableText(JsonElement element)
    {
        try
        {
            return HoldsNul(element);
        }
        catch (InvalidOperationException)
        {
            return true; // JsonElement.GetString on "\ud800"
        }
    }

    private static bool HoldsNul(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || HoldsNul(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HoldsNul),
        JsonValueKind.String => element.GetString()!.Contains('\0', StringComparison.Ordinal),
        _ => false,
    };
}
