using Microsoft.Extensions.Time.Testing;
using Obol.Core.Identity;

namespace Obol.Core.Tests;

public class IdGeneratorTests
{
    [Fact]
    public void Ids_have_the_prefix_and_a_26_character_body()
    {
        var id = new IdGenerator(TimeProvider.System).New("pay");
        Assert.StartsWith("pay_", id, StringComparison.Ordinal);
        Assert.Equal(30, id.Length);
        Assert.True(IdGenerator.HasShape(id, "pay"));
        Assert.False(IdGenerator.HasShape(id, "re"));
    }

    [Fact]
    public void Ids_sort_by_creation_time()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var ids = new IdGenerator(clock);
        var created = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            created.Add(ids.New("evt"));
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(created, created.OrderBy(x => x, StringComparer.Ordinal));
    }

    [Fact]
    public void Ids_made_in_the_same_millisecond_are_distinct()
    {
        var ids = new IdGenerator(new FakeTimeProvider());
        var made = Enumerable.Range(0, 10_000).Select(_ => ids.New("txn")).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(10_000, made.Count);
    }

    [Fact]
    public void A_parts_id_carries_its_parents_body_and_sorts_by_index_after_it()
    {
        var parent = new IdGenerator(TimeProvider.System).New("txn");
        var parts = Enumerable.Range(0, 1024).Select(i => IdGenerator.Part("tr", parent, i)).ToList();

        Assert.All(parts, p => Assert.Equal("tr_" + parent["txn_".Length..], p[..^2]));
        Assert.Equal(1024, parts.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(parts, parts.Order(StringComparer.Ordinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => IdGenerator.Part("tr", parent, 1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => IdGenerator.Part("tr", parent, -1));
    }
}
