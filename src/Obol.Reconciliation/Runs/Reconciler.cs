using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Ledger;
using Obol.Payments.Settlements;
using Obol.Reconciliation.Matching;
using Obol.Reconciliation.Reports;

namespace Obol.Reconciliation.Runs;

/// <summary>
/// Reconciles one settlement report: every row is matched to the payment or refund Obol recorded, matching rows
/// are booked (<see cref="SettlementPostings"/>), everything else is recorded as a discrepancy, and captures and
/// refunds Obol recorded on the report's day that no report has shown are reported as missing.
/// <para>
/// Rows go in chunks, each its own transaction, so the merchant accounts every row books against are locked for
/// one chunk at a time, not for the whole report. Any run may be repeated or run twice at once: a row is booked
/// once (the ledger's external id and a unique index on booked rows), and a chunk that lost that race is redone
/// and then finds the row booked.
/// </para>
/// </summary>
public sealed class Reconciler(Database database, ILedger ledger, IPaymentSettlementLookup payments, IdGenerator ids, TimeProvider clock, ReconciliationOptions options)
{
    public async Task<string> ReconcileAsync(string psp, DateOnly reportDate, string report, string source, CancellationToken cancellationToken)
    {
        var lines = SettlementReports.Parse(psp, report);
        var runId = ids.New("rcn");
        var startedAt = Now();
        var tally = new Tally();

        foreach (var chunk in lines.Chunk(Math.Max(1, options.RowsPerTransaction)))
        {
            tally = tally.Add(await WriteChunkAsync(psp, runId, chunk, cancellationToken));
        }

        await database.WriteAsync(async session =>
        {
            var missing = await MissingAsync(session, psp, runId, reportDate);
            await ReconciliationStore.InsertDiscrepanciesAsync(session, missing);
            await ReconciliationStore.InsertRunAsync(session, new RunRecord(
                runId, psp, reportDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), source,
                Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(report))),
                lines.Count, tally.Matched, tally.AlreadyReconciled, tally.Discrepancies + missing.Count, startedAt, Now()));
        }, cancellationToken);
        return runId;
    }

    private async Task<Tally> WriteChunkAsync(string psp, string runId, SettlementLine[] chunk, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await database.WriteAsync(session => ReconcileChunkAsync(session, psp, runId, chunk), cancellationToken);
            }
            catch (DbException e) when (Database.IsUniqueViolation(e) && attempt < 3)
            {
                // A concurrent run booked one of these rows (or movements) first; redone, the chunk sees its booking.
            }
        }
    }

    private async Task<Tally> ReconcileChunkAsync(DbSession session, string psp, string runId, SettlementLine[] chunk)
    {
        var booked = await ReconciliationStore.BookedLinesAsync(session, psp, chunk.Select(l => l.LineId).Distinct(StringComparer.Ordinal).ToList());
        var fresh = chunk.Where(l => !booked.ContainsKey(l.LineId)).ToList();
        var candidates = await payments.FindAsync(session, psp,
            fresh.Select(l => l.PaymentReference).OfType<string>().Distinct(StringComparer.Ordinal).ToList(),
            fresh.Select(l => l.MerchantReference).OfType<string>().Distinct(StringComparer.Ordinal).ToList());
        var settled = await ReconciliationStore.SettledMovementsAsync(session, psp, candidates.Select(p => p.Id).ToList());

        var decided = new List<(SettlementLine Line, LineMatch Match)>(chunk.Length);
        foreach (var line in chunk)
        {
            if (booked.TryGetValue(line.LineId, out var earlier))
            {
                decided.Add((line, Recognised(line, earlier)));
                continue;
            }

            var match = SettlementMatcher.Match(line, psp, SettlementMatcher.PaymentFor(line, psp, candidates));
            if (match.IsMatched)
            {
                var movement = (ReconciliationStore.KindText(line.Kind), match.Payment!.Id, match.Refund?.Id ?? "");
                var bookedLine = new ReconciliationStore.BookedLine
                {
                    LineId = line.LineId, Kind = movement.Item1, Gross = line.Gross, Fee = line.Fee, Currency = line.Currency,
                };
                if (settled.TryGetValue(movement, out var settledBy))
                {
                    // Settled by this very row when a concurrent run committed between the two reads above.
                    match = settledBy.LineId == line.LineId
                        ? Recognised(line, settledBy)
                        : match with { Outcome = LineOutcomes.AlreadySettled, Detail = $"Row {settledBy.LineId} already settled this {movement.Item1}." };
                }
                else
                {
                    settled[movement] = bookedLine;
                    booked[line.LineId] = bookedLine;
                }
            }

            decided.Add((line, match));
        }

        var transactionIds = await BookAsync(session, psp, runId, decided);
        var records = decided.Select((d, i) => transactionIds[i] is { Rejection: { } rejection }
                ? new LineRecord(runId, d.Line, psp, d.Match with { Outcome = LineOutcomes.BookingRejected, Detail = $"{rejection.Code}: {rejection.Detail}" }, null)
                : new LineRecord(runId, d.Line, psp, d.Match, transactionIds[i]?.TransactionId))
            .ToList();
        await ReconciliationStore.InsertLinesAsync(session, records);

        var now = Now();
        var discrepancies = records
            .Where(r => r.Match.Outcome is not (LineOutcomes.Matched or LineOutcomes.AlreadyReconciled))
            .Select(r => new DiscrepancyRecord(ids.New("rdc"), runId, psp, r.Match.Outcome, r.Line.LineId, r.Match.Payment?.Id,
                r.Match.Payment?.MerchantId, r.Match.Refund?.Id, r.Line.Currency, r.Match.ExpectedAmount, r.Line.Gross,
                r.Match.Detail ?? r.Match.Outcome, now))
            .ToList();
        await ReconciliationStore.InsertDiscrepanciesAsync(session, discrepancies);
        return new Tally
        {
            Matched = records.Count(r => r.Match.IsMatched),
            AlreadyReconciled = records.Count(r => r.Match.Outcome == LineOutcomes.AlreadyReconciled),
            Discrepancies = discrepancies.Count,
        };
    }

    /// <summary>A row an earlier run booked: the same again, or changed since.</summary>
    private static LineMatch Recognised(SettlementLine line, ReconciliationStore.BookedLine earlier) =>
        earlier.SameAs(line)
            ? new LineMatch(LineOutcomes.AlreadyReconciled)
            : new LineMatch(LineOutcomes.LineChanged,
                Detail: $"Booked earlier as a {earlier.Kind} of {earlier.Gross} {earlier.Currency} with fee {earlier.Fee}; now a {ReconciliationStore.KindText(line.Kind)} of {line.Gross} {line.Currency} with fee {line.Fee}.");

    private sealed record Booking(string? TransactionId, Core.Errors.ProblemException? Rejection);

    /// <summary>Books the matched rows, per merchant in one call; the result lines up with <paramref name="decided"/>.</summary>
    private async Task<Booking?[]> BookAsync(DbSession session, string psp, string runId, List<(SettlementLine Line, LineMatch Match)> decided)
    {
        var results = new Booking?[decided.Count];
        var postings = new SettlementPostings(ledger);
        var byMerchant = Enumerable.Range(0, decided.Count)
            .Where(i => decided[i].Match.IsMatched)
            .GroupBy(i => decided[i].Match.Payment!.MerchantId, StringComparer.Ordinal);
        foreach (var merchant in byMerchant)
        {
            var indexes = merchant.ToList();
            var transactions = new List<NewTransaction>(indexes.Count);
            foreach (var i in indexes)
            {
                transactions.Add(await postings.TransactionAsync(session, psp, runId, decided[i].Line, decided[i].Match));
            }

            var outcomes = await ledger.CreateTransactionsAsync(session, merchant.Key, transactions);
            for (var k = 0; k < indexes.Count; k++)
            {
                results[indexes[k]] = new Booking(outcomes[k].Booked?.Transaction.Id, outcomes[k].Rejection);
            }
        }

        return results;
    }

    /// <summary>
    /// Captures and refunds Obol recorded on <paramref name="reportDate"/> (UTC) through this PSP that no report has
    /// shown. Obol records a movement when the PSP answers, so never before the PSP's own time for it: one near midnight
    /// can sit in the day before's report, which is why any report counts, provided the days are reconciled in order.
    /// </summary>
    private async Task<List<DiscrepancyRecord>> MissingAsync(DbSession session, string psp, string runId, DateOnly reportDate)
    {
        var from = new DateTimeOffset(reportDate.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var recorded = await payments.RecordedBetweenAsync(session, psp, from, from.AddDays(1));
        var reported = await ReconciliationStore.ReportedMovementsAsync(session, psp, recorded.Select(m => m.PaymentId).ToList());
        var now = Now();
        return recorded
            .Where(m => !reported.Contains((m.Kind == RecordedMovementKind.Capture ? "capture" : "refund", m.PaymentId, m.RefundId ?? "")))
            .Select(m => new DiscrepancyRecord(ids.New("rdc"), runId, psp, LineOutcomes.MissingFromReport, null, m.PaymentId, m.MerchantId,
                m.RefundId, m.Currency, null, null,
                m.Kind == RecordedMovementKind.Capture
                    ? $"Obol recorded the capture of {m.PaymentId} at {m.RecordedAt:O}; no settlement report has shown it."
                    : $"Obol recorded refund {m.RefundId} of {m.PaymentId} at {m.RecordedAt:O}; no settlement report has shown it.",
                now))
            .ToList();
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }

    private sealed class Tally
    {
        public int Matched { get; init; }
        public int AlreadyReconciled { get; init; }
        public int Discrepancies { get; init; }

        public Tally Add(Tally other) => new()
        {
            Matched = Matched + other.Matched,
            AlreadyReconciled = AlreadyReconciled + other.AlreadyReconciled,
            Discrepancies = Discrepancies + other.Discrepancies,
        };
    }
}
