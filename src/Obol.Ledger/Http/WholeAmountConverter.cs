using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Obol.Core.Http;

namespace Obol.Ledger.Http;

/// <summary>
/// A ledger amount as the API documents it: an integer literal of minor units (<c>500</c>), not <c>500.0</c> or
/// <c>5e2</c>. Read as a decimal so that a whole amount beyond what the ledger holds is answered as such
/// (<c>amount_overflow</c>) rather than as a wrong type.
/// </summary>
internal sealed class WholeAmountConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new JsonException();
        }

        var literal = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        if (literal.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
        {
            throw new FieldRuleException("An amount is a whole number of minor units, written without a fraction or an exponent.");
        }

        return reader.TryGetDecimal(out var amount) ? amount : throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
