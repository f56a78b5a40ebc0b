using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Obol.Core.Merchants;
using Obol.Core.Storage;
using Obol.Testing;

namespace Obol.Server.Tests;

/// <summary>
/// The served OpenAPI document against the server's real responses: a walk through every module's main operations and the
/// error shapes on SQLite records every response (<see cref="ResponseLog"/>), and each one must be documented for its
/// operation (status and content type) and valid against the documented schema. The document is written to
/// <c>$OBOL_OPENAPI_DOCUMENT</c> when set, for test.sh to lint (tests/openapi/run.sh).
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    private readonly ResponseLog _log = new();
    private ObolTestServer _server = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await ObolTestServer.StartAsync(DatabaseProvider.Sqlite, _log.Install);
        _client = _server.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Every_operation_has_an_id_a_summary_and_responses_and_only_API_operations_are_documented()
    {
        var document = await DocumentAsync();
        foreach (var (path, method, operation) in Operations(document))
        {
            Assert.False(string.IsNullOrEmpty(operation["operationId"]?.GetValue<string>()), $"{method} {path} has no operationId");
            Assert.False(string.IsNullOrEmpty(operation["summary"]?.GetValue<string>()), $"{method} {path} has no summary");
            Assert.Contains(operation["responses"]!.AsObject(), r => r.Key.StartsWith('2'));
            Assert.DoesNotContain("/sim", path, StringComparison.Ordinal);
            var secured = operation["security"]?.AsArray().Count > 0;
            Assert.Equal(path.StartsWith("/v1/", StringComparison.Ordinal), secured);
        }

        var text = document.ToJsonString();
        Assert.DoesNotContain("\"null\"", text, StringComparison.Ordinal);
    }

    /// <summary>Ids and summaries are declared on each endpoint mapping; an id names one operation only.</summary>
    [Fact]
    public async Task Every_operation_declares_its_own_id_and_a_summary()
    {
        var operations = Operations(await DocumentAsync()).ToList();
        Assert.All(operations, o => Assert.False(string.IsNullOrWhiteSpace(o.Operation["summary"]?.GetValue<string>()), $"{o.Method} {o.Path} has no summary"));
        var ids = operations.Select(o => o.Operation["operationId"]?.GetValue<string>()).ToList();
        Assert.All(ids, id => Assert.Matches("^[a-z][A-Za-z]+$", id));
        Assert.Empty(ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key));
    }

    [Fact]
    public async Task Real_responses_match_the_document()
    {
        await WalkThroughTheApiAsync();
        var document = await DocumentAsync();
        if (Environment.GetEnvironmentVariable("OBOL_OPENAPI_DOCUMENT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        var validator = new ResponseValidator(document);
        var checkedResponses = 0;
        var covered = new HashSet<string>(StringComparer.Ordinal);
        var mismatches = new List<string>();
        foreach (var response in _log.Responses)
        {
            if (response.Route is null && response.Status >= 400)
            {
                // No endpoint matched (an unknown path, a method or content type no endpoint takes): still a problem.
                checkedResponses++;
                covered.Add($"(no endpoint) {response.Status}");
                if (validator.CheckProblem(response) is { } problem)
                {
                    mismatches.Add(problem);
                }

                continue;
            }

            if (response.Route is null || response.Route.StartsWith("/sim", StringComparison.Ordinal) || response.Route.StartsWith("/openapi", StringComparison.Ordinal)
                || response.Route.StartsWith("/docs", StringComparison.Ordinal))
            {
                continue;
            }

            checkedResponses++;
            covered.Add($"{response.Method} {response.Route} {response.Status}");
            if (validator.Check(response) is { } mismatch)
            {
                mismatches.Add(mismatch);
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {checkedResponses} responses do not match the document:\n" + string.Join("\n", mismatches.Distinct()));

        // The walk reaches every documented operation.
        var operations = Operations(document).Select(o => $"{o.Method} {o.Path}").ToHashSet(StringComparer.Ordinal);
        var reached = covered.Where(c => !c.StartsWith('(')).Select(c => c[..c.LastIndexOf(' ')]).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(operations.Except(reached).Order());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{checkedResponses} responses checked; {covered.Count} operation/status pairs over {reached.Count} operations:\n{string.Join("\n", covered.Order())}");
    }

    [Fact]
    public async Task The_validator_finds_undocumented_statuses_content_types_and_bodies()
    {
        var validator = new ResponseValidator(await DocumentAsync());
        static RecordedResponse Response(int status, string? contentType, string body) =>
            new("GET", "/v1/payments/{id}", status, contentType, Encoding.UTF8.GetBytes(body));

        Assert.Contains("status not documented", validator.Check(Response(418, "application/json", "{}")), StringComparison.Ordinal);
        Assert.Contains("content type", validator.Check(Response(200, "text/html", "<p>")), StringComparison.Ordinal);
        Assert.Contains("does not match", validator.Check(Response(200, "application/json; charset=utf-8", """{"id":1}""")), StringComparison.Ordinal);
        Assert.Contains("does not match", validator.Check(Response(404, "application/problem+json", """{"type":"x","title":"t","status":"404","code":"not_found"}""")),
            StringComparison.Ordinal);
        Assert.Null(validator.Check(Response(404, "application/problem+json", """{"type":"urn:obol:problem:not_found","title":"t","status":404,"code":"not_found","requestId":"r"}""")));
    }

    private async Task<JsonObject> DocumentAsync() =>
        JsonNode.Parse(await _client.GetStringAsync("/openapi/v1.json"))!.AsObject();

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject document) =>
        from path in document["paths"]!.AsObject()
        from operation in path.Value!.AsObject()
        where operation.Key is "get" or "post" or "put" or "delete" or "patch"
        select (path.Key, operation.Key.ToUpperInvariant(), operation.Value!.AsObject());

    /// <summary>Every module's main operations, their success answers and the problem shapes.</summary>
    private async Task WalkThroughTheApiAsync()
    {
        var anonymous = _server.CreateClient(apiKey: null);
        Ok(await anonymous.GetAsync("/healthz"));
        Ok(await anonymous.GetAsync("/readyz"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/payments")).StatusCode);

        Status(await _client.GetAsync("/v1/nothing-here"), HttpStatusCode.NotFound);
        Status(await _client.DeleteAsync("/v1/payments"), HttpStatusCode.MethodNotAllowed);

        // API keys
        var key = await Json(await _client.PostJsonAsync("/v1/api-keys", """{"label":"openapi"}"""), HttpStatusCode.Created);
        Ok(await _client.GetAsync("/v1/api-keys"));
        Ok(await _client.PostJsonAsync($"/v1/api-keys/{Id(key)}/revoke", "{}"));
        Status(await _client.PostJsonAsync("/v1/api-keys", "{}", "key-refused"), HttpStatusCode.BadRequest);
        Status(await _client.PostJsonAsync("/v1/api-keys/key_nope/revoke", "{}"), HttpStatusCode.NotFound);

        // Payments
        var manual = await Json(await _client.PostJsonAsync("/v1/payments",
            """{"amount":2500,"currency":"USD","paymentMethod":"pm_card_visa","captureMethod":"manual","description":"d","metadata":{"k":"v"}}""", "pay-1"),
            HttpStatusCode.Created);
        Status(await _client.PostJsonAsync("/v1/payments",
            """{"amount":2500,"currency":"USD","paymentMethod":"pm_card_visa","captureMethod":"manual","description":"d","metadata":{"k":"v"}}""", "pay-1"),
            HttpStatusCode.Created); // a replay
        Status(await _client.PostJsonAsync("/v1/payments", """{"amount":1,"currency":"USD","paymentMethod":"pm_card_visa"}""", "pay-1"), (HttpStatusCode)422);
        Status(await _client.PostJsonAsync("/v1/payments", """{"amount":1,"currency":"USD","paymentMethod":"pm_card_visa"}"""), HttpStatusCode.BadRequest);
        Status(await _client.PostJsonAsync("/v1/payments", """{"amount":0,"currency":"usd"}""", "pay-bad"), HttpStatusCode.BadRequest);
        Status(await _client.PostJsonAsync("/v1/payments", """{"amount":1,""", "pay-malformed"), HttpStatusCode.BadRequest);
        Status(await _client.PostJsonAsync("/v1/payments", """{"amount":1,"currency":"USD","paymentMethod":"pm_card_visa","x":1}""", "pay-unknown"), HttpStatusCode.BadRequest);
        Status(await _client.PostJsonAsync("/v1/payments", """{"amount":1,"currency":"USD","paymentMethod":"4242424242424242"}""", "pay-card"), HttpStatusCode.BadRequest);
        Status(await _client.PostAsync("/v1/payments", new StringContent("amount=1", Encoding.UTF8, "application/x-www-form-urlencoded")), HttpStatusCode.UnsupportedMediaType);
        using (var large = new HttpRequestMessage(HttpMethod.Post, "/v1/payments") { Content = JsonContent("[" + new string('1', 1024 * 1024) + "]") })
        {
            // Answered 413 before the body is read: the client waits for 100-continue, which does not come, instead of writing it.
            large.Headers.ExpectContinue = true;
            Status(await _client.SendAsync(large), HttpStatusCode.RequestEntityTooLarge);
        }

        var declined = await Json(await _client.PostJsonAsync("/v1/payments", """{"amount":700,"currency":"EUR","paymentMethod":"pm_card_declined"}""", "pay-2"),
            HttpStatusCode.Created);
        Assert.Equal("declined", declined.GetProperty("status").GetString());
        var automatic = await Json(await _client.PostJsonAsync("/v1/payments", """{"amount":1000,"currency":"USD","paymentMethod":"pm_card_mastercard"}""", "pay-3"),
            HttpStatusCode.Created);
        Ok(await _client.GetAsync($"/v1/payments/{Id(manual)}"));
        Ok(await _client.GetAsync("/v1/payments?limit=5&status=captured"));
        Status(await _client.GetAsync("/v1/payments?limit=0"), HttpStatusCode.BadRequest);
        Status(await _client.GetAsync("/v1/payments/pay_nope"), HttpStatusCode.NotFound);
        Ok(await _client.PostJsonAsync($"/v1/payments/{Id(manual)}/capture", """{"amount":2000}""", "cap-1"));
        Status(await _client.PostJsonAsync($"/v1/payments/{Id(manual)}/capture", "{}"), HttpStatusCode.Conflict);
        Status(await _client.PostJsonAsync($"/v1/payments/{Id(declined)}/cancel", "{}"), HttpStatusCode.Conflict);
        var cancelled = await Json(await _client.PostJsonAsync("/v1/payments", """{"amount":300,"currency":"USD","paymentMethod":"pm_card_visa","captureMethod":"manual"}""", "pay-4"),
            HttpStatusCode.Created);
        Ok(await _client.PostAsync($"/v1/payments/{Id(cancelled)}/cancel", null));
        var refund = await Json(await _client.PostJsonAsync($"/v1/payments/{Id(automatic)}/refunds", """{"amount":400,"reason":"requested"}""", "ref-1"),
            HttpStatusCode.Created);
        Status(await _client.PostJsonAsync($"/v1/payments/{Id(automatic)}/refunds", """{"amount":100000}"""), HttpStatusCode.BadRequest);
        Ok(await _client.GetAsync($"/v1/refunds/{Id(refund)}"));
        Status(await _client.GetAsync("/v1/refunds/re_nope"), HttpStatusCode.NotFound);
        Ok(await _client.GetAsync($"/v1/payments/{Id(automatic)}/events"));

        // Ledger
        var cash = await Json(await _client.PostJsonAsync("/v1/ledger/accounts", """{"code":"cash","type":"asset","currency":"USD","metadata":{"a":"b"}}"""), HttpStatusCode.Created);
        var income = await Json(await _client.PostJsonAsync("/v1/ledger/accounts",
            """{"code":"income","type":"revenue","currency":"USD","flags":{"creditsMustNotExceedDebits":false},"owner":{"type":"courier","id":"c1"}}"""), HttpStatusCode.Created);
        Status(await _client.PostJsonAsync("/v1/ledger/accounts", """{"code":"cash","type":"asset","currency":"USD"}"""), HttpStatusCode.Conflict);
        Ok(await _client.GetAsync("/v1/ledger/accounts?limit=10"));
        Ok(await _client.GetAsync($"/v1/ledger/accounts/{Id(cash)}?asOf=2030-01-01T00:00:00Z"));
        var transfer = $$"""{"debitAccountId":"{{Id(cash)}}","creditAccountId":"{{Id(income)}}","amount":2500,"currency":"USD"}""";
        var transaction = await Json(await _client.PostJsonAsync("/v1/ledger/transactions",
            $$"""{"externalId":"inv-1","description":"d","metadata":{"k":"v"},"effectiveAt":"2026-01-01T00:00:00Z","transfers":[{{transfer}}]}"""), HttpStatusCode.Created);
        Ok(await _client.PostJsonAsync("/v1/ledger/transactions",
            $$"""{"externalId":"inv-1","description":"d","metadata":{"k":"v"},"effectiveAt":"2026-01-01T00:00:00Z","transfers":[{{transfer}}]}"""));
        Status(await _client.PostJsonAsync("/v1/ledger/transactions", $$"""{"transfers":[{"debitAccountId":"{{Id(cash)}}","creditAccountId":"acc_nope","amount":1,"currency":"USD"}]}"""),
            (HttpStatusCode)422);
        Status(await _client.PostJsonAsync("/v1/ledger/transactions", $$"""{"transfers":[{"debitAccountId":"{{Id(cash)}}","creditAccountId":"{{Id(income)}}","amount":1.5,"currency":"USD"}]}"""),
            HttpStatusCode.BadRequest);
        Status(await _client.PostJsonAsync("/v1/ledger/transactions", """{"transfers":[]}"""), HttpStatusCode.BadRequest);
        Ok(await _client.PostJsonAsync("/v1/ledger/transactions/batch", $$"""{"transactions":[{"transfers":[{{transfer}}]},{"transfers":[]}]}"""));
        Ok(await _client.GetAsync("/v1/ledger/transactions?metadata[k]=v"));
        Ok(await _client.GetAsync($"/v1/ledger/transactions/{Id(transaction)}"));
        Ok(await _client.GetAsync($"/v1/ledger/accounts/{Id(cash)}/entries?from=2020-01-01T00:00:00Z"));
        Json(await _client.PostJsonAsync($"/v1/ledger/transactions/{Id(transaction)}/reverse", """{"externalId":"rev-1"}"""), HttpStatusCode.Created).Wait();
        Status(await _client.PostJsonAsync($"/v1/ledger/transactions/{Id(transaction)}/reverse", "{}"), HttpStatusCode.Conflict);
        var pending = await Json(await _client.PostJsonAsync("/v1/ledger/transactions",
            $$"""{"transfers":[{"debitAccountId":"{{Id(cash)}}","creditAccountId":"{{Id(income)}}","amount":900,"currency":"USD","pending":true,"timeoutSeconds":3600},{"debitAccountId":"{{Id(cash)}}","creditAccountId":"{{Id(income)}}","amount":100,"currency":"USD","pending":true}]}"""),
            HttpStatusCode.Created);
        var pendingTransfers = pending.GetProperty("transfers");
        var first = pendingTransfers[0].GetProperty("id").GetString();
        var second = pendingTransfers[1].GetProperty("id").GetString();
        Ok(await _client.GetAsync($"/v1/ledger/transfers/{first}"));
        Ok(await _client.PostJsonAsync($"/v1/ledger/transfers/{first}/post", """{"amount":500}"""));
        Status(await _client.PostJsonAsync($"/v1/ledger/transfers/{first}/void", "{}"), HttpStatusCode.Conflict);
        Ok(await _client.PostJsonAsync($"/v1/ledger/transfers/{second}/void", """{"description":"no"}"""));
        Status(await _client.GetAsync("/v1/ledger/transfers/tr_nope"), HttpStatusCode.NotFound);
        Ok(await _client.GetAsync("/v1/ledger/verify"));

        // Scheduled payments
        var schedule = await Json(await _client.PostJsonAsync("/v1/scheduled-payments",
            """{"amount":1500,"currency":"EUR","paymentMethod":"pm_card_visa","localDateTime":"2030-03-14T09:00:00","timeZone":"Europe/Paris","recurrence":{"frequency":"monthly","count":3},"metadata":{"a":"b"}}""",
            "sp-1"), HttpStatusCode.Created);
        Json(await _client.PostJsonAsync("/v1/scheduled-payments", """{"amount":1500,"currency":"EUR","paymentMethod":"pm_card_visa","executeAt":"2030-01-01T00:00:00Z"}""", "sp-2"),
            HttpStatusCode.Created).Wait();
        Status(await _client.PostJsonAsync("/v1/scheduled-payments", """{"amount":1500,"currency":"EUR","paymentMethod":"pm_card_visa"}""", "sp-3"), HttpStatusCode.BadRequest);
        Ok(await _client.GetAsync("/v1/scheduled-payments?status=scheduled"));
        Ok(await _client.GetAsync($"/v1/scheduled-payments/{Id(schedule)}"));
        Ok(await _client.PostAsync($"/v1/scheduled-payments/{Id(schedule)}/cancel", null));
        Ok(await _client.GetAsync($"/v1/scheduled-payments/{Id(schedule)}/history"));
        Status(await _client.PostAsync($"/v1/scheduled-payments/{Id(schedule)}/retry", null), HttpStatusCode.Conflict);
        Status(await _client.GetAsync("/v1/scheduled-payments/sp_nope"), HttpStatusCode.NotFound);

        // Courier earnings
        Status(await _client.PutAsync("/v1/couriers/courier-7", JsonContent(
            """{"timeZone":"America/New_York","currency":"USD","basePayRate":30,"bonusPay":500,"deliveriesPerBonus":2,"cancellationPay":200,"effectiveAt":"2026-01-01T00:00:00Z"}""")),
            HttpStatusCode.Created);
        Ok(await _client.PutAsync("/v1/couriers/courier-7", JsonContent(
            """{"timeZone":"America/New_York","currency":"USD","basePayRate":35,"bonusPay":500,"deliveriesPerBonus":2}""")));
        Status(await _client.PutAsync("/v1/couriers/courier-7", JsonContent(
            """{"timeZone":"Europe/Paris","currency":"USD","basePayRate":35,"bonusPay":500,"deliveriesPerBonus":2}""")), HttpStatusCode.Conflict);
        Ok(await _client.GetAsync("/v1/couriers/courier-7"));
        Ok(await _client.PostJsonAsync("/v1/delivery-events", """
            {"events":[
              {"eventId":"e1","courierId":"courier-7","orderId":"o1","status":"accepted","occurredAt":"2026-02-02T14:00:00Z"},
              {"eventId":"e2","courierId":"courier-7","orderId":"o1","status":"fulfilled","occurredAt":"2026-02-02T14:30:00Z"},
              {"eventId":"e3","courierId":"courier-7","orderId":"o2","status":"fulfilled","occurredAt":"2026-02-02T15:30:00Z"},
              {"eventId":"e4","courierId":"courier-7","orderId":"o3","status":"lost","occurredAt":"2026-02-02T15:30:00Z"},
              {"eventId":"e1","courierId":"courier-7","orderId":"o1","status":"accepted","occurredAt":"2026-02-02T14:00:00Z"}]}
            """));
        Ok(await _client.GetAsync("/v1/couriers/courier-7/earnings?from=2026-02-01&to=2026-02-28"));
        Status(await _client.GetAsync("/v1/couriers/courier-7/earnings"), HttpStatusCode.BadRequest);
        var anomalies = await Json(await _client.GetAsync("/v1/couriers/courier-7/anomalies?status=open"), HttpStatusCode.OK);
        foreach (var anomaly in anomalies.GetProperty("data").EnumerateArray())
        {
            Ok(await _client.PostJsonAsync($"/v1/couriers/courier-7/anomalies/{Id(anomaly)}/resolve", """{"note":"checked"}"""));
        }

        Ok(await _client.PostAsync("/v1/couriers/courier-7/recompute?from=2026-02-01&to=2026-02-28", null));
        var periods = await Json(await _client.GetAsync("/v1/pay-periods?courierId=courier-7"), HttpStatusCode.OK);
        Status(await _client.GetAsync("/v1/pay-periods"), HttpStatusCode.BadRequest);
        var period = periods.GetProperty("data").EnumerateArray().Last();
        Ok(await _client.GetAsync($"/v1/pay-periods/{Id(period)}"));
        Ok(await _client.PostAsync($"/v1/pay-periods/{Id(period)}/close", null));
        Ok(await _client.GetAsync($"/v1/pay-periods/{Id(period)}"));
        Status(await _client.GetAsync("/v1/couriers/nobody"), HttpStatusCode.NotFound);

        // Reconciliation (the default merchant is the operator), settlement reports from the in-process simulator
        var day = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var run = await Json(await _client.PostJsonAsync("/v1/reconciliation/runs", $$"""{"psp":"stripe","date":"{{day}}"}""", "run-1"), HttpStatusCode.Created);
        var report = await _client.GetStringAsync($"/sim/adyen/settlements?date={day}");
        var upload = new StringContent(report, Encoding.UTF8);
        upload.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        Status(await _client.PostAsync($"/v1/reconciliation/reports?psp=adyen&date={day}", upload), HttpStatusCode.Created);
        Status(await _client.PostJsonAsync("/v1/reconciliation/runs", """{"psp":"paypal","date":"2999-01-01"}"""), HttpStatusCode.BadRequest);
        Ok(await _client.GetAsync("/v1/reconciliation/runs?psp=stripe"));
        Ok(await _client.GetAsync($"/v1/reconciliation/runs/{Id(run)}"));
        var discrepancies = await Json(await _client.GetAsync("/v1/reconciliation/discrepancies"), HttpStatusCode.OK);
        if (discrepancies.GetProperty("data").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } discrepancy)
        {
            Ok(await _client.GetAsync($"/v1/reconciliation/discrepancies/{Id(discrepancy)}"));
            Ok(await _client.PostJsonAsync($"/v1/reconciliation/discrepancies/{Id(discrepancy)}/resolve", """{"note":"refunded by hand"}"""));
        }

        Status(await _client.GetAsync("/v1/reconciliation/discrepancies/dis_nope"), HttpStatusCode.NotFound);
        Status(await _client.PostJsonAsync("/v1/reconciliation/discrepancies/dis_nope/resolve", """{"note":"x"}"""), HttpStatusCode.NotFound);
        var apiKeys = _server.GetRequiredService<ApiKeys>();
        var other = await apiKeys.CreateMerchantAsync("Other", CancellationToken.None);
        var otherKey = await apiKeys.IssueAsync(other.Id, "test", "openapi", CancellationToken.None);
        using var otherClient = _server.CreateClient(otherKey.Secret);
        Status(await otherClient.GetAsync("/v1/reconciliation/runs"), HttpStatusCode.Forbidden);

        // Webhook endpoints and events (deliveries to example.com fail here; only the API is walked).
        var endpoint = await Json(await _client.PostJsonAsync("/v1/webhook-endpoints",
            """{"url":"https://hooks.example.com/obol","enabledEvents":["payment.*"],"description":"d"}"""), HttpStatusCode.Created);
        Status(await _client.PostJsonAsync("/v1/webhook-endpoints", """{"url":"https://127.0.0.1/","enabledEvents":["*"]}"""), HttpStatusCode.BadRequest);
        Ok(await _client.GetAsync("/v1/webhook-endpoints"));
        Ok(await _client.GetAsync($"/v1/webhook-endpoints/{Id(endpoint)}"));
        Ok(await _client.PatchAsync($"/v1/webhook-endpoints/{Id(endpoint)}", JsonContent("""{"enabledEvents":["*"]}""")));
        Ok(await _client.PostAsync($"/v1/webhook-endpoints/{Id(endpoint)}/rotate-secret", null));
        var test = await Json(await _client.PostAsync($"/v1/webhook-endpoints/{Id(endpoint)}/test", null), HttpStatusCode.Created);
        Status(await _client.PostJsonAsync($"/v1/webhook-endpoints/{Id(endpoint)}/replay",
            """{"from":"2026-01-01T00:00:00Z","to":"2999-01-01T00:00:00Z"}"""), HttpStatusCode.Accepted);
        Ok(await _client.GetAsync($"/v1/webhook-endpoints/{Id(endpoint)}/delivery-attempts"));
        Ok(await _client.GetAsync("/v1/events?type=payment.created&limit=5"));
        Ok(await _client.GetAsync($"/v1/events/{Id(test)}"));
        Status(await _client.PostJsonAsync($"/v1/events/{Id(test)}/redeliver", $$"""{"endpointId":"{{Id(endpoint)}}"}"""), HttpStatusCode.Accepted);
        Ok(await _client.GetAsync($"/v1/events/{Id(test)}/delivery-attempts"));
        Ok(await _client.GetAsync("/v1/event-types"));
        Status(await _client.GetAsync("/v1/events/evt_nope"), HttpStatusCode.NotFound);
        Ok(await _client.DeleteAsync($"/v1/webhook-endpoints/{Id(endpoint)}"));

        // FX: the simulator's ECB-style rates, fetched now rather than whenever the refresher's start-up fetch gets to it.
        await _server.GetRequiredService<Obol.Fx.Rates.RateRefresher>().RefreshAsync(CancellationToken.None);
        Ok(await _client.GetAsync("/v1/fx/rates"));
        Ok(await _client.GetAsync("/v1/fx/rates?base=USD"));
        Status(await _client.GetAsync("/v1/fx/rates?base=KWD"), HttpStatusCode.BadRequest);
        var quote = await Json(await _client.PostJsonAsync("/v1/fx/quotes", """{"from":"JPY","to":"USD","amount":5000,"lockDuration":"PT10M"}"""), HttpStatusCode.Created);
        Status(await _client.PostJsonAsync("/v1/fx/quotes", """{"from":"USD","to":"KWD"}"""), HttpStatusCode.BadRequest);
        Ok(await _client.GetAsync($"/v1/fx/quotes/{Id(quote)}"));
        Status(await _client.GetAsync("/v1/fx/quotes/fxq_nope"), HttpStatusCode.NotFound);
        var converted = await Json(await _client.PostJsonAsync("/v1/payments",
            $$"""{"amount":5000,"currency":"JPY","paymentMethod":"pm_card_visa","fxQuote":"{{Id(quote)}}"}""", "fx-1"), HttpStatusCode.Created);
        Status(await _client.PostJsonAsync("/v1/payments",
            $$"""{"amount":5000,"currency":"JPY","paymentMethod":"pm_card_visa","fxQuote":"{{Id(quote)}}"}""", "fx-2"), HttpStatusCode.Conflict);
        Status(await _client.PostJsonAsync($"/v1/payments/{Id(converted)}/refunds", """{"amount":2000}"""), HttpStatusCode.Created);
        Ok(await _client.PutAsync("/v1/fx/settings", JsonContent("""{"settlementCurrency":"EUR"}""")));
        Ok(await _client.GetAsync("/v1/fx/settings"));
        Ok(await _client.PutAsync("/v1/fx/settings", JsonContent("{}")));

        // PSP webhooks: the simulator's deliveries to this server were recorded along the way; a forged one too.
        Status(await anonymous.PostAsync("/webhooks/psp/stripe", JsonContent("""{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{}}}""")),
            HttpStatusCode.BadRequest);
        Status(await anonymous.PostAsync("/webhooks/psp/adyen", JsonContent("""{"notificationItems":[]}""")), HttpStatusCode.OK);
        await WaitForAsync(() => _log.Responses.Any(r => r.Route == "/webhooks/psp/stripe" && r.Status == 200));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Id(JsonElement element) => element.GetProperty("id").GetString()!;

    private static void Ok(HttpResponseMessage response) => Status(response, HttpStatusCode.OK);

    private static void Status(HttpResponseMessage response, HttpStatusCode expected) =>
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode}: {response.Content.ReadAsStringAsync().Result}");

    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        Status(response, expected);
        return await response.ReadJsonAsync();
    }
}

/// <summary>Checks a recorded response against its operation in an OpenAPI 3.1 document: status, media type, body schema.</summary>
internal sealed class ResponseValidator
{
    private readonly JsonObject _document;
    private readonly JsonObject _definitions;
    private readonly Dictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    // Schemas are registered globally by their $id: each validator's own.
    private readonly string _base = $"https://obol.test/{Guid.NewGuid():N}/";

    public ResponseValidator(JsonObject document)
    {
        _document = document;

        // OpenAPI 3.1 schemas are JSON Schema 2020-12; references to #/components/schemas/X become #/$defs/X.
        var components = JsonNode.Parse(document["components"]!["schemas"]!.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal))!;
        _definitions = components.AsObject();
    }

    /// <summary>Null when the response is documented and valid; otherwise what is wrong.</summary>
    public string? Check(RecordedResponse response)
    {
        var where = $"{response.Method} {response.Route} {response.Status}";
        var operation = _document["paths"]?[response.Route!]?[response.Method.ToLowerInvariant()];
        if (operation is null)
        {
            return $"{where}: no such operation in the document";
        }

        var status = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var documented = operation["responses"]?[status] ?? operation["responses"]?[status[0] + "XX"] ?? operation["responses"]?["default"];
        if (documented is null)
        {
            return $"{where}: status not documented (body {Text(response)})";
        }

        var content = documented["content"]?.AsObject();
        if (response.Body.Length == 0)
        {
            return content is null || content.Count == 0 ? null : $"{where}: documented with a body, sent none";
        }

        var mediaType = response.ContentType is { } contentType ? MediaTypeHeaderValue.Parse(contentType).MediaType : null;
        if (content is null || mediaType is null || content[mediaType] is not { } media)
        {
            return $"{where}: content type {response.ContentType} not documented (documented: {string.Join(", ", content?.Select(c => c.Key) ?? [])})";
        }

        if (media["schema"] is not { } schemaNode)
        {
            return null;
        }

        JsonElement body;
        if (mediaType.EndsWith("json", StringComparison.Ordinal))
        {
            try
            {
                body = JsonDocument.Parse(response.Body).RootElement.Clone();
            }
            catch (JsonException)
            {
                return $"{where}: the body is not JSON: {Text(response)}";
            }
        }
        else
        {
            body = JsonSerializer.SerializeToElement(Encoding.UTF8.GetString(response.Body));
        }

        var key = $"{response.Route} {response.Method} {status} {mediaType}";
        if (!_schemas.TryGetValue(key, out var schema))
        {
            var root = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$id"] = $"{_base}{_schemas.Count}",
                ["$defs"] = _definitions.DeepClone(),
                ["allOf"] = new JsonArray(JsonNode.Parse(schemaNode.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal))),
            };
            schema = JsonSchema.FromText(root.ToJsonString());
            _schemas[key] = schema;
        }

        var result = schema.Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        if (result.IsValid)
        {
            return null;
        }

        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"));
        return $"{where}: the body does not match the schema: {string.Join("; ", errors)}\n    body: {Text(response)}";
    }

    /// <summary>A response no operation gave (routing refused the request): problem+json valid against the Problem schema.</summary>
    public string? CheckProblem(RecordedResponse response)
    {
        var where = $"{response.Method} (no endpoint) {response.Status}";
        if (response.ContentType is null || MediaTypeHeaderValue.Parse(response.ContentType).MediaType != "application/problem+json")
        {
            return $"{where}: {response.ContentType} instead of application/problem+json";
        }

        var schema = _schemas.TryGetValue("Problem", out var known) ? known : _schemas["Problem"] = JsonSchema.FromText(new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"{_base}problem",
            ["$defs"] = _definitions.DeepClone(),
            ["$ref"] = "#/$defs/Problem",
        }.ToJsonString());
        var result = schema.Evaluate(JsonDocument.Parse(response.Body).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        return result.IsValid ? null : $"{where}: not a Problem: {Text(response)}";
    }

    private static string Text(RecordedResponse response)
    {
        var text = Encoding.UTF8.GetString(response.Body);
        return text.Length > 600 ? text[..600] + "…" : text;
    }
}
