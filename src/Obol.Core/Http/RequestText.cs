using System.Text.Json;
using System.Text.Json.Serialization;

namespace Obol.Core.Http;

/// <summary>
/// The one rule for text a client sends, in any field of any request body: at most <see cref="MaxLength"/> characters,
/// well-formed UTF-16 (no lone surrogate) and no control character other than tab, line feed and carriage return.
/// PostgreSQL text cannot hold U+0000, no Obol field has a use for the other control characters, and no field is longer;
/// many are shorter and say so in their own validation. A string that breaks the rule refuses the whole request.
/// </summary>
public static class RequestText
{
    public const int MaxLength = 5000;

    public const string Rule = "Text is at most 5000 characters, without U+0000 or other control characters (tab, line feed and carriage return are allowed).";

    private static bool IsAllowed(ReadOnlySpan<char> text)
    {
        if (text.Length > MaxLength)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c) || (char.IsControl(c) && c is not ('\t' or '\n' or '\r')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The current string token, or a <see cref="FieldRuleException"/> when it breaks the rule.</summary>
    internal static string Read(ref Utf8JsonReader reader)
    {
        var inName = reader.TokenType == JsonTokenType.PropertyName;
        var text = ReadWellFormed(ref reader, inName);
        return IsAllowed(text) ? text : throw new FieldRuleException(Rule, inName);
    }

    private static string ReadWellFormed(ref Utf8JsonReader reader, bool inName = false)
    {
        // Longer than MaxLength characters in every encoding: refused before it is decoded.
        if ((reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length) > MaxLength * 6)
        {
            throw new FieldRuleException(Rule, inName);
        }

        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new FieldRuleException(Rule, inName); // an escaped lone surrogate
        }
    }

    /// <summary>
    /// For the fields of one item in a batch whose own validation is at least as strict as the rule (printable ASCII
    /// ids, exact status names, <see cref="Time.ApiTime"/> instants): the text is read as sent, so that a bad item is
    /// rejected in its place and the rest of the batch lands. It must never be stored before that validation.
    /// </summary>
    public sealed class CheckedByItemValidation : JsonConverter<string>
    {
        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String ? ReadWellFormed(ref reader) : throw new JsonException();

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}

/// <summary>
/// A request-body value that breaks a rule every field follows; answered as a validation error on its field, or on the
/// object holding it when it is a property name (a metadata key), so that the refused text is not echoed as a field.
/// </summary>
public sealed class FieldRuleException(string message, bool inPropertyName = false) : JsonException(message)
{
    public bool InPropertyName { get; } = inPropertyName;
}
