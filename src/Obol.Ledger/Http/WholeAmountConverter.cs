using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Obol.Ledger.Http;

/// <summary>
/// A ledger amount as the API documents it: an integer literal of minor units (<c>500</c>). Read as a decimal, so that a
/// whole amount beyond what the ledger holds is answered as such (<c>amount_overflow</c>) rather than as a wrong type;
/// an amount written with a fraction or an exponent (<c>500.0</c>, <c>5e2</c>) keeps a decimal scale, which the
/// endpoint refuses as <c>invalid_amount</c> (in its place, for one transaction of a batch).
/// </summary>
internal sealed class WholeAmountConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out var amount))
        {
            throw new JsonException();
        }

        var literal = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        return literal.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0 ? amount * 1.0m : amount;
    }

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
