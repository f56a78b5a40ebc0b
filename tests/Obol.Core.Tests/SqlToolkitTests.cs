using System.Globalization;
using Obol.Core.Storage;

namespace Obol.Core.Tests;

/// <summary>Lists and rows passed to SQL (<see cref="DbSession.InList"/>, <see cref="RowShape{T}"/>, <see cref="DbSession.JoinEach"/>) on both databases.</summary>
public class SqlToolkitTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2026-11-25T10:00:00.1234567+02:00", CultureInfo.InvariantCulture);

    private static readonly RowShape<Thing> Things = new RowShape<Thing>()
        .Text("id", t => t.Id)
        .Bigint("n", t => t.N)
        .Bigint("maybe_n", t => t.MaybeN)
        .Int4("i", t => t.I)
        .Timestamp("at", t => t.At)
        .Timestamp("maybe_at", t => t.MaybeAt)
        .Text("label", t => t.Label);

    private static readonly RowShape<string> Ids = new RowShape<string>().Text("id", id => id);

    private static readonly Thing[] Sample =
    [
        new("a", long.MaxValue, null, int.MinValue, At, null, "it's \"quoted\" ünïcødé ✓"),
        new("b", -1, 42, 7, At.AddDays(-400), At.AddTicks(5), null),
        new("c", 0, long.MinValue, 0, At.AddYears(30), At.AddYears(-20), ""),
    ];

    [Fact]
    public void The_shape_spells_its_columns_once_for_every_form()
    {
        Assert.Equal("id, n, maybe_n, i, at, maybe_at, label", Things.Columns);
        Assert.Equal(
            """[["b",-1,42,7,"2025-10-21T08:00:00.123456Z","2026-11-25T08:00:00.123457Z",null]]""",
            Things.Json([Sample[1]]));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite, false)]
    [InlineData(DatabaseProvider.Postgres, false)]
    [InlineData(DatabaseProvider.Postgres, true)]
    public async Task Rows_written_as_a_table_or_copied_read_back_as_they_were(DatabaseProvider provider, bool copy)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);
        await database.WriteAsync(async s =>
        {
            await CreateThingsAsync(s);
            if (copy)
            {
                await Things.CopyAsync(s, "things", Sample);
            }
            else
            {
                await s.ExecuteAsync(
                    $"INSERT INTO things ({Things.Columns}) SELECT {Things.Columns} FROM {Things.From(s, "rows", "r")} WHERE true ON CONFLICT (id) DO NOTHING",
                    Things.Bind(s, "rows", Sample));
            }

            return 0;
        }, CancellationToken.None);

        var stored = await database.ReadAsync(s => s.QueryAsync<ThingRow>("SELECT id AS Id, n AS N, maybe_n AS MaybeN, i AS I, at AS At, maybe_at AS MaybeAt, label AS Label FROM things ORDER BY id"), CancellationToken.None);
        Assert.Equal(Sample.Select(t => t with { At = StoredInstant.Of(t.At), MaybeAt = t.MaybeAt is { } m ? StoredInstant.Of(m) : null }), stored.Select(r => r.ToThing()));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_table_of_rows_updates_with_the_other_parameters_of_its_statement(DatabaseProvider provider)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);
        var updated = await database.WriteAsync(async s =>
        {
            await CreateThingsAsync(s);
            await Things.CopyOrInsertAsync(s, Sample);
            var changes = new[] { Sample[0] with { N = 5, Label = null }, Sample[2] with { N = 6, Label = "six" }, Sample[1] with { Id = "missing" } };
            return await s.QueryAsync<string>(
                $"UPDATE things SET n = u.n + @plus, label = u.label FROM {Things.From(s, "changes", "u")} WHERE things.id = u.id RETURNING things.id",
                Things.Bind(s, "changes", changes, new { plus = 100 }));
        }, CancellationToken.None);

        Assert.Equal(["a", "c"], updated.Order(StringComparer.Ordinal));
        var stored = await database.ReadAsync(s => s.QueryAsync<(string, long, string?)>("SELECT id, n, label FROM things ORDER BY id"), CancellationToken.None);
        Assert.Equal([("a", 105L, null), ("b", -1L, null), ("c", 106L, "six")], stored);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_list_parameter_of_any_length_is_one_parameter(DatabaseProvider provider)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);
        var ids = Enumerable.Range(0, 40_000).Select(i => $"w{i}").Append("a").Append("c").ToList();
        var found = await database.WriteAsync(async s =>
        {
            await CreateThingsAsync(s);
            await Things.CopyOrInsertAsync(s, Sample);
            return await s.QueryAsync<string>($"SELECT id FROM things WHERE {s.InList("id", "ids")} ORDER BY id", new { ids = s.ListOf(ids) });
        }, CancellationToken.None);

        Assert.Equal(["a", "c"], found);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_key_table_drives_a_lookup_one_key_at_a_time(DatabaseProvider provider)
    {
        await using var database = await StorageFixture.CreateMigratedAsync(provider);
        var found = await database.WriteAsync(async s =>
        {
            await CreateThingsAsync(s);
            await Things.CopyOrInsertAsync(s, Sample);
            return await s.QueryAsync<(string, long)>(
                $"SELECT t.id, t.n FROM {Ids.From(s, "keys", "k")} {s.JoinEach("things", "t", "t.id = k.id AND t.n <> @skip")} ORDER BY t.id",
                Ids.Bind(s, "keys", ["c", "nope", "b", "a"], new { skip = -1L }));
        }, CancellationToken.None);

        Assert.Equal([("a", long.MaxValue), ("c", 0L)], found);
    }

    private static Task<int> CreateThingsAsync(DbSession session) =>
        session.ExecuteAsync(session.Sql(
            "CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL, maybe_n INTEGER, i INTEGER NOT NULL, at TEXT NOT NULL, maybe_at TEXT, label TEXT)",
            "CREATE TABLE things (id text PRIMARY KEY, n bigint NOT NULL, maybe_n bigint, i integer NOT NULL, at timestamptz NOT NULL, maybe_at timestamptz, label text)"));

    internal sealed record Thing(string Id, long N, long? MaybeN, int I, DateTimeOffset At, DateTimeOffset? MaybeAt, string? Label);

    private sealed class ThingRow
    {
        public string Id { get; init; } = "";
        public long N { get; init; }
        public long? MaybeN { get; init; }
        public long I { get; init; }
        public DateTimeOffset At { get; init; }
        public DateTimeOffset? MaybeAt { get; init; }
        public string? Label { get; init; }

        public Thing ToThing() => new(Id, N, MaybeN, checked((int)I), At, MaybeAt, Label);
    }
}

internal static class ThingsExtensions
{
    public static Task CopyOrInsertAsync<T>(this RowShape<T> shape, DbSession session, IReadOnlyList<T> rows) =>
        session.IsPostgres
            ? shape.CopyAsync(session, "things", rows)
            : session.ExecuteAsync($"INSERT INTO things ({shape.Columns}) SELECT {shape.Columns} FROM {shape.From(session, "rows", "r")}", shape.Bind(session, "rows", rows));
}
