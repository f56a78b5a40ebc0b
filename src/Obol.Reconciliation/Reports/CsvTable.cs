using nietras.SeparatedValues;
using Obol.Core.CardNumbers;
using Obol.Core.Errors;

namespace Obol.Reconciliation.Reports;

/// <summary>A CSV report read into rows of the named columns (RFC 4180 quoting), or refused as a whole.</summary>
internal static class CsvTable
{
    /// <summary>The header's column names (a leading byte-order mark is ignored).</summary>
    public static IReadOnlyList<string> Header(string csv)
    {
        using var reader = Open(csv);
        return reader.Header.ColNames.ToList();
    }

    /// <summary>
    /// Each data row with its 1-based number and the values of <paramref name="required"/> then <paramref name="optional"/>
    /// columns, in that order; an optional column the report does not have reads as empty.
    /// </summary>
    /// <param name="identifiers">
    /// Columns that hold the PSP's own identifiers, which may be long digit runs: a value there that is exactly
    /// <paramref name="identifierShape"/> is not checked. Every other field of the report, and its header, is checked for
    /// something shaped like a card number, and a report with one is refused whole.
    /// </param>
    /// <param name="identifierShape">What an identifier that may look like a card number is shaped like.</param>
    public static IReadOnlyList<(int LineNumber, string[] Values)> Read(
        string csv, IReadOnlyList<string> required, IReadOnlyList<string>? optional = null,
        IReadOnlyCollection<string>? identifiers = null, System.Text.RegularExpressions.Regex? identifierShape = null)
    {
        optional ??= [];
        identifiers ??= [];
        using var reader = Open(csv);
        if (reader.Header.ColNames.Any(name => CardNumberDetector.ContainsCardNumber(name)))
        {
            throw Problems.CardNumberNotAllowed("The report's header holds what looks like one; nothing of the report was kept.");
        }

        var indexes = new int[required.Count + optional.Count];
        var missing = new List<string>();
        for (var i = 0; i < indexes.Length; i++)
        {
            var name = i < required.Count ? required[i] : optional[i - required.Count];
            if (!reader.Header.TryIndexOf(name, out indexes[i]))
            {
                indexes[i] = -1;
                if (i < required.Count)
                {
                    missing.Add(name);
                }
            }
        }

        if (missing.Count > 0)
        {
            throw ReconciliationProblems.InvalidSettlementReport($"The header lacks the column(s) {string.Join(", ", missing.Select(c => $"'{c}'"))}.");
        }

        var exempt = reader.Header.ColNames.Select(name => identifiers.Contains(name, StringComparer.Ordinal)).ToArray();
        try
        {
            var rows = new List<(int, string[])>();
            var number = 0;
            foreach (var row in reader)
            {
                number++;
                for (var i = 0; i < row.ColCount; i++)
                {
                    var field = row[i].Span;
                    var identifier = i < exempt.Length && exempt[i] && identifierShape is not null && identifierShape.IsMatch(field);
                    if (!identifier && CardNumberDetector.ContainsCardNumber(field))
                    {
                        throw Problems.CardNumberNotAllowed(
                            $"Row {number}, column {(i < exempt.Length ? $"'{reader.Header.ColNames[i]}'" : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))}, holds what looks like one; nothing of the report was kept.");
                    }
                }

                var values = new string[indexes.Length];
                for (var i = 0; i < indexes.Length; i++)
                {
                    values[i] = indexes[i] < 0 ? "" : row[indexes[i]].ToString().Trim();
                }

                rows.Add((number, values));
            }

            return rows;
        }
        catch (InvalidDataException)
        {
            // Sep's message quotes the row, which may hold anything: it is not passed on.
            throw ReconciliationProblems.InvalidSettlementReport("A row does not have the header's columns, or has an unclosed quote.");
        }
    }

    private static SepReader Open(string csv)
    {
        csv = csv.TrimStart('\uFEFF');
        if (string.IsNullOrWhiteSpace(csv))
        {
            throw ReconciliationProblems.InvalidSettlementReport("The report is empty; it needs at least its header row.");
        }

        try
        {
            return Sep.New(',').Reader(o => o with { Unescape = true }).FromText(csv);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            throw ReconciliationProblems.InvalidSettlementReport("The header cannot be read: a column name is repeated or a quote is not closed.");
        }
    }
}
