using System.Numerics;
using CsCheck;
using Obol.Core;
using Obol.Fx.Quotes;
using Obol.Fx.Rates;
using Obol.Payments.Bookkeeping;

namespace Obol.Fx.Tests;

public class ConversionTests
{
    private static readonly Currency[] Currencies = new[] { "JPY", "KRW", "USD", "EUR", "GBP", "KWD", "BHD", "JOD", "CLF" }.Select(Currency.FromCode).ToArray();

    /// <summary>A positive rate with up to 10 significant digits, from 1e-6 to 1e5 (IDR per KWD is about 5e4).</summary>
    private static readonly Gen<decimal> Rate =
        Gen.Select(Gen.Long[1, 9_999_999_999], Gen.Int[0, 16], (mantissa, scale) => (decimal)mantissa / Pow10(scale))
            .Where(r => r is >= 0.000001m and <= 100_000m);

    /// <summary>Up to a billion minor units either way: with the rates above and exponents 0 to 4, every conversion fits in a long.</summary>
    private static readonly Gen<Money> Amount =
        Gen.Select(Gen.OneOfConst(Currencies), Gen.Long[-1_000_000_000, 1_000_000_000], (c, units) => new Money(units, c));

    [Fact]
    public void Converting_rounds_once_half_to_even_to_the_nearest_minor_unit()
    {
        Gen.Select(Amount, Gen.OneOfConst(Currencies), Rate).Sample((amount, to, rate) =>
        {
            var converted = Conversion.Convert(amount, to, rate);

            // exact = amount × rate × 10^(to − from) as a fraction; the result is within half a minor unit of it.
            var (mantissa, scale) = Conversion.Decompose(rate);
            var numerator = amount.MinorUnits * mantissa * BigInteger.Pow(10, to.Exponent);
            var denominator = BigInteger.Pow(10, scale + amount.Currency.Exponent);
            var error = BigInteger.Abs((converted.MinorUnits * denominator) - numerator) * 2;
            Assert.True(error <= denominator, $"{amount} at {rate} gave {converted}");
            if (error == denominator)
            {
                Assert.True(converted.MinorUnits % 2 == 0, $"a tie must go to the even neighbour: {amount} at {rate} gave {converted}");
            }
        });
    }

    [Fact]
    public void Converting_never_grows_with_a_smaller_rate_and_keeps_the_sign()
    {
        Gen.Select(Amount, Gen.OneOfConst(Currencies), Rate, Gen.Int[0, 9999]).Sample((amount, to, rate, bps) =>
        {
            var mid = Conversion.Convert(amount, to, rate);
            var net = Conversion.Convert(amount, to, Conversion.LessMargin(rate, bps));
            Assert.True(Math.Abs(net.MinorUnits) <= Math.Abs(mid.MinorUnits));
            Assert.True(Math.Sign(mid.MinorUnits) is var sign && (sign == 0 || sign == Math.Sign(amount.MinorUnits)));
        });
    }

    [Fact]
    public void A_settlement_is_the_net_amount_plus_the_margin_exactly()
    {
        Gen.Select(Gen.Long[1, 1_000_000_000], Gen.OneOfConst(Currencies), Gen.OneOfConst(Currencies), Rate, Gen.Int[0, 9999])
            .Where((_, from, to, _, _) => from != to)
            .Sample((units, from, to, mid, bps) =>
            {
                var quote = Quote(from, to, mid, bps);
                var settlement = quote.Settle(new Money(units, from));
                Assert.Equal(settlement.AtMidRate, settlement.Net + settlement.Margin);
                Assert.False(settlement.Margin.IsNegative);
                Assert.Equal(to, settlement.Net.Currency);
            });
    }

    [Fact]
    public void The_refund_shares_of_a_fully_refunded_payment_give_back_exactly_what_its_capture_credited()
    {
        Gen.Select(Gen.Long[1, 10_000_000_000], Gen.Long[0, 10_000_000_000], Gen.Int[1, 12].SelectMany(n => Gen.Long[1, 1000].Array[n]))
            .Sample((captured, credited, weights) =>
            {
                var parts = new Money(captured, Currency.FromCode("JPY")).Allocate(weights).Select(m => m.MinorUnits).Where(p => p > 0).ToList();
                long refunded = 0, takenBack = 0;
                foreach (var part in parts)
                {
                    var share = SettlementConversions.Share(credited, refunded + part, captured) - SettlementConversions.Share(credited, refunded, captured);
                    Assert.True(share >= 0);
                    takenBack += share;
                    refunded += part;
                }

                Assert.Equal(credited, takenBack);
            });
    }

