using Obol.Core.CardNumbers;

namespace Obol.Core.Tests;

public class CardNumberDetectorTests
{
    [Theory]
    [InlineData("4242424242424242")]
    [InlineData("{\"paymentMethod\":\"4242 4242 4242 4242\"}")]
    [InlineData("card=5555-5555-5555-4444&x=1")]
    [InlineData("{\"metadata\":{\"note\":\"amex 378282246310005\"}}")]
    [InlineData("{\"amount\":4000056655665556}")]
    [InlineData("6011111111111117")]
    [InlineData("4222222222222")]
    public void Luhn_valid_runs_of_13_to_19_digits_are_card_numbers(string text) =>
        Assert.True(CardNumberDetector.ContainsCardNumber(text));

    [Theory]
    [InlineData("4242424242424241")]
    [InlineData("{\"amount\":1999,\"currency\":\"USD\"}")]
    [InlineData("424242424242")]
    [InlineData("2026-11-25T14:03:00Z")]
    [InlineData("pay_01m8abx2npc1tkr2et3mqz0aq7")]
    [InlineData("42424242424242424242424")]
    [InlineData("4242  4242 4242 4242")]
    [InlineData("")]
    public void Other_numbers_are_not(string text) =>
        Assert.False(CardNumberDetector.ContainsCardNumber(text));
}
