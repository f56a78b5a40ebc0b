using CsCheck;

namespace Obol.Core.Tests;

public class MoneyPropertyTests
{
    private static readonly Gen<Currency> AnyCurrency = Gen.OneOfConst(Currency.All.ToArray());

    [Fact]
    public void Allocation_by_ratios_always_sums_to_the_whole_and_is_fair() =>
        Gen.Select(Gen.Long, AnyCurrency, Gen.Long[0, 1_000_000].Array[1, 20])
            .Where(t => t.Item3.Any(r => r > 0))
            .Sample((amount, currency, ratios) =>
            {
                var money = new Money(amount, currency);
                var parts = money.Allocate(ratios);
                Int128 sum = 0;
                foreach (var part in parts)
                {
                    sum += part.MinorUnits;
                    Assert.Equal(currency, part.Currency);
                }

                Assert.Equal(ratios.Length, parts.Count);
                Assert.Equal((Int128)amount, sum);

                // Each part is within one minor unit of its exact share, and has the amount's sign (or is zero).
                Int128 total = ratios.Aggregate((Int128)0, (sum, r) => sum + r);
                for (var i = 0; i < ratios.Length; i++)
                {
                    var exactTimesTotal = (Int128)amount * ratios[i];
                    var partTimesTotal = (Int128)parts[i].MinorUnits * total;
                    Assert.True(Int128.Abs(partTimesTotal - exactTimesTotal) < total, $"part {i} is not within one unit of its share");
                    Assert.True(parts[i].MinorUnits == 0 || Math.Sign(parts[i].MinorUnits) == Math.Sign(amount));
                }
            });

    [Fact]
    public void Allocation_into_equal_parts_differs_by_at_most_one_unit() =>
        Gen.Select(Gen.Long, AnyCurrency, Gen.Int[1, 500]).Sample((amount, currency, count) =>
        {
            var parts = new Money(amount, currency).Allocate(count);
            Assert.Equal((Int128)amount, parts.Aggregate((Int128)0, (sum, p) => sum + p.MinorUnits));
            Assert.True(parts.Max(p => p.MinorUnits) - parts.Min(p => p.MinorUnits) <= 1);
        });

    [Fact]
    public void Addition_is_checked_and_exact() =>
        Gen.Select(Gen.Long, Gen.Long).Sample((a, b) =>
        {
            var usd = Currency.FromCode("USD");
            var exact = (Int128)a + b;
            if (exact > long.MaxValue || exact < long.MinValue)
            {
                Assert.Throws<OverflowException>(() => new Money(a, usd) + new Money(b, usd));
            }
            else
            {
                Assert.Equal((long)exact, (new Money(a, usd) + new Money(b, usd)).MinorUnits);
                Assert.Equal(a, (new Money(a, usd) + new Money(b, usd) - new Money(b, usd)).MinorUnits);
            }
        });

    [Fact]
    public void Decimal_form_round_trips_for_any_amount_and_currency() =>
        Gen.Select(Gen.Long, AnyCurrency).Sample((amount, currency) =>
        {
            var money = new Money(amount, currency);
            Assert.Equal(money, Money.Parse(money.ToDecimalString(), currency));
        });
}
