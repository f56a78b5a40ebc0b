using Obol.Core;
using Obol.Fx.Rates;

namespace Obol.Fx.Quotes;

/// <summary>
/// A price for converting <see cref="From"/> into <see cref="To"/>, locked until <see cref="ExpiresAt"/> and usable by one
/// payment. <see cref="MidRate"/> is the reference rate crossed through the base currency; <see cref="Rate"/> is what the
/// merchant gets: the mid rate less <see cref="MarginBasisPoints"/>.
/// </summary>
public sealed record FxQuote
{
    public required string Id { get; init; }
    public required string MerchantId { get; init; }
    public required Currency From { get; init; }
    public required Currency To { get; init; }
    public required decimal MidRate { get; init; }
    public required int MarginBasisPoints { get; init; }
    public required decimal Rate { get; init; }

    /// <summary>The amount the quote was asked for, in <see cref="From"/>'s minor units; a quote without one converts any amount.</summary>
    public long? Amount { get; init; }

    public long? ConvertedAmount { get; init; }
    public required string RateSetId { get; init; }
    public required string RateSource { get; init; }
    public required DateTimeOffset RatePublishedAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>What used it (a payment id), once used.</summary>
    public string? UsedBy { get; init; }

    public DateTimeOffset? UsedAt { get; init; }

    /// <summary>
    /// What converting <paramref name="amount"/> at this quote books: <see cref="FxSettlement.AtMidRate"/> and
    /// <see cref="FxSettlement.Net"/> are each rounded once (half to even); the margin is their difference, so the three
    /// always add up.
    /// </summary>
    public FxSettlement Settle(Money amount)
    {
        if (amount.Currency != From)
        {
            throw new CurrencyMismatchException(amount.Currency, From);
        }

        var atMid = Conversion.Convert(amount, To, MidRate);
        var net = Conversion.Convert(amount, To, Rate);
        return new FxSettlement(amount, atMid, net, atMid - net, Rate);
    }
}

/// <summary>A conversion as booked: <paramref name="Net"/> to the merchant, <paramref name="Margin"/> to FX revenue.</summary>
public sealed record FxSettlement(Money Amount, Money AtMidRate, Money Net, Money Margin, decimal Rate);
