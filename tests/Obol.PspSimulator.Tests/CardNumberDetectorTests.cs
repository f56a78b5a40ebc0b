using Obol.PspSimulator.Requests;

namespace Obol.PspSimulator.Tests;

public sealed class CardNumberDetectorTests
{
    [Theory]
    [InlineData("4242424242424242")]
    [InlineData("4242 4242 4242 4242")]
    [InlineData("4242-4242-4242-4242")]
    [InlineData("pan=4111111111111111;")]
    [InlineData("378282246310005")]
    [InlineData("6011000990139424")]
    public void Luhn_valid_numbers_of_13_to_19_digits_are_detected(string value)
    {
        Assert.True(CardNumberDetector.ContainsCardNumber(value));
    }

    [Theory]
    [InlineData("4242424242424241")]
    [InlineData("pm_card_visa")]
    [InlineData("424242424242")]
    [InlineData("42424242424242424242")]
    [InlineData("ord-12345")]
    [InlineData(null)]
    public void Other_values_are_not_card_numbers(string? value)
    {
        Assert.False(CardNumberDetector.ContainsCardNumber(value));
    }
}
