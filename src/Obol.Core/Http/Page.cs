using Obol.Core.Errors;

namespace Obol.Core.Http;

/// <summary>A page of a list, newest first: <c>{ "data": [...], "hasMore": bool }</c>.</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, bool HasMore);

/// <summary><c>?limit=</c> (1–100, default 20) and <c>?startingAfter=&lt;id&gt;</c>.</summary>
public sealed record PageRequest(int Limit, string? StartingAfter)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static PageRequest From(int? limit, string? startingAfter)
    {
        if (limit is < 1 or > MaxLimit)
        {
            throw Problems.Validation("limit", $"Must be between 1 and {MaxLimit}.");
        }

        return new PageRequest(limit ?? DefaultLimit, string.IsNullOrEmpty(startingAfter) ? null : startingAfter);
    }

    /// <summary>Builds the page from up to <c>Limit + 1</c> rows fetched newest first.</summary>
    public Page<T> ToPage<T>(IReadOnlyList<T> rowsPlusOne) =>
        new(rowsPlusOne.Take(Limit).ToList(), rowsPlusOne.Count > Limit);
}
