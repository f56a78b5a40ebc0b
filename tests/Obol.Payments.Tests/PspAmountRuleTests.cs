using System.Globalization;
using System.Numerics;
using CsCheck;
using Obol.Core;
using Obol.Payments.Psp;
using Obol.Payments.Psp.Adyen;
using Obol.Payments.Psp.Stripe;

namespace Obol.Payments.Tests;

public class PspAmountRuleTests
{
    private static readonly Gen<PspAmountRule> AnyRule = Gen.OneOfConst<PspAmountRule>(StripeAmountRule.Instance, AdyenAmountRule.Instance);

    // Every ISO currency, with the ones whose rules differ somewhere drawn more often than their share.
    private static readonly Gen<Currency> AnyCurrency = Gen.Frequency(
        (3, Gen.OneOfConst(Currency.All.ToArray())),
        (2, Gen.OneOfConst("JPY", "KWD", "BHD", "ISK", "MGA", "CLP", "CVE", "IDR", "USD", "UGX").Select(Currency.FromCode)));

    // Small amounts, round ones, and any long at all (overflow at the edges).
    private static readonly Gen<long> AnyAmount = Gen.Frequency(
        (3, Gen.Long[-100_000, 100_000]),
        (2, Gen.Long[-100_000, 100_000].Select(n => n * 100)),
        (1, Gen.Long));

    [Fact]
    public void Sending_and_reading_back_never_changes_an_amount() =>
        Gen.Select(AnyRule, AnyCurrency, AnyAmount).Sample((rule, currency, amount) =>
        {
            if (rule.TryToPsp(amount, currency, out var pspAmount))
            {
                Assert.True(rule.TryFromPsp(pspAmount, currency, out var back));
                Assert.Equal(amount, back);
            }
        });

    [Fact]
    public void Reading_a_psp_amount_and_sending_it_again_gives_the_same_psp_amount() =>
        Gen.Select(AnyRule, AnyCurrency, AnyAmount).Sample((rule, currency, pspAmount) =>
        {
            if (rule.TryFromPsp(pspAmount, currency, out var minorUnits) && rule.TryToPsp(minorUnits, currency, out var again))
            {
                Assert.Equal(pspAmount, again);
            }
        });

    /// <summary>
    /// Accepted exactly when the amount is, in the PSP's decimals, a whole number that is a multiple of the PSP's step and fits in
    /// a long, and then it is that number: checked against arbitrary-precision arithmetic, so nothing is ever rounded.
    /// </summary>
    [Fact]
    public void An_amount_is_sent_exactly_or_refused() =>
        Gen.Select(AnyRule, AnyCurrency, AnyAmount).Sample((rule, currency, amount) =>
        {
            var exponent = rule.Exponent(currency);
            var scaled = amount * BigInteger.Pow(10, exponent);
            var per = BigInteger.Pow(10, currency.Exponent);
            var step = Step(rule, currency);
            var exact = scaled % (per * step) == 0 && scaled / per >= long.MinValue && scaled / per <= long.MaxValue;

            Assert.Equal(exact, rule.TryToPsp(amount, currency, out var pspAmount));
            if (exact)
            {
                Assert.Equal(scaled / per, (BigInteger)pspAmount);
            }
        });

    [Fact]
    public void A_report_amount_in_major_units_reads_as_the_psp_amount_does() =>
        Gen.Select(AnyRule, AnyCurrency, AnyAmount).Sample((rule, currency, pspAmount) =>
        {
            var text = Major(pspAmount, rule.Exponent(currency));
            var parsed = rule.TryParseMajor(text, currency, out var fromText);
            var converted = rule.TryFromPsp(pspAmount, currency, out var fromAmount);

            Assert.Equal(converted, parsed);
            Assert.Equal(fromAmount, fromText);
        });

