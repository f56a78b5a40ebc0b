using nietras.SeparatedValues;

namespace Obol.Reconciliation.Reports;

/// <summary>A CSV report read into rows of the named columns (RFC 4180 quoting), or refused as a whole.</summary>
internal static class CsvTable
{
    /// <summary>Each data row with its 1-based number and the values of <paramref name="columns"/>, in that order.</summary>
    public static IReadOnlyList<(int LineNumber, string[] Values)> Read(string csv, IReadOnlyList<string> columns)
    {
        if (string.IsNullOrWhiteSpace(csv))
        {
            throw SettlementReportProblems.Invalid("The report is empty; it needs at least its header row.");
        }

        try
        {
            using var reader = Sep.New(',').Reader(o => o with { Unescape = true }).FromText(csv);
            var indexes = new int[columns.Count];
            var missing = new List<string>();
            for (var i = 0; i < columns.Count; i++)
            {
                if (!reader.Header.TryIndexOf(columns[i], out indexes[i]))
                {
                    missing.Add(columns[i]);
                }
            }

            if (missing.Count > 0)
            {
                throw SettlementReportProblems.Invalid($"The header lacks the column(s) {string.Join(", ", missing.Select(c => $"'{c}'"))}.");
            }

            var rows = new List<(int, string[])>();
            var number = 0;
            foreach (var row in reader)
            {
                number++;
                var values = new string[indexes.Length];
                for (var i = 0; i < indexes.Length; i++)
                {
                    values[i] = row[indexes[i]].ToString().Trim();
                }

                rows.Add((number, values));
            }

            return rows;
        }
        catch (InvalidDataException e)
        {
            throw SettlementReportProblems.Invalid(e.Message);
        }
    }
}
