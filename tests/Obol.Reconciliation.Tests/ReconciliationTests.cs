using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Payments.Processing;
using Obol.Testing;

namespace Obol.Reconciliation.Tests;

public class ReconciliationTests
{
    public static TheoryData<DatabaseProvider, string> Providers => new()
    {
        { DatabaseProvider.Sqlite, "stripe" },
        { DatabaseProvider.Sqlite, "adyen" },
        { DatabaseProvider.Postgres, "stripe" },
        { DatabaseProvider.Postgres, "adyen" },
    };

    /// <summary>The simulator's fee: 2.9% rounded half up, plus 30 cents.</summary>
    internal static long Fee(long amount) => ((amount * 290) + 5_000) / 10_000 + 30;

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_settled_day_moves_the_money_to_the_bank_and_books_the_psp_fees(DatabaseProvider provider, string psp)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, psp);
        var first = await server.CapturedAsync(10_000);
        await server.CapturedAsync(5_000);
        await server.CapturedAsync(2_500);
        await server.RefundAsync(first, 2_500);
        var fees = Fee(10_000) + Fee(5_000) + Fee(2_500);

        var run = await server.ReconcileAsync(psp);

        Assert.Equal((4, 4, 0, 0), (run.Int("lines"), run.Int("matched"), run.Int("alreadyReconciled"), run.Int("discrepancyCount")));
        Assert.Equal((17_500L, 2_500L, fees, 15_000 - fees), run.Settled());
        Assert.Equal((0L, 15_000 - fees, fees, 15_000L), await server.BooksAsync());
        await server.AssertLedgerBalancedAsync();

        var fetched = await (await server.Client.GetAsync($"/v1/reconciliation/runs/{run.GetProperty("id").GetString()}")).ReadJsonAsync();
        Assert.Equal(run.GetProperty("id").GetString(), fetched.GetProperty("id").GetString());
        Assert.Equal(4, fetched.Int("matched"));
    }

    /// <summary>
    /// Yen and dinars through both report formats, and a currency each PSP counts with other decimals than ISO 4217 (krónur at
    /// Stripe, two decimals; rupiah at Adyen, none): every row matches and is booked in ISO minor units. The simulator's fee is
    /// worked out in the PSP's units and kept in whole ISO minor units.
    /// </summary>
    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_day_in_yen_dinars_and_a_currency_the_psp_counts_its_own_way_reconciles_cleanly(DatabaseProvider provider, string psp)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, psp);
        var (other, scale) = psp == "stripe" ? ("ISK", 100L) : ("IDR", -100L);
        var days = new (string Currency, long First, long Second, long Refund, long Fees)[]
        {
            ("JPY", 10_000, 5_000, 2_500, Fee(10_000) + Fee(5_000)),
            ("KWD", 10_000, 5_000, 2_500, Fee(10_000) + Fee(5_000)),
            (other, 100_000, 50_000, 25_000, IsoFee(100_000, scale) + IsoFee(50_000, scale)),
        };
        foreach (var (currency, first, second, refund, _) in days)
        {
            var id = await server.CapturedAsync(first, currency: currency);
            await server.CapturedAsync(second, currency: currency);
            await server.RefundAsync(id, refund);
        }

        var run = await server.ReconcileAsync(psp);

        Assert.Equal((9, 9, 0, 0), (run.Int("lines"), run.Int("matched"), run.Int("alreadyReconciled"), run.Int("discrepancyCount")));
        foreach (var (currency, first, second, refund, fees) in days)
        {
            Assert.Equal((first + second, refund, fees, first + second - refund - fees), run.Settled(currency));
            Assert.Equal((0L, first + second - refund - fees, fees, first + second - refund), await server.BooksAsync(currency: currency));
        }

        await server.AssertLedgerBalancedAsync();
        var again = await server.ReconcileAsync(psp);
        Assert.Equal((0, 9, 0), (again.Int("matched"), again.Int("alreadyReconciled"), again.Int("discrepancyCount")));

        // The fee of an amount in ISO minor units, worked out in the PSP's units (× or ÷ |scale|) and kept in whole ISO minor units.
        static long IsoFee(long amount, long scale) => scale > 0 ? Fee(amount * scale) / scale : Fee(amount / -scale) * -scale;
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_capture_smaller_than_its_fee_is_settled_at_a_loss_as_the_psp_reports_it(DatabaseProvider provider, string psp)
    {
        // 17 cents less a 30-cent fee: Adyen reports a net debit of 0.13, Stripe a net of -0.13.
        await using var server = await ReconciliationServer.StartAsync(provider, psp);
        await server.CapturedAsync(17);
        await server.CapturedAsync(1_000);
        var fees = Fee(17) + Fee(1_000);

        var run = await server.ReconcileAsync(psp);

        Assert.Equal((2, 2, 0), (run.Int("lines"), run.Int("matched"), run.Int("discrepancyCount")));
        Assert.Equal((1_017L, 0L, fees, 1_017 - fees), run.Settled());
        Assert.Equal((0L, 1_017 - fees, fees, 1_017L), await server.BooksAsync());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Reconciling_a_day_again_recognises_every_row_and_books_nothing_more(DatabaseProvider provider, string psp)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, psp);
        var id = await server.CapturedAsync(4_000);
        await server.RefundAsync(id, 1_000);
        await server.ReconcileAsync(psp);
        var books = await server.BooksAsync();

        var again = await server.ReconcileAsync(psp);

        Assert.Equal((2, 0, 2, 0), (again.Int("lines"), again.Int("matched"), again.Int("alreadyReconciled"), again.Int("discrepancyCount")));
        Assert.Equal((0L, 0L, 0L, 0L), again.Settled());
        Assert.Equal(books, await server.BooksAsync());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Rows_that_disagree_with_obol_are_discrepancies_and_book_nothing_until_a_later_report_agrees(DatabaseProvider provider, string psp)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, psp);
        var id = await server.CapturedAsync(3_000);
        await server.RefundAsync(id, 500);
        await server.SetFaultsAsync("""{"seed":1,"PSP":{"settlements":{"changeAmountRate":1,"unknownRows":2}}}""".Replace("PSP", psp, StringComparison.Ordinal));

        var wrong = await server.ReconcileAsync(psp);

        Assert.Equal((4, 0, 4), (wrong.Int("lines"), wrong.Int("matched"), wrong.Int("discrepancyCount")));
        Assert.Equal(["amount_mismatch", "amount_mismatch", "unknown_payment", "unknown_payment"], wrong.Codes().Order().ToList());
        var mismatch = wrong.GetProperty("discrepancies").EnumerateArray().First(d => d.GetProperty("code").GetString() == "amount_mismatch" && !d.TryGetProperty("refundId", out _));
        Assert.Equal((3_000L, 3_001L, id), (mismatch.GetProperty("expectedAmount").GetInt64(), mismatch.GetProperty("reportedAmount").GetInt64(), mismatch.GetProperty("paymentId").GetString()));
        Assert.Equal((2_500L, 0L, 0L, 2_500L), await server.BooksAsync());

        await server.SetFaultsAsync("{}");
        var corrected = await server.ReconcileAsync(psp);

        Assert.Equal((2, 2, 0), (corrected.Int("lines"), corrected.Int("matched"), corrected.Int("discrepancyCount")));
        Assert.Equal((0L, 2_500 - Fee(3_000), Fee(3_000), 2_500L), await server.BooksAsync());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Captures_and_refunds_a_report_leaves_out_are_reported_missing(DatabaseProvider provider, string psp)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, psp);
        var id = await server.CapturedAsync(6_000);
        var refundId = await server.RefundAsync(id, 1_000);
        await server.SetFaultsAsync("""{"PSP":{"settlements":{"dropRowRate":1}}}""".Replace("PSP", psp, StringComparison.Ordinal));

        var run = await server.ReconcileAsync(psp);

        Assert.Equal((0, 2), (run.Int("lines"), run.Int("discrepancyCount")));
        var missing = run.GetProperty("discrepancies").EnumerateArray().ToList();
        Assert.All(missing, d => Assert.Equal(("missing_from_report", id), (d.GetProperty("code").GetString(), d.GetProperty("paymentId").GetString())));
        Assert.Contains(missing, d => d.TryGetProperty("refundId", out var refund) && refund.GetString() == refundId);

        await server.SetFaultsAsync("{}");
        var complete = await server.ReconcileAsync(psp);
        Assert.Equal((2, 2, 0), (complete.Int("lines"), complete.Int("matched"), complete.Int("discrepancyCount")));

        var dayBefore = await server.ReconcileAsync(psp, "2026-11-24");
        Assert.Equal((0, 0), (dayBefore.Int("lines"), dayBefore.Int("discrepancyCount")));
    }

    [Theory]
    [BothDatabases]
    public async Task A_capture_obol_has_not_resolved_yet_is_booked_only_once_obol_knows(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.SetFaultsAsync("""{"seed":3,"stripe":{"webhooks":{"dropRate":1}}}""");
        var id = await server.CapturedAsync(3_100, "pm_card_timeout");
        Assert.Equal("processing", await server.StatusAsync(id));

        var early = await server.ReconcileAsync("stripe");

        Assert.Equal(["not_captured_in_obol"], early.Codes());
        Assert.Equal((0L, 0L, 0L, 0L), await server.BooksAsync());

        server.Clock.Advance(TimeSpan.FromMinutes(10));
        await server.Service<UnknownOutcomeResolver>().ResolveDueAsync(CancellationToken.None);
        Assert.Equal("captured", await server.StatusAsync(id));
        var later = await server.ReconcileAsync("stripe");

        Assert.Equal((1, 0), (later.Int("matched"), later.Int("discrepancyCount")));
        Assert.Equal((0L, 3_100 - Fee(3_100), Fee(3_100), 3_100L), await server.BooksAsync());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task Concurrent_runs_of_one_report_book_each_row_once(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        long captured = 0, fees = 0;
        for (var i = 1; i <= 10; i++)
        {
            var id = await server.CapturedAsync(1_000 * i);
            captured += 1_000 * i;
            fees += Fee(1_000 * i);
            if (i % 3 == 0)
            {
                await server.RefundAsync(id, 100 * i);
                captured -= 100 * i;
            }
        }

        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => server.ReconcileAsync("stripe")));

        Assert.All(runs, r => Assert.Equal((13, 13, 0), (r.Int("lines"), r.Int("matched") + r.Int("alreadyReconciled"), r.Int("discrepancyCount"))));
        Assert.Equal(13, runs.Sum(r => r.Int("matched")));
        Assert.Equal((0L, captured - fees, fees, captured), await server.BooksAsync());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_run_requested_again_or_at_once_with_the_same_idempotency_key_runs_once(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(4_200);
        const string body = """{"psp":"stripe","date":"2026-11-25"}""";

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => server.Client.PostJsonAsync("/v1/reconciliation/runs", body, "run-key-1")));
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"answered {(int)a.StatusCode}"));
        var first = await answers.First(a => a.StatusCode == HttpStatusCode.Created).ReadJsonAsync();

        var again = await server.Client.PostJsonAsync("/v1/reconciliation/runs", body, "run-key-1");
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.GetProperty("id").GetString(), (await again.ReadJsonAsync()).GetProperty("id").GetString());
        await (await server.Client.PostJsonAsync("/v1/reconciliation/runs", """{"psp":"stripe","date":"2026-11-24"}""", "run-key-1"))
            .ReadProblemAsync(422, "idempotency_key_reused");

        var runs = await (await server.Client.GetAsync("/v1/reconciliation/runs")).ReadJsonAsync();
        Assert.Single(runs.GetProperty("data").EnumerateArray());

        var report = await server.ReportAsync("stripe");
        var uploads = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Upload(server.Client, "stripe", ReconciliationServer.Day, report, "upload-key-1")));
        Assert.Contains(uploads, u => u.StatusCode == HttpStatusCode.Created);
        var uploadedAgain = await Upload(server.Client, "stripe", ReconciliationServer.Day, report, "upload-key-1");
        Assert.Equal(HttpStatusCode.Created, uploadedAgain.StatusCode);
        Assert.Equal("true", uploadedAgain.Headers.GetValues("Idempotent-Replayed").Single());
        runs = await (await server.Client.GetAsync("/v1/reconciliation/runs")).ReadJsonAsync();
        Assert.Equal(2, runs.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [BothDatabases]
    public async Task An_uploaded_report_is_reconciled_and_a_bad_one_changes_nothing(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "adyen");
        await server.CapturedAsync(7_700);
        var report = await server.ReportAsync("adyen");

        var broken = report.Replace(",Settled,", ",Settled,,", StringComparison.Ordinal).Replace("Net Credit (NC)", "Net Kredit", StringComparison.Ordinal);
        await (await Upload(server.Client, "adyen", ReconciliationServer.Day, broken)).ReadProblemAsync(400, "invalid_settlement_report");
        var none = await (await server.Client.GetAsync("/v1/reconciliation/runs")).ReadJsonAsync();
        Assert.Empty(none.GetProperty("data").EnumerateArray());
        Assert.Equal((7_700L, 0L, 0L, 7_700L), await server.BooksAsync());

        var uploaded = await Upload(server.Client, "adyen", ReconciliationServer.Day, report);
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var run = await uploaded.ReadJsonAsync();
        Assert.Equal(("upload", 1, 0), (run.GetProperty("source").GetString(), run.Int("matched"), run.Int("discrepancyCount")));
        Assert.Equal($"/v1/reconciliation/runs/{run.GetProperty("id").GetString()}", uploaded.Headers.Location?.ToString());

        var listed = await (await server.Client.GetAsync($"/v1/reconciliation/runs?psp=adyen&date={ReconciliationServer.Day}")).ReadJsonAsync();
        Assert.Equal(run.GetProperty("id").GetString(), Assert.Single(listed.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
    }

    [Theory]
    [BothDatabases]
    public async Task Only_the_operator_may_reconcile_and_requests_are_validated(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        var (_, otherClient) = await server.OtherMerchantAsync();
        using var merchant = otherClient;

        await (await merchant.PostJsonAsync("/v1/reconciliation/runs", """{"psp":"stripe","date":"2026-11-25"}""")).ReadProblemAsync(403, "forbidden");
        await (await Upload(merchant, "stripe", "2026-11-25", "id\n")).ReadProblemAsync(403, "forbidden");
        await (await merchant.GetAsync("/v1/reconciliation/runs")).ReadProblemAsync(403, "forbidden");

        var invalid = await (await server.Client.PostJsonAsync("/v1/reconciliation/runs", """{"psp":"paypal","date":"25/11/2026"}""")).ReadProblemAsync(400, "validation_failed");
        Assert.True(invalid.GetProperty("errors").TryGetProperty("psp", out _));
        Assert.True(invalid.GetProperty("errors").TryGetProperty("date", out _));
        await (await server.Client.PostJsonAsync("/v1/reconciliation/runs", """{"psp":"stripe","date":"2026-11-26"}""")).ReadProblemAsync(400, "validation_failed");
        await (await Upload(server.Client, "stripe", null, "id\n")).ReadProblemAsync(400, "validation_failed");
        await (await server.Client.GetAsync("/v1/reconciliation/runs/rcn_nope")).ReadProblemAsync(404, "not_found");
    }

    [Theory]
    [BothDatabases]
    public async Task The_daily_schedule_reconciles_each_published_day_once_across_nodes(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(10_000);
        var schedule = server.Service<Runs.ScheduledReconciliation>();

        // Noon on the 25th: the 22nd to the 24th are published (three days caught up, two PSPs each), the 25th is not.
        Assert.Equal(6, (await schedule.RunDueAsync(CancellationToken.None)).Count);

        server.Clock.Advance(TimeSpan.FromHours(18) + TimeSpan.FromMinutes(1)); // 06:01 on the 26th: the 25th is published
        var runs = (await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => schedule.RunDueAsync(CancellationToken.None)))).SelectMany(r => r).ToList();

        Assert.Equal(2, runs.Count); // each day once, however many nodes ask
        Assert.Empty(await schedule.RunDueAsync(CancellationToken.None));
        var listed = await (await server.Client.GetAsync($"/v1/reconciliation/runs?date={ReconciliationServer.Day}&psp=stripe")).ReadJsonAsync();
        var run = Assert.Single(listed.GetProperty("data").EnumerateArray());
        Assert.Equal(("scheduled", 1), (run.GetProperty("source").GetString(), run.Int("matched")));
        Assert.Equal((0L, 10_000 - Fee(10_000), Fee(10_000), 10_000L), await server.BooksAsync());
    }

    [Theory]
    [BothDatabases]
    public async Task A_movement_is_settled_once_a_changed_row_is_flagged_and_a_returned_fee_is_booked(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        var id = await server.CapturedAsync(5_000);
        await server.RefundAsync(id, 1_000);
        var report = (await server.ReportAsync("stripe")).TrimEnd('\n').Split('\n');
        var (header, capture, refund) = (report[0], report[1], report[2]);

        // The capture twice under two row ids, and the refund with 50 of fees given back.
        var twice = ReportRows.With(header, capture, new Dictionary<string, string> { ["balance_transaction_id"] = "txn_second" });
        var feeBack = ReportRows.With(header, refund, new Dictionary<string, string> { ["fee"] = "-0.50", ["net"] = "-9.50" });
        var first = await (await Upload(server.Client, "stripe", ReconciliationServer.Day,
            string.Join('\n', header, capture, twice, feeBack) + "\n")).ReadJsonAsync();

        Assert.Equal((3, 2), (first.Int("lines"), first.Int("matched")));
        Assert.Equal(["already_settled"], first.Codes());
        Assert.Equal((0L, 4_000 - Fee(5_000) + 50, Fee(5_000) - 50, 4_000L), await server.BooksAsync());

        var changed = ReportRows.With(header, capture, new Dictionary<string, string>
        {
            ["gross"] = "50.01",
            ["net"] = Dollars(5_001 - Fee(5_000)),
        });
        var second = await (await Upload(server.Client, "stripe", ReconciliationServer.Day, header + "\n" + changed + "\n")).ReadJsonAsync();

        Assert.Equal(["line_changed"], second.Codes());
        Assert.Equal((0L, 4_000 - Fee(5_000) + 50, Fee(5_000) - 50, 4_000L), await server.BooksAsync());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_report_whose_rows_are_about_another_day_is_refused_and_a_large_one_is_taken(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(2_000);
        var report = await server.ReportAsync("stripe");

        await (await Upload(server.Client, "stripe", "2026-11-20", report)).ReadProblemAsync(400, "settlement_report_date_mismatch");
        Assert.Empty((await (await server.Client.GetAsync("/v1/reconciliation/runs")).ReadJsonAsync()).GetProperty("data").EnumerateArray());

        // Over the 1 MiB that other requests may send: the day's row and 3,000 payouts with long descriptions.
        var padding = new string('x', 400);
        var large = new StringBuilder(report);
        var header = report[..report.IndexOf('\n', StringComparison.Ordinal)];
        for (var i = 0; i < 3_000; i++)
        {
            large.Append(ReportRows.Row(header, Payout($"txn_payout{i}", $"po_{i}", padding))).Append('\n');
        }

        Assert.True(large.Length > 1024 * 1024);
        var run = await (await Upload(server.Client, "stripe", ReconciliationServer.Day, large.ToString())).ReadJsonAsync();
        Assert.Equal((3_001, 1, 3_000), (run.Int("lines"), run.Int("matched"), run.Int("discrepancyCount")));
        Assert.All(run.Codes(), c => Assert.Equal("unsupported_row", c));
    }

    [Theory]
    [BothDatabases]
    public async Task Concurrent_runs_of_both_psps_over_several_merchants_book_each_merchants_rows_once(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe", new Dictionary<string, string?>
        {
            ["Obol:Payments:Routing:0:Currencies:0"] = "EUR",
            ["Obol:Payments:Routing:0:Psps:0"] = "adyen",
            ["Obol:Payments:Routing:1:Psps:0"] = "stripe",
        });
        var (otherId, otherClient) = await server.OtherMerchantAsync();
        using var other = otherClient;
        var merchants = new[] { (Id: Obol.Core.Merchants.ApiKeys.DefaultMerchantId, Client: server.Client), (Id: otherId, Client: other) };
        var expected = new Dictionary<(string, string), (long Captured, long Refunded, long Fees)>();
        foreach (var (merchantId, client) in merchants)
        {
            foreach (var currency in new[] { "USD", "EUR" })
            {
                long captured = 0, refunded = 0, fees = 0;
                for (var i = 1; i <= 4; i++)
                {
                    var id = await server.CapturedAsync(1_000 * i, currency: currency, client: client);
                    (captured, fees) = (captured + (1_000 * i), fees + Fee(1_000 * i));
                    if (i == 2)
                    {
                        await server.RefundAsync(id, 500, client);
                        refunded += 500;
                    }
                }

                expected[(merchantId, currency)] = (captured, refunded, fees);
            }
        }

        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => server.ReconcileAsync(i % 2 == 0 ? "stripe" : "adyen")));

        Assert.Equal(20, runs.Sum(r => r.Int("matched"))); // 2 merchants x 2 PSPs x (4 captures + 1 refund)
        Assert.All(runs, r => Assert.Equal(0, r.Int("discrepancyCount")));
        foreach (var ((merchantId, currency), (captured, refunded, fees)) in expected)
        {
            Assert.Equal((0L, captured - refunded - fees, fees, captured - refunded), await server.BooksAsync(merchantId, currency));
        }

        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_capture_adyen_reported_failed_is_not_expected_in_the_report_and_a_settled_row_for_it_is_flagged(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "adyen");
        var id = await server.CapturedAsync(2_500);
        var pspReference = (await (await server.Client.GetAsync($"/v1/payments/{id}")).ReadJsonAsync()).GetProperty("pspReference").GetString()!;
        var key = server.Service<Obol.Payments.Psp.PaymentsOptions>().Adyen.HmacKey;
        var signature = Obol.PspSimulator.Webhooks.AdyenHmac.Sign(Obol.PspSimulator.Webhooks.AdyenHmac.SigningString(
            "CAPTUREREF000001", pspReference, "ObolTest", id, 2_500, "USD", "CAPTURE_FAILED", true), key);
        using var anonymous = server.Server.CreateClient(apiKey: null);
        await anonymous.PostJsonAsync("/webhooks/psp/adyen", $$$$"""
            {"live":"false","notificationItems":[{"NotificationRequestItem":{"pspReference":"CAPTUREREF000001","originalReference":"{{{{pspReference}}}}",
            "merchantAccountCode":"ObolTest","merchantReference":"{{{{id}}}}","amount":{"value":2500,"currency":"USD"},"eventCode":"CAPTURE_FAILED",
            "success":"true","additionalData":{"hmacSignature":"{{{{signature}}}}"}}}]}
            """);
        Assert.Equal("failed", await server.StatusAsync(id));

        await server.SetFaultsAsync("""{"adyen":{"settlements":{"dropRowRate":1}}}""");
        Assert.Equal(0, (await server.ReconcileAsync("adyen")).Int("discrepancyCount"));

        await server.SetFaultsAsync("{}");
        Assert.Equal(["not_captured_in_obol"], (await server.ReconcileAsync("adyen")).Codes());
        Assert.Equal((0L, 0L, 0L, 0L), await server.BooksAsync());
        await server.AssertLedgerBalancedAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task An_upload_with_a_card_number_outside_the_psps_identifiers_is_refused_and_nothing_is_kept(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(2_000);
        var report = await server.ReportAsync("stripe");
        var header = report[..report.IndexOf('\n', StringComparison.Ordinal)];
        var withCard = report + ReportRows.Row(header, Payout("txn_x", "po_1", "card 4242424242424242")) + "\n";

        await (await Upload(server.Client, "stripe", ReconciliationServer.Day, withCard)).ReadProblemAsync(400, "card_number_not_allowed");

        Assert.Empty((await (await server.Client.GetAsync("/v1/reconciliation/runs")).ReadJsonAsync()).GetProperty("data").EnumerateArray());
        Assert.Equal((2_000L, 0L, 0L, 2_000L), await server.BooksAsync());
    }

    [Theory]
    [BothDatabases]
    public async Task Discrepancies_are_open_until_a_later_run_matches_them_or_a_person_resolves_them(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(3_000);
        await server.SetFaultsAsync("""{"seed":1,"stripe":{"settlements":{"changeAmountRate":1,"unknownRows":2}}}""");
        await server.ReconcileAsync("stripe");
        await server.SetFaultsAsync("{}");
        await server.ReconcileAsync("stripe");

        async Task<List<(string Id, string Code, string Status)>> ListAsync(string query = "") =>
            (await (await server.Client.GetAsync("/v1/reconciliation/discrepancies" + query)).ReadJsonAsync()).GetProperty("data").EnumerateArray()
                .Select(d => (d.GetProperty("id").GetString()!, d.GetProperty("code").GetString()!, d.GetProperty("status").GetString()!)).ToList();

        var all = await ListAsync();
        Assert.Equal([("amount_mismatch", "superseded"), ("unknown_payment", "open"), ("unknown_payment", "open")],
            all.Select(d => (d.Code, d.Status)).Order().ToList());
        var unknown = all.First(d => d.Code == "unknown_payment").Id;

        var resolved = await (await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{unknown}/resolve", """{"note":"Another platform's charge; PSP case 1234"}""")).ReadJsonAsync();
        Assert.Equal(("resolved", "Another platform's charge; PSP case 1234"),
            (resolved.GetProperty("status").GetString(), resolved.GetProperty("resolution").GetProperty("note").GetString()));
        var again = await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{unknown}/resolve", """{"note":"Another platform's charge; PSP case 1234"}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await (await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{unknown}/resolve", """{"note":"something else"}""")).ReadProblemAsync(409, "discrepancy_already_resolved");
        await (await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{unknown}/resolve", """{"note":" "}""")).ReadProblemAsync(400, "validation_failed");
        await (await server.Client.PostJsonAsync("/v1/reconciliation/discrepancies/rdc_nope/resolve", """{"note":"x"}""")).ReadProblemAsync(404, "not_found");

        var other = all.Last(d => d.Code == "unknown_payment").Id;
        var keyed = await (await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{other}/resolve", """{"note":"PSP case 77"}""", "resolve-77")).ReadJsonAsync();
        var replayed = await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{other}/resolve", """{"note":"PSP case 77"}""", "resolve-77");
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(keyed.ToString(), (await replayed.ReadJsonAsync()).ToString());
        await (await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{other}/resolve", """{"note":"PSP case 78"}""", "resolve-77"))
            .ReadProblemAsync(422, "idempotency_key_reused");

        foreach (var filter in new[] { "?psp=CAPTURED", "?psp=Stripe", "?psp=stripe%00" })
        {
            await (await server.Client.GetAsync("/v1/reconciliation/discrepancies" + filter)).ReadProblemAsync(400, "validation_failed");
        }

        foreach (var filter in new[] { "?psp=1", "?date=2027-01-01T00:00:00Zgarbage", "?date=0001-01-01", "?date=2027-1-1" })
        {
            await (await server.Client.GetAsync("/v1/reconciliation/runs" + filter)).ReadProblemAsync(400, "validation_failed");
        }

        Assert.Empty(await ListAsync("?status=open"));
        Assert.Equal(new[] { other, unknown }.Order(StringComparer.Ordinal), (await ListAsync("?status=resolved")).Select(d => d.Id).Order(StringComparer.Ordinal));
        var page = await (await server.Client.GetAsync("/v1/reconciliation/discrepancies?limit=2")).ReadJsonAsync();
        Assert.True(page.GetProperty("hasMore").GetBoolean());
        var last = page.GetProperty("data").EnumerateArray().Last().GetProperty("id").GetString();
        Assert.Single(await ListAsync($"?limit=2&startingAfter={last}"));
    }

    [Theory]
    [BothDatabases]
    public async Task A_psp_reference_shaped_like_a_card_number_that_matches_no_payment_is_stored_and_shown_masked(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "adyen");
        await server.CapturedAsync(1_000);
        var report = (await server.ReportAsync("adyen")).TrimEnd('\n').Split('\n');
        var row = report[1].Split(',');
        (row[2], row[3], row[8]) = ("8815131751004939", "not_ours", "8815131751004939");
        var run = await (await Upload(server.Client, "adyen", ReconciliationServer.Day, report[0] + "\n" + string.Join(',', row) + "\n")).ReadJsonAsync();

        var detail = run.GetProperty("discrepancies").EnumerateArray().Single(d => d.GetProperty("code").GetString() == "unknown_payment").GetProperty("detail").GetString();
        Assert.Contains("881513******4939", detail, StringComparison.Ordinal);
        var stored = await server.Service<Database>().ReadAsync(s => s.QueryAsync<string>(
            "SELECT line_id || '|' || payment_reference || '|' || movement_reference FROM settlement_lines"), CancellationToken.None);
        Assert.DoesNotContain("8815131751004939", Assert.Single(stored), StringComparison.Ordinal);
    }

    /// <summary>A positive amount of cents in dollars, as Stripe's reports write it.</summary>
    internal static string Dollars(long cents) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{cents / 100}.{cents % 100:00}");

    /// <summary>A payout of one cent in a Stripe itemized report: a row Obol does not book.</summary>
    private static Dictionary<string, string> Payout(string id, string payout, string description) => new()
    {
        ["balance_transaction_id"] = id,
        ["created_utc"] = "2026-11-25 18:00:00",
        ["currency"] = "usd",
        ["gross"] = "-0.01",
        ["fee"] = "0.00",
        ["net"] = "-0.01",
        ["reporting_category"] = "payout",
        ["source_id"] = payout,
        ["description"] = description,
    };

    internal static Task<HttpResponseMessage> Upload(HttpClient client, string psp, string? date, string csv, string? idempotencyKey = null)
    {
        var content = new StringContent(csv, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/reconciliation/reports?psp={psp}" + (date is null ? "" : $"&date={date}")) { Content = content };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }
}