    [Fact]
    public void A_cross_rate_keeps_ten_significant_digits_and_rounds_once()
    {
        Gen.Select(Rate, Rate).Sample((fromPerBase, toPerBase) =>
        {
            var cross = Conversion.Cross(fromPerBase, toPerBase);

            // cross = c / 10^cs and exact = (t / 10^ts) / (f / 10^fs); the error is at most half a unit of cross's tenth
            // significant digit: 2 × |c × f × 10^ts − t × 10^(fs+cs)| × 10^(digits-1-magnitude) ≤ f × 10^(ts+cs) (scaled to integers).
            var (c, cs) = Conversion.Decompose(cross);
            var (t, ts) = Conversion.Decompose(toPerBase);
            var (f, fs) = Conversion.Decompose(fromPerBase);
            var unitExponent = Magnitude(cross) - Conversion.SignificantDigits + 1;
            var error = BigInteger.Abs((c * f * BigInteger.Pow(10, ts)) - (t * BigInteger.Pow(10, fs + cs))) * 2;
            var bound = f * BigInteger.Pow(10, ts + cs);
            Assert.True(unitExponent >= 0
                ? error <= bound * BigInteger.Pow(10, unitExponent)
                : error * BigInteger.Pow(10, -unitExponent) <= bound, $"{toPerBase}/{fromPerBase} gave {cross}");
        });
    }

    [Fact]
    public void An_amount_that_does_not_fit_after_conversion_is_refused()
    {
        var yen = new Money(long.MaxValue / 2, Currency.FromCode("JPY"));
        Assert.Throws<OverflowException>(() => Conversion.Convert(yen, Currency.FromCode("KWD"), 10m));
    }

    [Theory]
    [InlineData(1000, "JPY", "USD", "0.0066666667", 667)]   // ¥1000 → 666.66667 cents
    [InlineData(1000, "USD", "JPY", "150", 1500)]           // $10.00 → ¥1500
    [InlineData(1005, "KWD", "USD", "3.25", 327)]           // 1.005 KWD → $3.26625 → 327 cents (3.266 rounds up)
    [InlineData(125, "USD", "EUR", "0.5", 62)]              // 62.5 cents: a tie, to the even 62
    [InlineData(135, "USD", "EUR", "0.5", 68)]              // 67.5 cents: a tie, to the even 68
    [InlineData(100, "USD", "KWD", "0.30705", 307)]         // $1.00 → 307.05 fils
    public void Known_conversions(long units, string from, string to, string rate, long expected) =>
        Assert.Equal(expected, Conversion.Convert(new Money(units, Currency.FromCode(from)), Currency.FromCode(to),
            decimal.Parse(rate, System.Globalization.CultureInfo.InvariantCulture)).MinorUnits);

    internal static FxQuote Quote(Currency from, Currency to, decimal mid, int bps) => new()
    {
        Id = "fxq_test",
        MerchantId = "mer_test",
        From = from,
        To = to,
        MidRate = mid,
        MarginBasisPoints = bps,
        Rate = Conversion.LessMargin(mid, bps),
        RateSetId = "fxr_test",
        RateSource = "test",
        RatePublishedAt = DateTimeOffset.UnixEpoch,
        CreatedAt = DateTimeOffset.UnixEpoch,
        ExpiresAt = DateTimeOffset.UnixEpoch,
    };

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }

    /// <summary>The power of ten of a positive decimal's leading digit.</summary>
    private static int Magnitude(decimal value)
    {
        var magnitude = 0;
        while (value >= 10)
        {
            value /= 10;
            magnitude++;
        }

        while (value < 1)
        {
            value *= 10;
            magnitude--;
        }

        return magnitude;
    }
}
