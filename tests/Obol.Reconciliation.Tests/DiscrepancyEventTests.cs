using System.Net;
using System.Text.Json;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Reconciliation.Tests;

/// <summary>
/// Every discrepancy a run records reports <c>reconciliation.discrepancy_opened</c> once, in the chunk that records it; a
/// later row that supersedes it reports <c>…_superseded</c> once, and a person's resolve <c>…_resolved</c> once, each with
/// the discrepancy as <c>GET /v1/reconciliation/discrepancies/{id}</c> showed it then.
/// </summary>
public class DiscrepancyEventTests
{
    private static async Task<JsonElement> DiscrepancyAsync(ReconciliationServer server, string id) =>
        await (await server.Client.GetAsync($"/v1/reconciliation/discrepancies/{id}")).ReadJsonAsync();

    private static List<(string Id, string Code)> Discrepancies(JsonElement run) =>
        run.GetProperty("discrepancies").EnumerateArray().Select(d => (d.GetProperty("id").GetString()!, d.GetProperty("code").GetString()!)).ToList();

    [Theory]
    [BothDatabases]
    public async Task Every_discrepancy_of_a_run_over_many_chunks_reports_opened_once(DatabaseProvider provider)
    {
        // Three rows per transaction: a dozen unknown rows and an amount mismatch go in five chunks.
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(3_000);
        await server.SetFaultsAsync("""{"seed":1,"stripe":{"settlements":{"changeAmountRate":1,"unknownRows":12}}}""");

        var run = await server.ReconcileAsync("stripe");

        var discrepancies = Discrepancies(run);
        Assert.Equal(13, discrepancies.Count);
        foreach (var (id, _) in discrepancies)
        {
            EventsApi.AssertSameJson(await DiscrepancyAsync(server, id), await server.Client.SingleEventObjectAsync(id, "reconciliation.discrepancy_opened"));
            Assert.Equal(["reconciliation.discrepancy_opened"], await server.Client.EventTypesOfAsync(id));
        }

        var page = await (await server.Client.GetAsync("/v1/events?type=reconciliation.discrepancy_opened&limit=100")).ReadJsonAsync();
        Assert.Equal(13, page.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [BothDatabases]
    public async Task A_row_a_later_run_matches_reports_its_discrepancy_superseded_once_and_the_rest_stay_open(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(3_000);
        await server.SetFaultsAsync("""{"seed":1,"stripe":{"settlements":{"changeAmountRate":1,"unknownRows":2}}}""");
        var wrong = Discrepancies(await server.ReconcileAsync("stripe"));
        var mismatch = wrong.Single(d => d.Code == "amount_mismatch").Id;
        var unknown = wrong.Where(d => d.Code == "unknown_payment").Select(d => d.Id).ToList();
        var opened = await DiscrepancyAsync(server, mismatch);

        await server.SetFaultsAsync("{}");
        await server.ReconcileAsync("stripe");
        await server.ReconcileAsync("stripe");

        EventsApi.AssertSameJson(opened, await server.Client.SingleEventObjectAsync(mismatch, "reconciliation.discrepancy_opened"));
        var superseded = await server.Client.SingleEventObjectAsync(mismatch, "reconciliation.discrepancy_superseded");
        EventsApi.AssertSameJson(await DiscrepancyAsync(server, mismatch), superseded);
        Assert.Equal("superseded", superseded.GetProperty("status").GetString());
        Assert.Equal(["reconciliation.discrepancy_opened", "reconciliation.discrepancy_superseded"], await server.Client.EventTypesOfAsync(mismatch));
        foreach (var id in unknown)
        {
            Assert.Equal(["reconciliation.discrepancy_opened"], await server.Client.EventTypesOfAsync(id));
        }
    }

    [Theory]
    [BothDatabases]
    public async Task Movements_missing_from_a_report_report_opened_then_superseded_once_a_report_shows_them(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        var paymentId = await server.CapturedAsync(6_000);
        await server.RefundAsync(paymentId, 1_000);
        await server.SetFaultsAsync("""{"stripe":{"settlements":{"dropRowRate":1}}}""");
        var missing = Discrepancies(await server.ReconcileAsync("stripe"));
        Assert.Equal(["missing_from_report", "missing_from_report"], missing.Select(d => d.Code));

        await server.SetFaultsAsync("{}");
        await server.ReconcileAsync("stripe");

        foreach (var (id, _) in missing)
        {
            Assert.Equal("open", (await server.Client.SingleEventObjectAsync(id, "reconciliation.discrepancy_opened")).GetProperty("status").GetString());
            EventsApi.AssertSameJson(await DiscrepancyAsync(server, id), await server.Client.SingleEventObjectAsync(id, "reconciliation.discrepancy_superseded"));
            Assert.Equal(["reconciliation.discrepancy_opened", "reconciliation.discrepancy_superseded"], await server.Client.EventTypesOfAsync(id));
        }
    }

    [Theory]
    [BothDatabases]
    public async Task Resolving_reports_resolved_once_and_a_repeat_or_a_replay_reports_nothing(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(3_000);
        await server.SetFaultsAsync("""{"seed":1,"stripe":{"settlements":{"changeAmountRate":1,"unknownRows":1}}}""");
        var run = Discrepancies(await server.ReconcileAsync("stripe"));
        var unknown = run.Single(d => d.Code == "unknown_payment").Id;
        var mismatch = run.Single(d => d.Code == "amount_mismatch").Id;

        var resolved = await (await server.Client.PostJsonAsync(
            $"/v1/reconciliation/discrepancies/{unknown}/resolve", """{"note":"Another platform's charge"}""", "resolve-1")).ReadJsonAsync();
        var replayed = await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{unknown}/resolve", """{"note":"Another platform's charge"}""", "resolve-1");
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        var again = await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{unknown}/resolve", """{"note":"Another platform's charge"}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await (await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{unknown}/resolve", """{"note":"other"}""")).ReadProblemAsync(409, "discrepancy_already_resolved");

        EventsApi.AssertSameJson(resolved, await server.Client.SingleEventObjectAsync(unknown, "reconciliation.discrepancy_resolved"));
        Assert.Equal(["reconciliation.discrepancy_opened", "reconciliation.discrepancy_resolved"], await server.Client.EventTypesOfAsync(unknown));

        // Superseded, then resolved by a person all the same.
        await server.SetFaultsAsync("{}");
        await server.ReconcileAsync("stripe");
        await (await server.Client.PostJsonAsync($"/v1/reconciliation/discrepancies/{mismatch}/resolve", """{"note":"Checked"}""")).ReadJsonAsync();
        Assert.Equal("resolved", (await server.Client.SingleEventObjectAsync(mismatch, "reconciliation.discrepancy_resolved")).GetProperty("status").GetString());
        Assert.Equal(
            ["reconciliation.discrepancy_opened", "reconciliation.discrepancy_superseded", "reconciliation.discrepancy_resolved"],
            await server.Client.EventTypesOfAsync(mismatch));
    }

    [Theory]
    [BothDatabases]
    public async Task A_changed_row_reports_its_discrepancy_opened_once_as_the_api_shows_it(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        await server.CapturedAsync(5_000);
        var report = (await server.ReportAsync("stripe")).TrimEnd('\n').Split('\n');
        var (header, capture) = (report[0], report[1]);
        await ReconciliationTests.Upload(server.Client, "stripe", ReconciliationServer.Day, header + "\n" + capture + "\n");
        var changed = ReportRows.With(header, capture, new Dictionary<string, string>
        {
            ["gross"] = "50.01",
            ["net"] = ReconciliationTests.Dollars(5_001 - ReconciliationTests.Fee(5_000)),
        });

        var run = await (await ReconciliationTests.Upload(server.Client, "stripe", ReconciliationServer.Day, header + "\n" + changed + "\n")).ReadJsonAsync();

        var (id, code) = Assert.Single(Discrepancies(run));
        Assert.Equal("line_changed", code);

        // The row's earlier match is what it contradicts, not a later run that settled it.
        Assert.Equal("open", (await DiscrepancyAsync(server, id)).GetProperty("status").GetString());
        EventsApi.AssertSameJson(await DiscrepancyAsync(server, id), await server.Client.SingleEventObjectAsync(id, "reconciliation.discrepancy_opened"));
        Assert.Equal(["reconciliation.discrepancy_opened"], await server.Client.EventTypesOfAsync(id));
    }

    [Theory]
    [BothDatabases]
    public async Task Every_operator_merchant_is_told_once_and_no_other_merchant_is(DatabaseProvider provider)
    {
        await using var server = await ReconciliationServer.StartAsync(provider, "stripe");
        var (otherOperator, operatorClient) = await server.OtherMerchantAsync();
        var (_, merchantClient) = await server.OtherMerchantAsync();
        using var op = operatorClient;
        using var merchant = merchantClient;
        server.Service<ReconciliationOptions>().OperatorMerchantIds.AddRange([Core.Merchants.ApiKeys.DefaultMerchantId, otherOperator]);
        await server.CapturedAsync(3_000, client: merchant);
        await server.SetFaultsAsync("""{"stripe":{"settlements":{"dropRowRate":1}}}""");

        var (id, _) = Assert.Single(Discrepancies(await server.ReconcileAsync("stripe")));

        var first = Assert.Single(await server.Client.EventsOfAsync(id, "reconciliation.discrepancy_opened"));
        var second = Assert.Single(await op.EventsOfAsync(id, "reconciliation.discrepancy_opened"));
        EventsApi.AssertSameJson(first.GetProperty("data"), second.GetProperty("data"));

        // Each merchant told about an object numbers its events from 1, without gaps.
        Assert.Equal(new long[] { 1, 1 }, new[] { first, second }.Select(e => e.GetProperty("objectSequence").GetInt64()));
        Assert.Empty(await merchant.EventsOfAsync(id));
    }
}