    [Theory]
    [InlineData("stripe", "USD", 1999, 1999)]
    [InlineData("stripe", "JPY", 500, 500)]
    [InlineData("stripe", "KWD", 1230, 1230)]
    [InlineData("stripe", "BHD", 10, 10)]
    [InlineData("stripe", "ISK", 1000, 100_000)]
    [InlineData("stripe", "MGA", 15_000, 150)]
    [InlineData("stripe", "HUF", 1050, 1050)]
    [InlineData("adyen", "USD", 1999, 1999)]
    [InlineData("adyen", "JPY", 500, 500)]
    [InlineData("adyen", "KWD", 1005, 1005)]
    [InlineData("adyen", "ISK", 1000, 100_000)]
    [InlineData("adyen", "CLP", 500, 50_000)]
    [InlineData("adyen", "IDR", 1_500_000, 15_000)]
    [InlineData("adyen", "CVE", 100, 1)]
    [InlineData("adyen", "MGA", 15_050, 15_050)]
    public void Each_psp_counts_a_currency_its_own_way(string psp, string currency, long minorUnits, long pspAmount)
    {
        var rule = PspAmountRule.For(psp);
        Assert.True(rule.TryToPsp(minorUnits, Currency.FromCode(currency), out var sent));
        Assert.Equal(pspAmount, sent);
        Assert.True(rule.TryFromPsp(pspAmount, Currency.FromCode(currency), out var read));
        Assert.Equal(minorUnits, read);
    }

    [Theory]
    [InlineData("stripe", "KWD", 1005)] // three decimals must end in 0
    [InlineData("stripe", "OMR", 1)]
    [InlineData("stripe", "MGA", 15_050)] // MGA has no decimals at Stripe
    [InlineData("adyen", "IDR", 1_500_050)] // nor IDR at Adyen
    [InlineData("adyen", "CVE", 150)]
    [InlineData("stripe", "ISK", long.MaxValue / 10)] // ×100 does not fit in a long
    [InlineData("adyen", "CLP", long.MinValue / 10)]
    public void An_amount_the_psp_cannot_represent_is_refused(string psp, string currency, long minorUnits) =>
        Assert.False(PspAmountRule.For(psp).TryToPsp(minorUnits, Currency.FromCode(currency), out _));

    [Theory]
    [InlineData("stripe", "ISK", 100_050)] // half a króna
    [InlineData("adyen", "CLP", 50_001)]
    public void A_psp_amount_with_more_decimals_than_iso_4217_is_not_read(string psp, string currency, long pspAmount)
    {
        Assert.False(PspAmountRule.For(psp).TryFromPsp(pspAmount, Currency.FromCode(currency), out _));
        Assert.Null(PspAmountRule.For(psp).MinorUnitsOf(pspAmount, currency));
    }

    [Theory]
    [InlineData("stripe", "JPY", "-500", -500)]
    [InlineData("stripe", "KWD", "1.230", 1230)]
    [InlineData("stripe", "ISK", "1000.00", 1000)]
    [InlineData("stripe", "ISK", "1000", 1000)]
    [InlineData("adyen", "IDR", "15000", 1_500_000)]
    [InlineData("adyen", "CLP", "500.00", 500)]
    public void Report_amounts_are_read_with_the_psps_decimals(string psp, string currency, string text, long minorUnits)
    {
        Assert.True(PspAmountRule.For(psp).TryParseMajor(text, Currency.FromCode(currency), out var read));
        Assert.Equal(minorUnits, read);
    }

    [Theory]
    [InlineData("stripe", "JPY", "1.5")]
    [InlineData("stripe", "ISK", "1000.50")]
    [InlineData("stripe", "KWD", "1.2345")]
    [InlineData("adyen", "IDR", "15000.00")]
    [InlineData("adyen", "USD", "1e3")]
    [InlineData("adyen", "USD", "1,000.00")]
    [InlineData("adyen", "USD", "")]
    [InlineData("adyen", "USD", "-")]
    [InlineData("adyen", "USD", "99999999999999999999")]
    public void Report_amounts_that_are_not_exact_are_refused(string psp, string currency, string text) =>
        Assert.False(PspAmountRule.For(psp).TryParseMajor(text, Currency.FromCode(currency), out _));

    private static long Step(PspAmountRule rule, Currency currency) =>
        rule == StripeAmountRule.Instance && currency.Code is "BHD" or "JOD" or "KWD" or "OMR" or "TND" ? 10
        : rule == StripeAmountRule.Instance && currency.Code == "ISK" ? 100
        : 1;

    private static string Major(long amount, int exponent)
    {
        var digits = BigInteger.Abs(amount).ToString(CultureInfo.InvariantCulture).PadLeft(exponent + 1, '0');
        var text = exponent == 0 ? digits : $"{digits[..^exponent]}.{digits[^exponent..]}";
        return amount < 0 ? "-" + text : text;
    }
}
