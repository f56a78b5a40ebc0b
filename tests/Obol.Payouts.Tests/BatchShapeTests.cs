using Obol.Payouts.Tests.Support;

namespace Obol.Payouts.Tests;

public sealed class BatchShapeTests
{
    private readonly DasherPayoutService _service = new();

    public BatchShapeTests() =>
        _service.AddOrUpdatePayoutMetadata("d1", basePayRate: 2, bonusPay: 1, deliveryCountsToGetBonus: 1);

    [Fact]
    public void Lazy_sequence_of_unknown_length_is_recorded_whole()
    {
        static IEnumerable<string> Deliveries()
        {
            for (var i = 0; i < 1_000; i++)
            {
                yield return Records.End($"O{i}", i);
                yield return Records.Start($"O{i}", i);
            }
        }

        _service.AddDeliveryActivity("d1", Deliveries());

        Assert.Equal(1_000 * (2 + 1), _service.Payout("d1"));
    }

    [Fact]
    public void Batch_larger_than_the_seed_limit_of_100_is_accepted()
    {
        var records = Enumerable.Range(0, 5_000)
            .SelectMany(i => new[] { Records.Start($"O{i}", i % 1440), Records.End($"O{i}", i % 1440) })
            .ToList();

        _service.AddDeliveryActivity("d1", records);

        Assert.Equal(5_000 * (2 + 1), _service.Payout("d1"));
    }

    [Fact]
    public void Small_batches_after_a_large_one_still_pair_with_it()
    {
        _service.AddDeliveryActivity("d1", Enumerable.Range(0, 3_000).Select(i => Records.Start($"O{i}", "10:00")).ToArray());

        for (var i = 0; i < 3_000; i += 100)
        {
            _service.AddDeliveryActivity("d1", Enumerable.Range(i, 100).Select(j => Records.End($"O{j}", "10:01")).ToArray());
        }

        Assert.Equal(3_000 * ((2 * 2) + 1), _service.Payout("d1"));
        Assert.Throws<ArgumentException>(() => _service.AddDeliveryActivity("d1", [Records.End("O2999", "10:02")]));
    }

    [Fact]
    public void Failed_lazy_sequence_after_many_records_applies_nothing()
    {
        static IEnumerable<string> Deliveries()
        {
            for (var i = 0; i < 500; i++)
            {
                yield return Records.Start($"O{i}", i);
                yield return Records.End($"O{i}", i);
            }

            throw new InvalidDataException("the producer broke");
        }

        Assert.Throws<InvalidDataException>(() => _service.AddDeliveryActivity("d1", Deliveries()));

        Assert.Equal(0, _service.Payout("d1"));
    }
}
