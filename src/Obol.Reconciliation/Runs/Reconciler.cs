using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Obol.Core;
using Obol.Core.Events;
using Obol.Core.Identity;
using Obol.Core.Storage;
using Obol.Fx;
using Obol.Fx.Rates;
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
/// <para>
/// Each unit of work reports what it changed (<see cref="DiscrepancyEvents"/>): the discrepancies it recorded, and the open
/// ones its rows superseded.
/// </para>
/// </summary>
internal sealed class Reconciler(
    Database database, ILedger ledger, IPaymentSettlementLookup payments, IFx fx, IdGenerator ids, TimeProvider clock, ReconciliationOptions options,
    IEventOutbox outbox)
{
    private readonly DiscrepancyEvents _events = new(outbox, options);

    /// <param name="reportAsOf">When the PSP produced the report, if known (a fetch); bounds the missing check for a day not yet over.</param>
    public async Task<string> ReconcileAsync(
        string psp, DateOnly reportDate, string report, string source, DateTimeOffset? reportAsOf, CancellationToken cancellationToken)
    {
        var lines = SettlementReports.Parse(psp, report);
        EnsureRowsAreAbout(reportDate, lines);
        var runId = ids.New("rcn");
        var day = reportDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await database.WriteAsync(s => ReconciliationStore.InsertRunAsync(s, new RunRecord(
            runId, psp, day, source, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(report))), lines.Count,
            RunStatuses.Running, null, null, null, null, Now(), null)), cancellationToken);
        try
        {
            var tally = new Tally();
            foreach (var chunk in lines.Chunk(Math.Max(1, options.RowsPerTransaction)))
            {
                tally = tally.Add(await WriteChunkAsync(psp, runId, chunk, cancellationToken));
            }

            var reportedUntil = MissingCheckEnd(reportDate, lines, reportAsOf);
            await database.WriteAsync(async session =>
            {
                var missing = await MissingAsync(session, psp, runId, reportDate, reportedUntil);
                missing.AddRange(await UnappliedAsync(session, psp, runId, reportDate));
                await ReconciliationStore.InsertDiscrepanciesAsync(session, missing);
                await _events.OpenedAsync(session, missing);
                await ReconciliationStore.CompleteRunAsync(session, runId, tally.Matched, tally.AlreadyReconciled, tally.Discrepancies + missing.Count, Now());
            }, cancellationToken);
            return runId;
        }
        catch (Exception exception) when (exception is DbException or OperationCanceledException or Core.Errors.ProblemException)
        {
            // What committed stays committed (each chunk is whole); the run says it stopped, and a later run of the day carries on.
            await database.WriteAsync(s => ReconciliationStore.FailRunAsync(s, runId, exception.Message, Now()), CancellationToken.None);
            throw;
        }
    }

    /// <summary>A report declared for one day whose rows are all days away from it is the wrong file, or the wrong date.</summary>
    private static void EnsureRowsAreAbout(DateOnly reportDate, IReadOnlyList<SettlementLine> lines)
    {
        var from = new DateTimeOffset(reportDate.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(-1);
        var movements = lines.Where(l => l.Kind != SettlementLineKind.Other).ToList();
        if (movements.Count > 0 && !movements.Any(l => l.OccurredAt >= from && l.OccurredAt < from.AddDays(3)))
        {
            throw ReconciliationProblems.SettlementReportDateMismatch(reportDate, movements.Min(l => l.OccurredAt), movements.Max(l => l.OccurredAt));
        }
    }

    /// <summary>
    /// The end of what the report can show: the end of its day, or for a day not yet over when the run starts, when the
    /// report was produced (a fetch) or else its latest row (an upload): movements after that are in a later report.
    /// </summary>
    private DateTimeOffset MissingCheckEnd(DateOnly reportDate, IReadOnlyList<SettlementLine> lines, DateTimeOffset? reportAsOf)
    {
        var dayEnd = new DateTimeOffset(reportDate.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1);
        if (dayEnd <= clock.GetUtcNow())
        {
            return dayEnd;
        }

        var asOf = reportAsOf ?? (lines.Count > 0 ? lines.Max(l => l.OccurredAt) : DateTimeOffset.MinValue);
        // What happened at that very instant is in the report; both databases keep microseconds.
        return asOf < dayEnd ? asOf.AddTicks(TimeSpan.TicksPerMicrosecond) : dayEnd;
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

        // What these rows will supersede: open discrepancies about a row now matched, or about a movement now reported.
        var supersedable = await ReconciliationStore.OpenSupersedableAsync(session, psp,
            records.Where(r => r.Match.Outcome == LineOutcomes.Matched).Select(r => r.Line.LineId).ToList(),
            records.Select(r => r.Match.Payment?.Id).OfType<string>().ToList());
        await ReconciliationStore.InsertLinesAsync(session, records);
        if (supersedable.Count > 0)
        {
            var after = await ReconciliationStore.DiscrepanciesByIdAsync(session, supersedable);
            await _events.ReportAsync(session, DiscrepancyEvents.Superseded, after.Where(d => d.Status == "superseded"));
        }

        var recordedAt = Now();
        var discrepancies = records
            .Where(r => r.Match.Outcome is not (LineOutcomes.Matched or LineOutcomes.AlreadyReconciled))
            .Select(r => new DiscrepancyRecord(ids.New("rdc"), runId, psp, r.Match.Outcome, r.Line.LineId, r.Match.Payment?.Id,
                r.Match.Payment?.MerchantId, r.Match.Refund?.Id, r.Line.Currency, r.Match.ExpectedAmount, r.Line.Gross,
                r.Match.Detail ?? r.Match.Outcome, recordedAt))
            .ToList();
        discrepancies.AddRange(await FxRateDifferencesAsync(session, psp, runId, records, recordedAt));
        await ReconciliationStore.InsertDiscrepanciesAsync(session, discrepancies);
        await _events.OpenedAsync(session, discrepancies);
        return new Tally
        {
            Matched = records.Count(r => r.Match.IsMatched),
            AlreadyReconciled = records.Count(r => r.Match.Outcome == LineOutcomes.AlreadyReconciled),
            Discrepancies = discrepancies.Count,
        };
    }

    /// <summary>
    /// Converted rows matched and booked now whose payout is further from Obol's conversion of the same gross than
    /// <see cref="ReconciliationOptions.FxToleranceBps"/>. Obol's rate is the payment's quote's mid rate when it converts into
    /// the payout currency, else the latest reference rate; without either there is nothing to compare with.
    /// </summary>
    private async Task<List<DiscrepancyRecord>> FxRateDifferencesAsync(
        DbSession session, string psp, string runId, IReadOnlyList<LineRecord> records, DateTimeOffset recordedAt)
    {
        var found = new List<DiscrepancyRecord>();
        foreach (var record in records.Where(r => r.Match.IsMatched && r.Line.Converted is not null))
        {
            var (line, payment) = (record.Line, record.Match.Payment!);
            var from = Currency.FromCode(line.Currency);
            var to = Currency.FromCode(line.Converted!.Currency);
            var quote = payment.FxQuoteId is { } quoteId ? await fx.GetQuoteAsync(session, payment.MerchantId, quoteId) : null;
            var rate = quote is not null && quote.From == from && quote.To == to ? quote.MidRate : (await fx.LatestMidRateAsync(session, from, to))?.Rate;
            if (rate is not { } obolRate)
            {
                continue;
            }

            long? expected;
            try
            {
                expected = Conversion.Convert(new Money(line.Gross, from), to, obolRate).MinorUnits;
            }
            catch (OverflowException)
            {
                // At Obol's rate the gross does not even fit in a count of minor units: whatever the PSP paid is far from it.
                expected = null;
            }

            var apartBps = expected switch
            {
                null => decimal.MaxValue,
                0 => 0,
                { } value => Math.Abs((decimal)line.Converted.Gross - value) * 10_000 / value,
            };
            if (apartBps > options.FxToleranceBps)
            {
                var atObolsRate = expected is { } value ? $"{value}, {apartBps:0} basis points apart" : "more than a 64-bit count of minor units";
                found.Add(new DiscrepancyRecord(ids.New("rdc"), runId, psp, LineOutcomes.FxRateDifference, line.LineId, payment.Id, payment.MerchantId,
                    record.Match.Refund?.Id, to.Code, expected, line.Converted.Gross,
                    $"{psp} paid {line.Converted.Gross} {to.Code} minor units for {line.Gross} {from.Code}; at Obol's rate {obolRate} that is {atObolsRate} "
                    + $"(tolerance {options.FxToleranceBps}). Booked as paid.",
                    recordedAt));
            }
        }

        return found;
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
            .GroupBy(i => decided[i].Match.Payment!.MerchantId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal); // the same lock order in every run
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
    private async Task<List<DiscrepancyRecord>> MissingAsync(DbSession session, string psp, string runId, DateOnly reportDate, DateTimeOffset until)
    {
        var from = new DateTimeOffset(reportDate.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        if (until <= from)
        {
            return [];
        }

        var recorded = await payments.RecordedBetweenAsync(session, psp, from, until);
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

    /// <summary>
    /// What the PSP reported by webhook on <paramref name="reportDate"/> (UTC) that contradicted Obol and could not be applied:
    /// a settlement report shows only captures and refunds, so an authorization or cancel the PSP says it made, or a failure of
    /// something Obol has as done, would otherwise be seen by nobody. Listed by every run of the day until a person resolves it.
    /// </summary>
    private async Task<List<DiscrepancyRecord>> UnappliedAsync(DbSession session, string psp, string runId, DateOnly reportDate)
    {
        var from = new DateTimeOffset(reportDate.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var reports = await payments.UnappliedReportsBetweenAsync(session, psp, from, from.AddDays(1));
        var now = Now();
        return reports
            .Select(r => new DiscrepancyRecord(ids.New("rdc"), runId, psp, LineOutcomes.PspReportUnapplied, null, r.PaymentId, r.MerchantId, null, r.Currency,
                null, null,
                $"{psp} reported {(r.ReportsMoney ? "a success" : "a failure")} for {r.PaymentId} at {r.RecordedAt:O} that contradicts what Obol recorded and could not be applied: {r.Details}",
                now))
            .ToList();
    }

    private DateTimeOffset Now() => StoredInstant.Of(clock.GetUtcNow());

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
